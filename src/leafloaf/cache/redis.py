"""RedisCache: the shared cache tier on a Redis server (the ``[redis]`` extra).

Each shopper's entries are one hash, ``{ns}:c:<generation>:<user>``, whose time to live
every write renews. When the server cannot be reached the cache answers misses and drops
writes; if an invalidation was lost that way, the first call after the server returns
starts a new *generation* (one ``INCR``), so no entry written before the outage is ever
served again, by any process.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, ClassVar, TypeVar

from leafloaf.cache.base import Cache
from leafloaf.errors import ConfigError
from leafloaf.health import BackendHealth
from leafloaf.stores.redis import RedisConnection

__all__ = ["RedisCache"]

T = TypeVar("T")

_GET = """
local g = redis.call('GET', KEYS[1]) or '0'
return redis.call('HGET', ARGV[1] .. g .. ':' .. ARGV[2], ARGV[3])
"""
_SET = """
local g = redis.call('GET', KEYS[1]) or '0'
local key = ARGV[1] .. g .. ':' .. ARGV[2]
redis.call('HSET', key, ARGV[3], ARGV[4])
redis.call('PEXPIRE', key, ARGV[5])
return 1
"""
_DELETE = """
local g = redis.call('GET', KEYS[1]) or '0'
return redis.call('HDEL', ARGV[1] .. g .. ':' .. ARGV[2], ARGV[3])
"""
_FORGET = """
local g = tonumber(redis.call('GET', KEYS[1]) or '0')
for i = 0, g do redis.call('DEL', ARGV[1] .. i .. ':' .. ARGV[2]) end
return g
"""


class RedisCache(Cache):
    """Shopper entries in Redis hashes with a time to live, shared by every app process.

    ``ttl_s`` is the default time to live (renewed for a shopper's entries on every write).

    >>> cache = RedisCache("redis://127.0.0.1:6379/0", ttl_s=60)  # doctest: +SKIP
    """

    name: ClassVar[str] = "redis"
    shared: ClassVar[bool] = True

    def __init__(
        self,
        url: str = "redis://127.0.0.1:6379/0",
        *,
        namespace: str = "leafloaf",
        ttl_s: float = 300.0,
        pool_size: int = 16,
        timeout_s: float = 1.0,
        failure_threshold: int = 3,
        reset_timeout_s: float = 1.0,
    ) -> None:
        if ttl_s <= 0:
            raise ConfigError("ttl_s", ttl_s, "must be a positive number of seconds")
        self._conn = RedisConnection(
            url, namespace, pool_size, timeout_s, failure_threshold, reset_timeout_s, "redis cache"
        )
        self.url = url
        self.namespace = namespace
        self.ttl_s = ttl_s
        self._p = f"{{{namespace}}}:c:"
        self._gen = self._p + "generation"
        self._client = self._conn.client
        self.breaker = self._conn.breaker
        self._errors = self._conn.outages
        self._get = self._client.register_script(_GET)
        self._set = self._client.register_script(_SET)
        self._delete = self._client.register_script(_DELETE)
        self._forget = self._client.register_script(_FORGET)
        self._lock = threading.Lock()
        self._lost_invalidation = False

    def _try(self, work: Callable[[], T], invalidation: bool = False) -> T | None:
        """Run ``work`` unless the breaker is open; an outage gives None (and is remembered)."""
        if not self.breaker.allow():
            if invalidation:
                self._lost_invalidation = True
            return None
        try:
            if self._lost_invalidation:
                self._client.incr(self._gen)  # entries that may be stale are never read again
                self._lost_invalidation = False
            result = work()
        except self._errors as exc:
            self.breaker.failure(exc)
            if invalidation:
                self._lost_invalidation = True
            return None
        self.breaker.success()
        return result

    def get(self, user_id: str, key: str) -> bytes | None:
        value: Any = self._try(lambda: self._get(keys=[self._gen], args=[self._p, user_id, key]))
        return value if isinstance(value, bytes) else None

    def set(self, user_id: str, key: str, value: bytes, ttl_s: float | None = None) -> None:
        ttl_ms = max(1, round((ttl_s if ttl_s is not None else self.ttl_s) * 1000))
        args = [self._p, user_id, key, value, ttl_ms]
        self._try(lambda: self._set(keys=[self._gen], args=args))

    def delete(self, user_id: str, key: str) -> None:
        args = [self._p, user_id, key]
        self._try(lambda: self._delete(keys=[self._gen], args=args), invalidation=True)

    def forget_user(self, user_id: str) -> None:
        args = [self._p, user_id]
        self._try(lambda: self._forget(keys=[self._gen], args=args), invalidation=True)

    def clear(self) -> None:
        self._try(lambda: self._client.incr(self._gen), invalidation=True)

    def health(self) -> BackendHealth:
        def probe(client: Any) -> str:
            client.ping()
            return f"ttl {self.ttl_s:g} s"

        return self._conn.health("cache", probe, "misses are served from the durable store")

    def close(self) -> None:
        self._conn.close()
