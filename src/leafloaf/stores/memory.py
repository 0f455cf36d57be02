"""InMemoryStore: the default StateStore, plain dictionaries in this process."""

from __future__ import annotations

import threading
from array import array
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import ClassVar

from leafloaf.models import Event
from leafloaf.stores.base import (
    EventRecord,
    RowDelta,
    StateStore,
    StoreSnapshot,
    UserRows,
    event_from_record,
    event_to_record,
    merger_for,
)

__all__ = ["InMemoryStore"]

_Rows = dict[str, "array[float]"]


class _Transaction:
    """Changes of an open transaction, invisible to readers until it commits."""

    __slots__ = ("copied", "forgotten", "log", "removed_events", "rows")

    def __init__(self) -> None:
        self.rows: dict[str, _Rows] = {}
        """Working copy of each touched user's row dict."""
        self.copied: set[tuple[str, str]] = set()
        """Rows already copied into this transaction (the rest are shared with readers)."""
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
        self._rows: dict[str, _Rows] = {}
        self._log: dict[str, EventRecord] = {}
        self._by_user: dict[str, list[str]] = {}
        self._tx: _Transaction | None = None
        self._owner: int | None = None

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
        for user in tx.forgotten:
            self._rows.pop(user, None)
            for event_id in self._by_user.pop(user, ()):
                self._log.pop(event_id, None)
        if tx.removed_events:
            touched = set()
            for event_id in tx.removed_events:
                record = self._log.pop(event_id, None)
                if record is not None:
                    touched.add(record[1])
            for user in touched:
                kept = [e for e in self._by_user.get(user, ()) if e not in tx.removed_events]
                if kept:
                    self._by_user[user] = kept
                else:
                    self._by_user.pop(user, None)
        for user, rows in tx.rows.items():
            if rows:
                self._rows[user] = rows
            else:
                self._rows.pop(user, None)
        by_user = self._by_user
        for event_id, record in tx.log.items():
            self._log[event_id] = record
            ids = by_user.get(record[1])
            if ids is None:
                by_user[record[1]] = [event_id]
            else:
                ids.append(event_id)

    def _working(self, tx: _Transaction, user_id: str) -> _Rows:
        rows = tx.rows.get(user_id)
        if rows is None:
            base = {} if user_id in tx.forgotten else self._rows.get(user_id, {})
            rows = tx.rows[user_id] = dict(base)
        return rows

    # --- rows ----------------------------------------------------------------------------------
    def apply(self, updates: Mapping[str, Mapping[str, RowDelta]]) -> None:
        with self.transaction():
            tx = self._tx
            assert tx is not None
            copied = tx.copied
            for user_id, deltas in updates.items():
                rows = self._working(tx, user_id)
                for key, (ops, values) in deltas.items():
                    current = rows.get(key)
                    if current is None:
                        # packed doubles: a third of the memory of a list of float objects
                        rows[key] = array("d", values)
                        copied.add((user_id, key))
                        continue
                    if (user_id, key) not in copied:
                        current = rows[key] = array("d", current)
                        copied.add((user_id, key))
                    merger_for(ops)(current, values)  # type: ignore[arg-type]

    def replace_rows(self, user_id: str, rows: Mapping[str, Sequence[float]]) -> None:
        with self.transaction():
            tx = self._tx
            assert tx is not None
            tx.rows[user_id] = {key: array("d", values) for key, values in rows.items()}
            tx.copied.update((user_id, key) for key in rows)

    def rows(self, user_id: str) -> UserRows:
        return {k: list(v) for k, v in self._rows.get(user_id, {}).items()}

    def rows_view(self, user_id: str) -> Mapping[str, Sequence[float]]:
        """The published rows themselves: never modified after a commit, safe to read."""
        return self._rows.get(user_id, {})

    def users(self) -> Iterator[str]:
        with self._lock:
            found = list(dict.fromkeys([*self._rows, *self._by_user]))
        return iter(found)

    # --- event log -----------------------------------------------------------------------------
    def append_events(self, events: Sequence[Event]) -> list[bool]:
        with self.transaction():
            tx = self._tx
            assert tx is not None
            log, pending = self._log, tx.log
            fresh = []
            for event in events:
                event_id = event.event_id
                new = (
                    event_id not in pending
                    and (event_id not in log or event_id in tx.removed_events)
                    and not (event_id in log and log[event_id][1] in tx.forgotten)
                )
                if new:
                    pending[event_id] = event_to_record(event)
                fresh.append(new)
            return fresh

    def events(self, user_id: str | None = None) -> Iterator[Event]:
        return (event_from_record(record) for record in self._select(user_id))

    def _select(self, user_id: str | None) -> list[EventRecord]:
        with self._lock:
            if user_id is None:
                return list(self._log.values())
            log = self._log
            return [log[event_id] for event_id in self._by_user.get(user_id, ())]

    def records(self) -> Iterator[EventRecord]:
        """The stored event records, without building Event objects (fast batch scans)."""
        return iter(self._select(None))

    def event_count(self) -> int:
        return len(self._log)

    def forget_user(self, user_id: str) -> None:
        with self.transaction():
            tx = self._tx
            assert tx is not None
            tx.forgotten.add(user_id)
            tx.rows.pop(user_id, None)
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
            return _MemorySnapshot(dict(self._rows), list(self._log.values()))


class _MemorySnapshot(StoreSnapshot):
    """Published row dicts and log records captured under the store lock (no copies of data)."""

    def __init__(self, rows: dict[str, _Rows], records: list[EventRecord]) -> None:
        self._rows = rows
        self._records = records
        users = dict.fromkeys(rows)
        users.update(dict.fromkeys(r[1] for r in records))
        self._users = sorted(users)

    def users(self) -> list[str]:
        return self._users

    def rows(self, user_id: str) -> Mapping[str, Sequence[float]]:
        return self._rows.get(user_id, {})

    def records(self) -> Iterator[EventRecord]:
        return iter(self._records)

    def event_count(self) -> int:
        return len(self._records)
