"""CachedStore: a durable StateStore read through a cache tier (memory or Redis).

The read chain is the engine's own per-process profile cache, then this cache, then the
durable store. A cache that is down only turns hits into misses: every read falls through
to the store, every write still commits there, and the cache's circuit breaker keeps a dead
server from adding its timeout to each call.
"""

from __future__ import annotations

import json
import logging
import threading
from array import array
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from leafloaf.cache.base import Cache
from leafloaf.health import BackendHealth
from leafloaf.models import Event
from leafloaf.stores.base import EventRecord, RowDelta, StateStore, StoreSnapshot, UserRows

__all__ = ["CachedStore"]

log = logging.getLogger("leafloaf")
_ROWS = "rows"


def encode_rows(rows: Mapping[str, Sequence[float]]) -> bytes:
    """One shopper's rows as bytes: a JSON header of keys and lengths, then float64 values."""
    header = json.dumps([[key, len(values)] for key, values in rows.items()]).encode()
    body = b"".join(array("d", values).tobytes() for values in rows.values())
    return header + b"\n" + body


def decode_rows(blob: bytes) -> dict[str, array[float]]:
    """The inverse of :func:`encode_rows`.

    >>> dict(decode_rows(encode_rows({"a": [1.0, 2.0]})))
    {'a': array('d', [1.0, 2.0])}
    """
    head, _, body = blob.partition(b"\n")
    values = array("d")
    values.frombytes(body)
    out: dict[str, array[float]] = {}
    start = 0
    for key, length in json.loads(head):
        out[key] = values[start : start + length]
        start += length
    return out


class CachedStore(StateStore):
    """``store`` with its shoppers' rows cached in ``cache`` for ``ttl_s`` seconds.

    Writes commit to the store first and then drop the touched shoppers' entries. A load that
    raced with a write in this process is not cached; a write by another process is seen
    when that process drops the shared entry (Redis), or within ``ttl_s`` at most.

    >>> from leafloaf.cache import InMemoryCache
    >>> from leafloaf.stores import InMemoryStore
    >>> store = CachedStore(InMemoryStore(), InMemoryCache())
    >>> store.name
    'memory'
    """

    def __init__(self, store: StateStore, cache: Cache, ttl_s: float | None = None) -> None:
        self.store = store
        self.cache = cache
        self.ttl_s = ttl_s
        self.name = store.name  # type: ignore[misc]
        self._lock = threading.RLock()
        self._depth = 0
        self._touched: set[str] = set()
        self._tick = 0
        self._written: dict[str, int] = {}

    # --- the cached read -----------------------------------------------------------------------
    def rows_view(self, user_id: str) -> Mapping[str, Sequence[float]]:
        try:
            blob = self.cache.get(user_id, _ROWS)
        except Exception as exc:  # a cache never costs a read
            log.warning("cache %s failed on get: %s", self.cache.name, exc)
            blob = None
        if blob is not None:
            return decode_rows(blob)
        tick = self._tick
        rows = self.store.rows_view(user_id)
        if self._written.get(user_id, -1) <= tick and not self._depth:
            try:
                self.cache.set(user_id, _ROWS, encode_rows(rows), self.ttl_s)
            except Exception as exc:
                log.warning("cache %s failed on set: %s", self.cache.name, exc)
        return rows

    def _invalidate(self, users: set[str], forget: bool = False) -> None:
        self._tick += 1
        for user in users:
            self._written[user] = self._tick
            try:
                if forget:
                    self.cache.forget_user(user)
                else:
                    self.cache.delete(user, _ROWS)
            except Exception as exc:
                log.warning("cache %s failed to drop %s: %s", self.cache.name, user, exc)
        if len(self._written) > 100_000:  # only loads in flight need these
            self._written.clear()

    # --- writes: the store first, then the cache -------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[None]:
        with self._lock:
            self._depth += 1
            try:
                with self.store.transaction():
                    yield
            finally:
                self._depth -= 1
                if not self._depth:
                    touched, self._touched = self._touched, set()
                    self._invalidate(touched)

    def _touch(self, users: Iterator[str] | Sequence[str]) -> None:
        with self._lock:
            self._touched.update(users)
            if not self._depth:
                touched, self._touched = self._touched, set()
                self._invalidate(touched)

    def apply(self, updates: Mapping[str, Mapping[str, RowDelta]]) -> None:
        self.store.apply(updates)
        self._touch(list(updates))

    def replace_rows(self, user_id: str, rows: Mapping[str, Sequence[float]]) -> None:
        self.store.replace_rows(user_id, rows)
        self._touch([user_id])

    def forget_user(self, user_id: str) -> None:
        self.store.forget_user(user_id)
        self._touch([user_id])
        with self._lock:
            self._invalidate({user_id}, forget=True)

    def external_changes(self) -> bool:
        changed = self.store.external_changes()
        if changed and not self.cache.shared:
            self.cache.clear()  # a private cache cannot know what the other process wrote
        return changed

    # --- everything else is the store's -------------------------------------------------------
    def rows(self, user_id: str) -> UserRows:
        return self.store.rows(user_id)

    def users(self) -> Iterator[str]:
        return self.store.users()

    def append_events(self, events: Sequence[Event]) -> list[bool]:
        return self.store.append_events(events)

    def events(self, user_id: str | None = None) -> Iterator[Event]:
        return self.store.events(user_id)

    def records(self) -> Iterator[EventRecord]:
        return self.store.records()

    def mentioning(self, subject: str) -> list[Event]:
        return self.store.mentioning(subject)

    def event_count(self) -> int:
        return self.store.event_count()

    def forget_events(self, event_ids: Sequence[str]) -> None:
        self.store.forget_events(event_ids)

    def checkpoint(self) -> None:
        self.store.checkpoint()

    def snapshot(self) -> StoreSnapshot:
        return self.store.snapshot()

    def health(self) -> BackendHealth:
        return self.store.health()

    def backends(self) -> list[Any]:
        """The store and the cache (what ``engine.health()`` reports on)."""
        return [self.store, self.cache]

    def close(self) -> None:
        self.cache.close()
        self.store.close()
