"""Backends from settings: the store (behind its cache tier), the analytics sink, their health.

Every backend class is named as ``module:Class`` and imported only when chosen, so a
missing client library surfaces as :class:`~leafloaf.errors.MissingExtraError` naming the
extra, and nothing optional loads at ``import leafloaf``.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from leafloaf.errors import ConfigError
from leafloaf.health import BackendHealth
from leafloaf.stores import load_class
from leafloaf.stores.base import StateStore

if TYPE_CHECKING:
    from leafloaf.analytics.base import AnalyticsSink
    from leafloaf.memory.base import MemoryBackend
    from leafloaf.runtime.outbox import Outbox
    from leafloaf.search.base import SearchBackend
    from leafloaf.settings import LeafLoafSettings

__all__ = [
    "ANALYTICS",
    "backend_health",
    "open_analytics",
    "open_cached_store",
    "open_settings_store",
]

ANALYTICS: dict[str, str] = {
    "duckdb": "leafloaf.analytics.duckdb:DuckDBAnalytics",
    "bigquery": "leafloaf.analytics.bigquery:BigQuerySink",
}
"""Short name → ``module:Class`` of every analytics sink (``"none"`` is the NullSink)."""


def _required(section: str, **values: str | None) -> None:
    for name, value in values.items():
        if not value:
            raise ConfigError(f"{section}.{name}", value, f"is required when {section} is chosen")


def open_settings_store(settings: LeafLoafSettings) -> StateStore:
    """The durable store the settings name."""
    if settings.store == "memory":
        from leafloaf.stores.memory import InMemoryStore

        return InMemoryStore()
    if settings.store == "sqlite":
        from leafloaf.stores.sqlite import SQLiteStore

        return SQLiteStore(settings.sqlite.path, timeout=settings.sqlite.timeout_s)
    if settings.store == "redis":
        redis = settings.redis
        cls = load_class("leafloaf.stores.redis:RedisStore", "store", "redis", "redis")
        store: StateStore = cls(
            redis.url, namespace=redis.namespace, pool_size=redis.pool_size,
            timeout_s=redis.timeout_s,
        )  # fmt: skip
        return store
    spanner = settings.spanner
    _required("spanner", project=spanner.project, instance=spanner.instance,
              database=spanner.database)  # fmt: skip
    cls = load_class("leafloaf.stores.spanner:SpannerStore", "store", "spanner", "gcp")
    store = cls(
        project=spanner.project, instance=spanner.instance, database=spanner.database,
        emulator_host=spanner.emulator_host, pool_size=spanner.pool_size,
        timeout_s=spanner.timeout_s,
    )  # fmt: skip
    return store


def open_cached_store(settings: LeafLoafSettings) -> StateStore:
    """The durable store, read through the cache tier the settings name (if any)."""
    if settings.cache == "redis" and settings.store == "memory":
        raise ConfigError(
            "cache", "redis", "a shared cache needs a shared store; store='memory' is private "
            "to this process (choose sqlite, redis or spanner, or cache='memory')",
        )  # fmt: skip
    store = open_settings_store(settings)
    if settings.cache == "none":
        return store
    from leafloaf.stores.cached import CachedStore

    try:
        if settings.cache == "memory":
            from leafloaf.cache.base import InMemoryCache

            return CachedStore(store, InMemoryCache(capacity=settings.cache_size))
        redis = settings.redis
        cls = load_class("leafloaf.cache.redis:RedisCache", "cache", "redis", "redis")
        cache = cls(
            redis.url, namespace=redis.namespace, ttl_s=redis.cache_ttl_s,
            pool_size=redis.pool_size, timeout_s=redis.timeout_s,
        )  # fmt: skip
        return CachedStore(store, cache, ttl_s=redis.cache_ttl_s)
    except BaseException:
        store.close()
        raise


def open_analytics(settings: LeafLoafSettings) -> AnalyticsSink:
    """The analytics sink the settings name (the null sink for ``"none"``)."""
    from leafloaf.analytics.base import NullSink

    if settings.analytics == "none":
        return NullSink()
    target = ANALYTICS[settings.analytics]
    cls = load_class(
        target, "analytics", settings.analytics, settings.analytics.replace("bigquery", "gcp")
    )
    if settings.analytics == "duckdb":
        sink: AnalyticsSink = cls(settings.duckdb.path)
        return sink
    bq = settings.bigquery
    _required("bigquery", project=bq.project, dataset=bq.dataset)
    sink = cls(
        project=bq.project, dataset=bq.dataset, endpoint=bq.endpoint, queue_size=bq.queue_size,
        batch_size=bq.batch_size, deadline_s=bq.deadline_s, dead_letter_path=bq.dead_letter_path,
    )  # fmt: skip
    return sink


def _probe(backend: Any, name: str, kind: Any) -> BackendHealth:
    """``backend.health()`` when it has one; otherwise: it is in this process, so it is up."""
    probe = getattr(backend, "health", None)
    if probe is None:
        return BackendHealth(backend=name, kind=kind, status="ok", detail="in process")
    try:
        result: BackendHealth = probe()
    except Exception as exc:  # a health probe that fails reports the failure
        return BackendHealth(backend=name, kind=kind, status="down", last_error=f"{exc}")
    return result


def backend_health(
    store: StateStore,
    analytics: AnalyticsSink,
    memory: MemoryBackend,
    outbox: Outbox | None,
    search: SearchBackend | None,
) -> list[BackendHealth]:
    """One :class:`BackendHealth` per configured backend (what ``engine.health()`` returns)."""
    from leafloaf.stores.cached import CachedStore

    report = [_probe(store, store.name, "store")]
    if isinstance(store, CachedStore):
        report.append(_probe(store.cache, store.cache.name, "cache"))
    report.append(_probe(analytics, analytics.name, "analytics"))
    report.append(_probe(memory, type(memory).__name__, "memory"))
    if outbox is not None:
        start = time.perf_counter()
        depth = len(outbox)
        report.append(
            BackendHealth(
                backend="outbox", kind="outbox",
                status="ok" if depth == 0 else "degraded",
                latency_ms=round((time.perf_counter() - start) * 1000, 3),
                queue_depth=depth,
                detail=f"{depth} accepted events waiting for the store" if depth else outbox.path,
            )
        )  # fmt: skip
    if search is not None:
        found = search.health()
        report.append(
            BackendHealth(
                backend=found.backend, kind="search", status="ok" if found.ok else "down",
                detail=f"{found.mode} {found.detail}".strip(),
            )
        )  # fmt: skip
    return report
