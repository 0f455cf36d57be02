"""The read chain memory → Redis → durable store, and what happens when Redis goes away."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from leafloaf import GraphitiPersonalizationEngine, LeafLoafSettings
from leafloaf.bench.servers import RedisServer, find_redis_server
from leafloaf.cache.redis import RedisCache
from leafloaf.stores import SQLiteStore
from leafloaf.stores.base import Op
from leafloaf.stores.cached import CachedStore
from tests.runtime.faults import CATALOG, assert_same_state, history, reference


@pytest.fixture
def fragile(tmp_path: Path) -> Iterator[RedisServer]:
    """A redis-server of this test's own, to kill."""
    binary = find_redis_server()
    assert binary is not None
    server = RedisServer(binary, tmp_path / "redis")
    server.start()
    yield server
    server.stop()


def test_reads_fill_the_cache_and_writes_drop_the_entry(redis_url: str, tmp_path: Path) -> None:
    cache = RedisCache(redis_url)
    store = CachedStore(SQLiteStore(tmp_path / "s.db"), cache)
    store.apply({"ann": {"r": ((Op.ADD,), [1.0])}})
    assert list(store.rows_view("ann")["r"]) == [1.0]
    assert cache.get("ann", "rows") is not None  # filled by the read
    store.apply({"ann": {"r": ((Op.ADD,), [2.0])}})
    assert cache.get("ann", "rows") is None  # dropped by the write
    assert list(store.rows_view("ann")["r"]) == [3.0]
    store.forget_user("ann")
    assert cache.get("ann", "rows") is None and dict(store.rows_view("ann")) == {}
    store.close()


def test_an_engine_through_the_redis_cache_learns_what_the_store_alone_does(
    redis_url: str, tmp_path: Path
) -> None:
    settings = LeafLoafSettings(
        store="sqlite", sqlite={"path": str(tmp_path / "s.db")}, cache="redis",
        redis={"url": redis_url},
    )  # fmt: skip
    engine = GraphitiPersonalizationEngine.from_settings(CATALOG, settings)
    events = history(users=6)
    engine.record_many(events)
    assert_same_state(engine, reference(events))
    assert [h.kind for h in engine.health()][:2] == ["store", "cache"]
    engine.close()


def test_with_redis_down_the_engine_serves_from_the_durable_store_and_never_stale(
    fragile: RedisServer, tmp_path: Path
) -> None:
    cache = RedisCache(fragile.url, timeout_s=0.5, failure_threshold=1, reset_timeout_s=0.2)
    store = CachedStore(SQLiteStore(tmp_path / "s.db"), cache)
    engine = GraphitiPersonalizationEngine(CATALOG, store=store)
    events = history(users=4)
    engine.record_many(events[:40])
    before = engine.shopper_stats("u0").baskets
    assert cache.get("u0", "rows") is not None
    fragile.kill()
    engine.record_many(events[40:])  # commits to SQLite; the cache cannot be told
    after = engine.shopper_stats("u0").baskets  # a miss in memory, Redis down: the store
    assert after != before
    health = {h.kind: h for h in engine.health()}
    assert health["cache"].status == "down" and health["cache"].breaker == "open"
    assert health["store"].status == "ok"
    fragile.start()  # empty (no persistence) here; with persistence the generation covers it
    time.sleep(0.3)
    assert_same_state(engine, reference(events))
    engine.close()


def test_an_invalidation_lost_in_an_outage_is_never_served_later(
    fragile: RedisServer, tmp_path: Path
) -> None:
    fragile.stop()
    persistent = RedisServer(fragile.binary, tmp_path / "aof", persist=True)
    persistent.start()
    try:
        cache = RedisCache(persistent.url, timeout_s=0.5, failure_threshold=1, reset_timeout_s=0.2)
        cache.set("ann", "rows", b"old")
        persistent.kill()
        cache.delete("ann", "rows")  # lost: the server is down
        persistent.start()  # the append-only file brings "old" back
        time.sleep(0.3)
        assert cache.get("ann", "rows") is None  # a new generation: "old" is never read
        cache.set("ann", "rows", b"new")
        assert cache.get("ann", "rows") == b"new"
        cache.close()
    finally:
        persistent.stop()
