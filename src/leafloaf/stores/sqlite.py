"""SQLiteStore: embedded, durable StateStore in one file (standard-library sqlite3)."""

from __future__ import annotations

import sqlite3
import threading
from array import array
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import ClassVar

from leafloaf.models import Event
from leafloaf.stores.base import (
    EventRecord,
    RowDelta,
    StateStore,
    UserRows,
    event_from_record,
    event_to_record,
    merge_row,
)

__all__ = ["SQLiteStore"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS state (
    user_id TEXT NOT NULL,
    row_key TEXT NOT NULL,
    vals BLOB NOT NULL,
    PRIMARY KEY (user_id, row_key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL,
    user_id TEXT NOT NULL,
    ts REAL NOT NULL,
    product_id TEXT,
    quantity REAL NOT NULL,
    unit_price REAL,
    query TEXT,
    basket_id TEXT,
    member_id TEXT,
    household_id TEXT
);
CREATE INDEX IF NOT EXISTS events_user ON events (user_id);
"""
_COLUMNS = (
    "type, user_id, ts, product_id, quantity, unit_price, query, basket_id, member_id,"
    " household_id, event_id"
)
_CHUNK = 500


def _pack(values: Sequence[float]) -> bytes:
    return array("d", values).tobytes()


def _unpack(blob: bytes) -> list[float]:
    values = array("d")
    values.frombytes(blob)
    return values.tolist()


class SQLiteStore(StateStore):
    """Statistics and event log in one SQLite file; every batch commits atomically.

    Uses write-ahead logging so a killed process loses nothing that was committed, and a
    reopened store continues where it stopped. Duplicate detection covers the whole log.

    >>> store = SQLiteStore(":memory:")
    >>> store.event_count()
    0
    """

    name: ClassVar[str] = "sqlite"

    def __init__(self, path: str | Path = "leafloaf.db") -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._lock = threading.RLock()
        self._depth = 0
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        with self._lock:
            outer = self._depth == 0
            if outer:
                self._db.execute("BEGIN IMMEDIATE")
            self._depth += 1
            try:
                yield
            except BaseException:
                self._depth -= 1
                if outer:
                    self._db.execute("ROLLBACK")
                raise
            self._depth -= 1
            if outer:
                self._db.execute("COMMIT")

    def apply(self, updates: Mapping[str, Mapping[str, RowDelta]]) -> None:
        with self.transaction():
            for user_id, deltas in updates.items():
                current = self._user_rows(user_id, list(deltas))
                merged = [
                    (user_id, key, _pack(merge_row(ops, current.get(key), values)))
                    for key, (ops, values) in deltas.items()
                ]
                self._db.executemany(
                    "INSERT INTO state (user_id, row_key, vals) VALUES (?, ?, ?) "
                    "ON CONFLICT (user_id, row_key) DO UPDATE SET vals = excluded.vals",
                    merged,
                )

    def _user_rows(self, user_id: str, keys: list[str] | None = None) -> UserRows:
        if keys is None or len(keys) > _CHUNK:
            cursor = self._db.execute(
                "SELECT row_key, vals FROM state WHERE user_id = ?", (user_id,)
            )
            return {key: _unpack(blob) for key, blob in cursor}
        marks = ",".join("?" * len(keys))
        cursor = self._db.execute(
            f"SELECT row_key, vals FROM state WHERE user_id = ? AND row_key IN ({marks})",
            (user_id, *keys),
        )
        return {key: _unpack(blob) for key, blob in cursor}

    def rows(self, user_id: str) -> UserRows:
        with self._lock:
            return self._user_rows(user_id)

    def users(self) -> Iterator[str]:
        with self._lock:
            found = self._db.execute(
                "SELECT user_id FROM state UNION SELECT user_id FROM events"
            ).fetchall()
        return (row[0] for row in found)

    def append_events(self, events: Sequence[Event]) -> list[bool]:
        records = [event_to_record(e) for e in events]
        with self.transaction():
            known: set[str] = set()
            ids = [r[10] for r in records]
            for start in range(0, len(ids), _CHUNK):
                chunk = ids[start : start + _CHUNK]
                marks = ",".join("?" * len(chunk))
                cursor = self._db.execute(
                    f"SELECT event_id FROM events WHERE event_id IN ({marks})", chunk
                )
                known.update(row[0] for row in cursor)
            fresh: list[bool] = []
            to_insert: list[EventRecord] = []
            for record in records:
                new = record[10] not in known
                if new:
                    known.add(record[10])
                    to_insert.append(record)
                fresh.append(new)
            self._db.executemany(
                f"INSERT INTO events ({_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?)", to_insert
            )
        return fresh

    def events(self, user_id: str | None = None) -> Iterator[Event]:
        return (event_from_record(r) for r in self._select(user_id))

    def records(self) -> Iterator[EventRecord]:
        return iter(self._select(None))

    def _select(self, user_id: str | None) -> list[EventRecord]:
        with self._lock:
            if user_id is None:
                cursor = self._db.execute(f"SELECT {_COLUMNS} FROM events ORDER BY seq")
            else:
                cursor = self._db.execute(
                    f"SELECT {_COLUMNS} FROM events WHERE user_id = ? ORDER BY seq", (user_id,)
                )
            return [tuple(row) for row in cursor]

    def event_count(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM events").fetchone()[0])

    def forget_user(self, user_id: str) -> None:
        with self.transaction():
            self._db.execute("DELETE FROM state WHERE user_id = ?", (user_id,))
            self._db.execute("DELETE FROM events WHERE user_id = ?", (user_id,))

    def close(self) -> None:
        with self._lock:
            self._db.close()
