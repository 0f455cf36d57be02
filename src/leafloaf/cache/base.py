"""The Cache seam: a shared, expiring key-value tier between the engine and its durable store.

Entries belong to a shopper (``user_id``) so an erasure can drop all of them at once. A
cache is never a source of truth: it may forget anything at any time, and a cache that is
down answers every ``get`` with a miss and drops writes rather than raising, so the engine
keeps serving from the durable store. An entry whose invalidation could not reach the cache
is never served afterwards (an implementation that can lose invalidations starts afresh).
"""

from __future__ import annotations

import threading
import time
from abc import ABC, abstractmethod
from collections import OrderedDict
from collections.abc import Callable
from typing import ClassVar

from leafloaf.errors import ConfigError
from leafloaf.health import BackendHealth

__all__ = ["Cache", "InMemoryCache"]


class Cache(ABC):
    """Bytes by ``(user_id, key)``, each with an optional time to live in seconds.

    All implementations pass ``tests/contract/test_cache.py``.
    """

    name: ClassVar[str]
    shared: ClassVar[bool]
    """True when other processes see the same entries (their writes invalidate them)."""

    @abstractmethod
    def get(self, user_id: str, key: str) -> bytes | None:
        """The entry, or None when absent, expired or the cache cannot answer."""

    @abstractmethod
    def set(self, user_id: str, key: str, value: bytes, ttl_s: float | None = None) -> None:
        """Keep ``value`` for ``ttl_s`` seconds (the cache's default when None)."""

    @abstractmethod
    def delete(self, user_id: str, key: str) -> None:
        """Drop one entry (it is never served again, even if the cache is down right now)."""

    @abstractmethod
    def forget_user(self, user_id: str) -> None:
        """Drop every entry of a shopper."""

    @abstractmethod
    def clear(self) -> None:
        """Drop every entry."""

    @abstractmethod
    def health(self) -> BackendHealth:
        """What the cache observed: latency of a probe, last error, breaker state."""

    def close(self) -> None:
        """Release connections."""


class InMemoryCache(Cache):
    """A bounded least-recently-used cache in this process (``cache = "memory"``).

    >>> cache = InMemoryCache(capacity=2)
    >>> cache.set("ann", "rows", b"x"); cache.get("ann", "rows")
    b'x'
    >>> cache.forget_user("ann"); cache.get("ann", "rows") is None
    True
    """

    name: ClassVar[str] = "memory"
    shared: ClassVar[bool] = False

    def __init__(
        self,
        capacity: int = 100_000,
        ttl_s: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if capacity < 1:
            raise ConfigError("capacity", capacity, "must be at least 1 entry")
        self.capacity = capacity
        self.ttl_s = ttl_s
        self._clock = clock
        self._lock = threading.Lock()
        self._data: OrderedDict[tuple[str, str], tuple[bytes, float]] = OrderedDict()

    def get(self, user_id: str, key: str) -> bytes | None:
        with self._lock:
            hit = self._data.get((user_id, key))
            if hit is None:
                return None
            if hit[1] <= self._clock():
                del self._data[(user_id, key)]
                return None
            self._data.move_to_end((user_id, key))
            return hit[0]

    def set(self, user_id: str, key: str, value: bytes, ttl_s: float | None = None) -> None:
        ttl = ttl_s if ttl_s is not None else self.ttl_s
        expires = self._clock() + ttl if ttl is not None else float("inf")
        with self._lock:
            self._data[(user_id, key)] = (value, expires)
            self._data.move_to_end((user_id, key))
            while len(self._data) > self.capacity:
                self._data.popitem(last=False)

    def delete(self, user_id: str, key: str) -> None:
        with self._lock:
            self._data.pop((user_id, key), None)

    def forget_user(self, user_id: str) -> None:
        with self._lock:
            for entry in [k for k in self._data if k[0] == user_id]:
                del self._data[entry]

    def clear(self) -> None:
        with self._lock:
            self._data.clear()

    def health(self) -> BackendHealth:
        return BackendHealth(
            backend="memory",
            kind="cache",
            status="ok",
            queue_depth=None,
            detail=f"{len(self._data)} of {self.capacity} entries",
        )
