"""Outbox: a bounded, durable queue for accepted events the state store cannot take yet.

When the store is down, read-only or locked, events written here still count as accepted:
they are on disk, in order, and the engine replays them into the store (oldest first, ids
making the replay idempotent) as soon as it answers again. Events the store refuses as data
(a poison event) move to a dead-letter table with their error and never block the rest.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path

from leafloaf.errors import StoreError, StoreUnavailableError
from leafloaf.models import Event
from leafloaf.stores.base import event_from_record, event_to_record

__all__ = ["DeadLetter", "Outbox"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id TEXT NOT NULL,
    record TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS dead_letter (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id TEXT NOT NULL,
    record TEXT NOT NULL,
    error TEXT NOT NULL
);
"""

DeadLetter = tuple[Event, str]
"""A quarantined event and the error the store gave for it."""


def _encode(event: Event) -> tuple[str, str]:
    return event.user_id, json.dumps(event_to_record(event), allow_nan=False)


def _decode(text: str) -> Event:
    return event_from_record(tuple(json.loads(text)))


class Outbox:
    """Accepted events waiting for the store, in one SQLite file of their own.

    ``capacity`` bounds how many events may wait; beyond it ``put`` raises
    :class:`StoreUnavailableError` and the caller's events are not accepted.

    >>> box = Outbox(":memory:", capacity=10)
    >>> len(box)
    0
    """

    def __init__(self, path: str | os.PathLike[str], capacity: int = 1_000_000) -> None:
        if capacity <= 0:
            raise StoreError("outbox_capacity", capacity, "must be a positive number of events")
        self.path = os.fspath(path)
        self.capacity = capacity
        self._lock = threading.Lock()
        try:
            if self.path != ":memory:":
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA secure_delete=ON")
            if self.path != ":memory:":
                self._db.execute("PRAGMA journal_mode=WAL")
            self._db.executescript(_SCHEMA)
            self._count = int(self._db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0])
        except (sqlite3.Error, OSError) as exc:
            raise StoreError("outbox", self.path, f"cannot be opened: {exc}") from None

    def __len__(self) -> int:
        return self._count

    def put(self, events: Sequence[Event]) -> None:
        """Keep ``events`` durably, all or none; raises when full or unwritable."""
        with self._lock:
            if self._count + len(events) > self.capacity:
                raise StoreUnavailableError(
                    f"the store is unavailable and the outbox is full "
                    f"({self._count} of {self.capacity} events waiting)"
                )
            try:
                with self._db:
                    self._db.execute("BEGIN IMMEDIATE")
                    self._db.executemany(
                        "INSERT INTO outbox (user_id, record) VALUES (?, ?)",
                        [_encode(e) for e in events],
                    )
            except sqlite3.Error as exc:
                raise StoreUnavailableError(
                    f"the store is unavailable and the outbox cannot be written: {exc}"
                ) from exc
            self._count += len(events)

    def peek(self, limit: int) -> list[tuple[int, Event]]:
        """The oldest ``limit`` waiting events with their sequence numbers."""
        with self._lock:
            rows = self._db.execute(
                "SELECT seq, record FROM outbox ORDER BY seq LIMIT ?", (limit,)
            ).fetchall()
        return [(seq, _decode(text)) for seq, text in rows]

    def remove_through(self, seq: int) -> None:
        """Drop every waiting event up to and including ``seq`` (they reached the store)."""
        with self._lock:
            self._db.execute("DELETE FROM outbox WHERE seq <= ?", (seq,))
            self._count = int(self._db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0])

    def dead_letter(self, event: Event, error: str) -> None:
        """Quarantine an event the store refused as data, with the store's error."""
        user, record = _encode(event)
        with self._lock:
            self._db.execute(
                "INSERT INTO dead_letter (user_id, record, error) VALUES (?, ?, ?)",
                (user, record, error),
            )

    def dead_letters(self) -> list[DeadLetter]:
        """Every quarantined event with its error, oldest first."""
        with self._lock:
            rows = self._db.execute("SELECT record, error FROM dead_letter ORDER BY seq").fetchall()
        return [(_decode(text), error) for text, error in rows]

    def events(self, user_id: str) -> list[Event]:
        """A user's waiting and quarantined events (data-subject access)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT record FROM outbox WHERE user_id = ? UNION ALL "
                "SELECT record FROM dead_letter WHERE user_id = ?",
                (user_id, user_id),
            ).fetchall()
        return [_decode(text) for (text,) in rows]

    def forget_user(self, user_id: str) -> None:
        """Erase a user's waiting and quarantined events, leaving no bytes in the file."""
        with self._lock:
            self._db.execute("DELETE FROM outbox WHERE user_id = ?", (user_id,))
            self._db.execute("DELETE FROM dead_letter WHERE user_id = ?", (user_id,))
            self._count = int(self._db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0])
            if self.path != ":memory:":
                self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def close(self) -> None:
        with self._lock:
            self._db.close()
