"""InMemoryStore: the default StateStore, plain dictionaries in this process."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, ClassVar

from leafloaf.learning.pacing import paced
from leafloaf.models import Event
from leafloaf.stores.base import (
    EventRecord,
    RowDelta,
    StateStore,
    StoreSnapshot,
    UserRows,
    event_from_record,
    event_to_record,
)
from leafloaf.stores.eventlog import EventLog
from leafloaf.stores.rowblock import RowBlock, RowDraft

__all__ = ["InMemoryStore"]

_EMPTY: Mapping[str, Sequence[float]] = {}


class _Transaction:
    """Changes of an open transaction, invisible to readers until it commits."""

    __slots__ = ("forgotten", "log", "removed_events", "rows")

    def __init__(self) -> None:
        self.rows: dict[str, RowDraft | None] = {}
        """Working copy of each touched user's rows (None: all of them dropped)."""
        self.log: dict[str, EventRecord] = {}
        self.forgotten: set[str] = set()
        self.removed_events: set[str] = set()


class InMemoryStore(StateStore):
    """Statistics and event log in dictionaries: fastest, gone when the process ends.

    Writes are copy-on-write: a transaction works on private copies of the rows it touches
    and publishes them when it commits, so readers never take a lock, never see half a batch,
    and a failed transaction leaves nothing behind. Duplicate detection covers every event
    still in the log (the window is the log itself).

    >>> store = InMemoryStore()
    >>> store.event_count()
    0
    """

    name: ClassVar[str] = "memory"

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._rows: dict[str, RowBlock] = {}
        self._log = EventLog()
        self._tx: _Transaction | None = None

    # --- transactions ------------------------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[None]:
        with self._lock:
            if self._tx is not None:  # nested: part of the outer transaction
                yield
                return
            self._tx = _Transaction()
            try:
                yield
            except BaseException:
                self._tx = None
                raise
            tx, self._tx = self._tx, None
            self._publish(tx)

    def _publish(self, tx: _Transaction) -> None:
        if tx.forgotten or tx.removed_events:  # erasure: a compacted log replaces the old one
            self._log = self._log.without(tx.forgotten, tx.removed_events)
            for user in tx.forgotten:
                self._rows.pop(user, None)
        for user, draft in paced(tx.rows.items(), every=64):
            if draft is not None and draft.keys:
                self._rows[user] = draft.freeze()
            else:
                self._rows.pop(user, None)
        if tx.log:
            self._log.append(tx.log.values())

    def _working(self, tx: _Transaction, user_id: str) -> RowDraft:
        draft = tx.rows.get(user_id)
        if draft is None:
            base = None if user_id in tx.forgotten else self._rows.get(user_id)
            draft = tx.rows[user_id] = RowDraft(base)
        return draft

    # --- rows ----------------------------------------------------------------------------------
    def apply(self, updates: Mapping[str, Mapping[str, RowDelta]]) -> None:
        with self.transaction():
            tx = self._tx
            assert tx is not None
            for user_id, deltas in paced(updates.items(), every=64):
                draft = self._working(tx, user_id)
                for key, (ops, values) in deltas.items():
                    draft.merge(key, ops, values)

    def replace_rows(self, user_id: str, rows: Mapping[str, Sequence[float]]) -> None:
        with self.transaction():
            tx = self._tx
            assert tx is not None
            draft = tx.rows[user_id] = RowDraft(None)
            for key, values in rows.items():
                draft.merge(key, (), values)

    def rows(self, user_id: str) -> UserRows:
        block = self._rows.get(user_id)
        if block is None:
            return {}
        return {key: values[start:end].tolist() for key, values, start, end in block.views()}

    def rows_view(self, user_id: str) -> Mapping[str, Sequence[float]]:
        """The published block itself: never modified after a commit, safe to read."""
        return self._rows.get(user_id) or _EMPTY

    def users(self) -> Iterator[str]:
        with self._lock:
            found = list(dict.fromkeys([*self._rows, *self._log.user_ids()]))
        return iter(found)

    # --- event log -----------------------------------------------------------------------------
    def append_events(self, events: Sequence[Event]) -> list[bool]:
        return self.append_records(events, [event_to_record(e) for e in events])

    def append_records(self, events: Sequence[Event], records: Sequence[EventRecord]) -> list[bool]:
        with self.transaction():
            tx = self._tx
            assert tx is not None
            pending = tx.log
            known = self._log.known([r[10] for r in records])
            if known and (tx.forgotten or tx.removed_events):  # erased in this transaction
                known = {
                    e
                    for e in known
                    if e not in tx.removed_events and self._log.owner(e) not in tx.forgotten
                }
            fresh = []
            for record in records:
                event_id = record[10]
                new = event_id not in pending and event_id not in known
                if new:
                    pending[event_id] = record
                fresh.append(new)
            return fresh

    def events(self, user_id: str | None = None) -> Iterator[Event]:
        return (event_from_record(record) for record in self._select(user_id))

    def _select(self, user_id: str | None) -> list[EventRecord]:
        log = self._log
        if user_id is None:
            return list(log.records())
        return log.user_records(user_id)

    def records(self) -> Iterator[EventRecord]:
        """The stored event records, without building Event objects (fast batch scans)."""
        return self._log.records(len(self._log))

    def mentioning(self, subject: str) -> list[Event]:
        return [event_from_record(record) for record in self._log.mentioning(subject)]

    def event_count(self) -> int:
        return len(self._log)

    def forget_user(self, user_id: str) -> None:
        with self.transaction():
            tx = self._tx
            assert tx is not None
            tx.forgotten.add(user_id)
            tx.rows[user_id] = None
            for event_id in [e for e, r in tx.log.items() if r[1] == user_id]:
                del tx.log[event_id]

    def forget_events(self, event_ids: Sequence[str]) -> None:
        with self.transaction():
            tx = self._tx
            assert tx is not None
            for event_id in event_ids:
                tx.log.pop(event_id, None)
                tx.removed_events.add(event_id)

    def snapshot(self) -> StoreSnapshot:
        with self._lock:
            return _MemorySnapshot(dict(self._rows), self._log, len(self._log))


class _MemorySnapshot(StoreSnapshot):
    """Published row dicts and the log up to its length, captured under the store lock.

    Nothing is copied: published rows never change, and the log only grows past ``stop``
    (an erasure replaces the whole log object, leaving this one as it was).
    """

    def __init__(self, rows: dict[str, RowBlock], log: EventLog, stop: int) -> None:
        self._rows = rows
        self._log = log
        self._stop = stop
        users = dict.fromkeys(rows)
        users.update(dict.fromkeys(log.user_ids()))
        self._users = sorted(users)

    def users(self) -> list[str]:
        return self._users

    def rows(self, user_id: str) -> Mapping[str, Sequence[float]]:
        return self._rows.get(user_id) or _EMPTY

    def records(self) -> Iterator[EventRecord]:
        return self._log.records(self._stop)

    def event_count(self) -> int:
        return self._stop

    def purchase_arrays(self) -> tuple[Any, Any, Any, Any, list[str], list[str]] | None:
        return self._log.purchase_arrays(self._stop)
