"""RedisCache: the shared cache tier on a Redis server (the ``[redis]`` extra).

Each shopper's entries are one hash, ``{ns}:c:<generation>:<user>``, whose time to live
every write renews. When the server cannot be reached the cache answers misses and drops
writes; if an invalidation was lost that way, the first call after the server returns
starts a new *generation* (one ``INCR``), so no entry written before the outage is ever
served again, by any process.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, ClassVar, TypeVar

from leafloaf.cache.base import Cache
from leafloaf.errors import ConfigError
from leafloaf.health import BackendHealth
from leafloaf.runtime.breaker import CircuitBreaker
from leafloaf.stores.redis import connect_redis

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
        if not namespace or any(c in namespace for c in "{}"):
            raise ConfigError("namespace", namespace, "must be non-empty, without '{' or '}'")
        self.url = url
        self.namespace = namespace
        self.ttl_s = ttl_s
        self._p = f"{{{namespace}}}:c:"
        self._gen = self._p + "generation"
        self._client = connect_redis(url, pool_size, timeout_s)
        self.breaker = CircuitBreaker(
            f"redis cache {namespace}", failure_threshold, reset_timeout_s
        )
        import redis

        self._errors = (redis.ConnectionError, redis.TimeoutError, redis.BusyLoadingError)
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
        start = time.perf_counter()
        try:
            self._client.ping()
        except Exception as exc:
            return BackendHealth(
                backend="redis",
                kind="cache",
                status="down",
                last_error=f"{type(exc).__name__}: {exc}",
                breaker=self.breaker.state,
                detail="misses are served from the durable store",
            )
        breaker = self.breaker.state
        return BackendHealth(
            backend="redis",
            kind="cache",
            status="ok" if breaker == "closed" else "degraded",
            latency_ms=round((time.perf_counter() - start) * 1000, 3),
            last_error=self.breaker.last_error,
            breaker=breaker,
            detail=f"ttl {self.ttl_s:g} s",
        )

    def close(self) -> None:
        self._client.close()
        self._client.connection_pool.disconnect()
