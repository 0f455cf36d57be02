"""LeafLoafSettings from code, TOML and environment; from_settings builds what they name."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from leafloaf import (
    ConfigError,
    GraphitiPersonalizationEngine,
    LeafLoafSettings,
    MissingExtraError,
    NullSink,
    SQLiteStore,
)
from leafloaf.stores.cached import CachedStore
from tests.runtime.faults import CATALOG


def test_defaults_are_the_embedded_backends() -> None:
    settings = LeafLoafSettings()
    assert (settings.store, settings.cache, settings.analytics) == ("memory", "none", "none")
    engine = GraphitiPersonalizationEngine.from_settings(CATALOG, settings)
    assert engine.store.name == "memory" and isinstance(engine.analytics, NullSink)
    assert [h.kind for h in engine.health()] == ["store", "analytics", "memory"]


def test_environment_variables_set_sections_and_engine_knobs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LEAFLOAF_STORE", "redis")
    monkeypatch.setenv("LEAFLOAF_REDIS__URL", "redis://cache.internal:6380/2")
    monkeypatch.setenv("LEAFLOAF_REDIS__POOL_SIZE", "4")
    monkeypatch.setenv("LEAFLOAF_ENGINE__HALF_LIFE_DAYS", "30")
    settings = LeafLoafSettings()
    assert settings.store == "redis" and settings.redis.pool_size == 4
    assert settings.redis.url == "redis://cache.internal:6380/2"
    assert settings.engine.half_life_days == 30.0
    assert LeafLoafSettings(store="sqlite").store == "sqlite"  # code wins over environment


def test_a_toml_file_is_read_and_the_environment_overrides_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    file = tmp_path / "leafloaf.toml"
    file.write_text(
        'store = "sqlite"\ncache = "memory"\noutbox = "out.db"\n'
        '[sqlite]\npath = "shop.db"\ntimeout_s = 2.5\n[engine]\nbatch_size = 500\n'
    )
    settings = LeafLoafSettings.from_toml(file)
    assert settings.sqlite.path == "shop.db" and settings.sqlite.timeout_s == 2.5
    assert settings.engine.batch_size == 500 and settings.outbox == "out.db"
    monkeypatch.setenv("LEAFLOAF_SQLITE__PATH", str(tmp_path / "env.db"))
    monkeypatch.setenv("LEAFLOAF_OUTBOX", str(tmp_path / "outbox.db"))
    engine = GraphitiPersonalizationEngine.from_settings(CATALOG, file)
    assert isinstance(engine.store, CachedStore) and isinstance(engine.store.store, SQLiteStore)
    assert engine.store.store.path == str(tmp_path / "env.db")
    assert engine.config.batch_size == 500 and engine.pending == 0
    assert [h.kind for h in engine.health()][-1] == "outbox"
    engine.close()


@pytest.mark.parametrize(
    ("values", "field", "value"),
    [
        ({"stor": "redis"}, "stor", "redis"),
        ({"store": "redsi"}, "store", "redsi"),
        ({"cache": "memcached"}, "cache", "memcached"),
        ({"redis": {"urll": "redis://x"}}, "redis.urll", "redis://x"),
        ({"redis": {"pool_size": 0}}, "redis.pool_size", 0),
        ({"engine": {"half_life_dayz": 3}}, "engine.half_life_dayz", 3),
        ({"engine": {"half_life_days": -1}}, "engine.half_life_days", -1),
    ],
)
def test_a_typo_is_a_config_error_naming_the_setting_and_value(
    values: dict[str, object], field: str, value: object
) -> None:
    with pytest.raises(ConfigError) as caught:
        LeafLoafSettings(**values)  # type: ignore[arg-type]
    assert caught.value.field == field and caught.value.value == value


def test_typos_in_files_and_environment_are_config_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    file = tmp_path / "bad.toml"
    file.write_text('[sqlite]\npaht = "x.db"\n')
    with pytest.raises(ConfigError, match=r"sqlite\.paht"):
        LeafLoafSettings.from_toml(file)
    file.write_text("store = \n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        LeafLoafSettings.from_toml(file)
    with pytest.raises(ConfigError, match="cannot be read"):
        LeafLoafSettings.from_toml(tmp_path / "missing.toml")
    monkeypatch.setenv("LEAFLOAF_STOER", "redis")
    with pytest.raises(ConfigError, match="LEAFLOAF_STORE"):
        LeafLoafSettings()


def test_backends_this_build_lacks_or_whose_extra_is_missing_say_so(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    spanner = LeafLoafSettings(store="spanner")
    with pytest.raises(ConfigError, match=r"spanner\.project"):
        GraphitiPersonalizationEngine.from_settings(CATALOG, spanner)
    monkeypatch.setitem(
        sys.modules, "redis", None
    )  # as if `pip install 'leafloaf[redis]'` never ran
    monkeypatch.delitem(sys.modules, "leafloaf.stores.redis", raising=False)
    with pytest.raises(MissingExtraError, match=r"leafloaf\[redis\]"):
        GraphitiPersonalizationEngine.from_settings(CATALOG, LeafLoafSettings(store="redis"))


def test_from_settings_rejects_what_is_not_settings_or_cannot_work() -> None:
    with pytest.raises(ConfigError, match="settings"):
        GraphitiPersonalizationEngine.from_settings(CATALOG, 42)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="shared store") as caught:
        GraphitiPersonalizationEngine.from_settings(CATALOG, LeafLoafSettings(cache="redis"))
    assert caught.value.field == "cache"


def test_redis_store_and_cache_from_settings(redis_url: str) -> None:
    settings = LeafLoafSettings(store="redis", cache="memory", redis={"url": redis_url})
    engine = GraphitiPersonalizationEngine.from_settings(CATALOG, settings)
    health = engine.health()
    assert [(h.kind, h.backend, h.status) for h in health[:2]] == [
        ("store", "redis", "ok"),
        ("cache", "memory", "ok"),
    ]
    engine.close()


def test_settings_without_the_extra_name_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """The core install has no pydantic-settings: using settings says which extra to add."""
    import importlib
    import sys

    from leafloaf.errors import MissingExtraError

    monkeypatch.setitem(sys.modules, "pydantic_settings", None)
    monkeypatch.delitem(sys.modules, "leafloaf.settings", raising=False)
    with pytest.raises(MissingExtraError, match=r"leafloaf\[settings\]"):
        importlib.import_module("leafloaf.settings")
    monkeypatch.undo()
    importlib.import_module("leafloaf.settings")
