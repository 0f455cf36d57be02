"""Contract suite every Cache passes: the in-process one and RedisCache on a real server."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from leafloaf.cache import Cache, InMemoryCache


@pytest.fixture(params=["memory", "redis"])
def cache(request: pytest.FixtureRequest) -> Iterator[Cache]:
    if request.param == "memory":
        instance: Cache = InMemoryCache(capacity=100)
    else:
        from leafloaf.cache.redis import RedisCache

        instance = RedisCache(request.getfixturevalue("redis_url"), ttl_s=60)
    yield instance
    instance.close()


def test_get_returns_what_was_set_and_none_otherwise(cache: Cache) -> None:
    assert cache.get("ann", "rows") is None
    cache.set("ann", "rows", b"\x00\x01payload")
    assert cache.get("ann", "rows") == b"\x00\x01payload"
    assert cache.get("bob", "rows") is None and cache.get("ann", "other") is None
    cache.set("ann", "rows", b"newer")
    assert cache.get("ann", "rows") == b"newer"


def test_delete_drops_one_entry(cache: Cache) -> None:
    cache.set("ann", "a", b"1")
    cache.set("ann", "b", b"2")
    cache.delete("ann", "a")
    assert cache.get("ann", "a") is None and cache.get("ann", "b") == b"2"


def test_forget_user_drops_every_entry_of_that_user_only(cache: Cache) -> None:
    cache.set("ann", "a", b"1")
    cache.set("ann", "b", b"2")
    cache.set("bob", "a", b"3")
    cache.forget_user("ann")
    assert cache.get("ann", "a") is None and cache.get("ann", "b") is None
    assert cache.get("bob", "a") == b"3"


def test_entries_expire_after_their_time_to_live(cache: Cache) -> None:
    cache.set("ann", "short", b"1", ttl_s=0.15)
    cache.set("bob", "long", b"2", ttl_s=30)
    assert cache.get("ann", "short") == b"1"
    time.sleep(0.3)
    assert cache.get("ann", "short") is None
    assert cache.get("bob", "long") == b"2"


def test_clear_drops_everything(cache: Cache) -> None:
    cache.set("ann", "a", b"1")
    cache.set("bob", "a", b"2")
    cache.clear()
    assert cache.get("ann", "a") is None and cache.get("bob", "a") is None


def test_health_reports_a_working_cache(cache: Cache) -> None:
    report = cache.health()
    assert report.kind == "cache" and report.status == "ok" and report.backend == cache.name


def test_the_memory_cache_keeps_at_most_its_capacity() -> None:
    cache = InMemoryCache(capacity=2)
    for user in ("a", "b", "c"):
        cache.set(user, "rows", user.encode())
    assert cache.get("a", "rows") is None and cache.get("c", "rows") == b"c"
