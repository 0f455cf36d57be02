"""LeafLoafSettings: every backend chosen by name, from code, a TOML file or ``LEAFLOAF_*`` env.

Values come from, highest priority first: keyword arguments, environment variables
(``LEAFLOAF_STORE=redis``, sections with a double underscore: ``LEAFLOAF_REDIS__URL=...``),
then the TOML file given to :meth:`LeafLoafSettings.from_toml`. Unknown names are refused: a
typo is a :class:`~leafloaf.errors.ConfigError` naming the setting and its value, never a
silently ignored line.

>>> settings = LeafLoafSettings(store="sqlite", sqlite={"path": ":memory:"})
>>> settings.store, settings.sqlite.path, settings.cache
('sqlite', ':memory:', 'none')
>>> LeafLoafSettings(stor="redis")
Traceback (most recent call last):
...
leafloaf.errors.ConfigError: stor='redis': not a setting; the settings are [...]
"""

from __future__ import annotations

import difflib
import os
import tomllib
from contextvars import ContextVar
from pathlib import Path
from typing import Any, Literal

import pydantic
from pydantic import BaseModel, ConfigDict, Field

from leafloaf.config import EngineConfig
from leafloaf.errors import ConfigError, MissingExtraError

try:
    from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict
except ImportError:  # pragma: no cover - exercised in a venv without the extra
    raise MissingExtraError("settings", "pydantic-settings") from None

__all__ = [
    "BigQuerySettings",
    "DuckDBSettings",
    "LeafLoafSettings",
    "RedisSettings",
    "SQLiteSettings",
    "SpannerSettings",
]

_PREFIX = "LEAFLOAF_"
_FILE: ContextVar[dict[str, Any] | None] = ContextVar("leafloaf_settings_file", default=None)


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SQLiteSettings(_Section):
    """``store = "sqlite"``: one database file."""

    path: str = "leafloaf.db"
    timeout_s: float = Field(default=5.0, gt=0)
    """How long a write waits for another process's lock before the store counts as down."""


class RedisSettings(_Section):
    """``store = "redis"`` and ``cache = "redis"``: one server (or a proxy in front of many)."""

    url: str = "redis://127.0.0.1:6379/0"
    pool_size: int = Field(default=16, ge=1)
    timeout_s: float = Field(default=5.0, gt=0)
    namespace: str = Field(default="leafloaf", min_length=1)
    cache_ttl_s: float = Field(default=300.0, gt=0)
    """How long a cached shopper profile lives in Redis (the cache tier only)."""


class SpannerSettings(_Section):
    """``store = "spanner"``: a Cloud Spanner database (or the emulator)."""

    project: str | None = None
    instance: str | None = None
    database: str | None = None
    emulator_host: str | None = None
    pool_size: int = Field(default=10, ge=1)
    timeout_s: float = Field(default=10.0, gt=0)


class BigQuerySettings(_Section):
    """``analytics = "bigquery"``: streamed inserts into one dataset."""

    project: str | None = None
    dataset: str | None = None
    endpoint: str | None = None
    queue_size: int = Field(default=10_000, ge=1)
    batch_size: int = Field(default=500, ge=1)
    deadline_s: float = Field(default=30.0, gt=0)
    dead_letter_path: str | None = None


class DuckDBSettings(_Section):
    """``analytics = "duckdb"``: the embedded analytics file."""

    path: str = ":memory:"


class _FileSource(PydanticBaseSettingsSource):
    """The TOML file's values (lowest priority), passed in by :meth:`LeafLoafSettings.from_toml`."""

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        data = _FILE.get() or {}
        return data.get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return dict(_FILE.get() or {})


class LeafLoafSettings(BaseSettings):
    """Which store, cache and analytics sink an engine uses, and how to reach each.

    Build an engine from it with ``GraphitiPersonalizationEngine.from_settings(catalog, s)``.
    ``engine`` holds :class:`~leafloaf.EngineConfig`'s knobs; ``outbox`` is the path of the
    durable outbox that keeps accepted events while the store is down.
    """

    model_config = SettingsConfigDict(
        env_prefix=_PREFIX, env_nested_delimiter="__", extra="forbid", frozen=True
    )

    store: Literal["memory", "sqlite", "redis", "spanner"] = "memory"
    cache: Literal["none", "memory", "redis"] = "none"
    analytics: Literal["none", "duckdb", "bigquery"] = "none"
    outbox: str | None = None
    cache_size: int = Field(default=100_000, ge=1)
    """Entries of the in-process cache tier (``cache = "memory"``, and in front of Redis)."""
    sqlite: SQLiteSettings = SQLiteSettings()
    redis: RedisSettings = RedisSettings()
    spanner: SpannerSettings = SpannerSettings()
    bigquery: BigQuerySettings = BigQuerySettings()
    duckdb: DuckDBSettings = DuckDBSettings()
    engine: EngineConfig = EngineConfig()

    def __init__(self, **values: Any) -> None:
        _check_environment()
        try:
            super().__init__(**values)
        except pydantic.ValidationError as exc:
            raise _config_error(exc) from None

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return init_settings, env_settings, _FileSource(settings_cls)

    @classmethod
    def from_toml(cls, path: str | os.PathLike[str], **values: Any) -> LeafLoafSettings:
        """Settings from a TOML file (environment variables and ``values`` override it).

        >>> import tempfile, pathlib
        >>> file = pathlib.Path(tempfile.mkdtemp()) / "leafloaf.toml"
        >>> _ = file.write_text('store = "sqlite"\\n[sqlite]\\npath = "shop.db"\\n')
        >>> LeafLoafSettings.from_toml(file).sqlite.path
        'shop.db'
        """
        try:
            data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except OSError as exc:
            raise ConfigError("settings", os.fspath(path), f"cannot be read: {exc}") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError("settings", os.fspath(path), f"is not valid TOML: {exc}") from None
        token = _FILE.set(data)
        try:
            return cls(**values)
        finally:
            _FILE.reset(token)


def _config_error(exc: pydantic.ValidationError) -> ConfigError:
    first = exc.errors()[0]
    loc = [str(part) for part in first["loc"]]
    inner = first.get("ctx", {}).get("error")
    if isinstance(inner, ConfigError):  # EngineConfig names its own field
        return ConfigError(".".join([*loc, inner.field]), inner.value, inner.message)
    field = ".".join(loc) or "settings"
    message = str(first["msg"]).removeprefix("Value error, ")
    if first["type"] == "extra_forbidden":
        model: type[BaseModel] = LeafLoafSettings
        for part in loc[:-1]:
            annotation = model.model_fields[part].annotation
            if isinstance(annotation, type) and issubclass(annotation, BaseModel):
                model = annotation
        message = f"not a setting; the settings are {sorted(model.model_fields)}"
    return ConfigError(field, first.get("input"), message)


def _check_environment() -> None:
    """A ``LEAFLOAF_*`` variable one letter away from a setting is a typo, not another tool's."""
    names = sorted(LeafLoafSettings.model_fields)
    for key, value in os.environ.items():
        if not key.startswith(_PREFIX):
            continue
        name = key[len(_PREFIX) :].lower().split("__", 1)[0]
        if name in names:
            continue
        close = difflib.get_close_matches(name, names, n=1, cutoff=0.8)
        if close:
            raise ConfigError(
                key, value, f"not a setting; did you mean {_PREFIX}{close[0].upper()}?"
            )
