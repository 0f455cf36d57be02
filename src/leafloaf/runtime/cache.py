"""ProfileCache: a bounded, thread-safe LRU of per-user snapshots that never keeps a stale one.

Readers load a user's state without any lock; a writer that commits new state for the user
calls :meth:`ProfileCache.invalidate`. A load that was already in flight when the
invalidation happened still returns its (older) value to its own caller, but is not cached,
so the next read sees the new state: no read can pin a stale snapshot in the cache.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Generic, TypeVar

__all__ = ["ProfileCache"]

V = TypeVar("V")


class ProfileCache(Generic[V]):
    """Least-recently-used cache of up to ``capacity`` users' immutable snapshots.

    >>> cache: ProfileCache[int] = ProfileCache(capacity=2)
    >>> cache.get("ann", lambda: 1), cache.get("ann", lambda: 2)
    (1, 1)
    >>> cache.invalidate(["ann"]); cache.get("ann", lambda: 3)
    3
    """

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._lock = threading.Lock()
        self._data: OrderedDict[str, V] = OrderedDict()
        self._tick = 0
        self._cleared_at = 0
        self._dirty: dict[str, int] = {}
        """Tick of each user's latest invalidation; only needed while loads are in flight."""
        self._inflight: dict[int, int] = {}

    def __len__(self) -> int:
        return len(self._data)

    def peek(self, user_id: str) -> V | None:
        """The cached value, if any, without loading."""
        return self._data.get(user_id)

    def get(self, user_id: str, load: Callable[[], V]) -> V:
        """The cached snapshot of ``user_id``, or ``load()``'s result (cached if still fresh)."""
        with self._lock:
            value = self._data.get(user_id)
            if value is not None:
                self._data.move_to_end(user_id)
                return value
            token = self._tick
            self._inflight[token] = self._inflight.get(token, 0) + 1
        loaded: V | None = None
        try:
            loaded = value = load()
        finally:
            with self._lock:
                left = self._inflight[token] - 1
                if left:
                    self._inflight[token] = left
                else:
                    del self._inflight[token]
                fresh = self._cleared_at <= token and self._dirty.get(user_id, -1) <= token
                if loaded is not None and fresh and self.capacity > 0:
                    self._data[user_id] = loaded
                    if len(self._data) > self.capacity:
                        self._data.popitem(last=False)
                if not self._inflight:
                    self._dirty.clear()
        return value

    def invalidate(self, user_ids: Iterable[str]) -> None:
        """Drop these users' snapshots; loads already in flight will not be cached."""
        with self._lock:
            self._tick += 1
            track = bool(self._inflight)
            for user in user_ids:
                self._data.pop(user, None)
                if track:
                    self._dirty[user] = self._tick

    def clear(self) -> None:
        """Drop every snapshot (another process changed the store, a new population model)."""
        with self._lock:
            self._tick += 1
            self._cleared_at = self._tick
            self._data.clear()
