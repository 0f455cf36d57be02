"""SQLiteStore: embedded, durable StateStore in one file (standard-library sqlite3)."""

from __future__ import annotations

import os
import sqlite3
import threading
from array import array
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import ClassVar, TypeVar

from leafloaf.errors import StoreError, StoreUnavailableError
from leafloaf.models import Event
from leafloaf.stores.base import (
    EventRecord,
    RowDelta,
    StateStore,
    StoreSnapshot,
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
    household_id TEXT,
    utc_offset REAL NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS events_user ON events (user_id);
CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v INTEGER NOT NULL);
INSERT OR IGNORE INTO meta (k, v) VALUES ('commits', 0);
"""
_COLUMNS = (
    "type, user_id, ts, product_id, quantity, unit_price, query, basket_id, member_id,"
    " household_id, event_id, utc_offset"
)
_CHUNK = 500
_HEADER = b"SQLite format 3\x00"
T = TypeVar("T")


def _pack(values: Sequence[float]) -> bytes:
    return array("d", values).tobytes()


def _unpack(blob: bytes) -> list[float]:
    values = array("d")
    values.frombytes(blob)
    return values.tolist()


def _unavailable(exc: sqlite3.Error, path: str) -> StoreUnavailableError | None:
    """A passing outage (locked, read-only, I/O, full disk) as StoreUnavailableError."""
    if isinstance(exc, sqlite3.OperationalError):
        return StoreUnavailableError(f"SQLite store {path!r} cannot take writes now: {exc}")
    return None


def _check_file(path: str) -> None:
    """Refuse a file that is not a whole SQLite database (never replace it with a new one)."""
    file = Path(path)
    if file.is_dir():
        raise StoreError("path", path, "is a directory; give a database file path")
    if not file.exists() or file.stat().st_size == 0:
        return
    with file.open("rb") as handle:
        header = handle.read(100)
    if len(header) < 100 or not header.startswith(_HEADER):
        raise StoreError("path", path, "is not a SQLite database (wrong or truncated header)")
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65_536 if page_size == 1 else page_size
    pages = int.from_bytes(header[28:32], "big")
    if pages and file.stat().st_size < pages * page_size and not Path(f"{path}-wal").exists():
        raise StoreError(
            "path",
            path,
            f"is truncated: {file.stat().st_size} bytes where the header promises "
            f"{pages * page_size}; restore it from a backup",
        )


class SQLiteStore(StateStore):
    """Statistics and event log in one SQLite file; every batch commits atomically.

    Uses write-ahead logging: a killed process loses nothing that was committed, readers (on
    their own connection per thread) never wait for a writer, and other processes sharing the
    file see each other's commits. Erasure is secure: deleted content is overwritten and the
    log checkpointed, so a forgotten shopper leaves no bytes in the files. Duplicate detection
    covers the whole log.

    ``timeout`` is how long a write waits for another process's lock before the store counts
    as unavailable.

    >>> store = SQLiteStore(":memory:")
    >>> store.event_count()
    0
    """

    name: ClassVar[str] = "sqlite"

    def __init__(self, path: str | Path = "leafloaf.db", timeout: float = 5.0) -> None:
        self.path = os.fspath(path)
        self.timeout = timeout
        self._memory = self.path == ":memory:"
        if not self._memory:
            _check_file(self.path)
            try:
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError("path", self.path, f"cannot create its folder: {exc}") from None
        self._lock = threading.RLock()
        self._local = threading.local()
        self._readers: list[sqlite3.Connection] = []
        self._depth = 0
        self._external = False
        try:
            self._db = self._connect()
            self._db.executescript(_SCHEMA)
            columns = {row[1] for row in self._db.execute("PRAGMA table_info(events)")}
            if "utc_offset" not in columns:  # files written before offsets were kept
                self._db.execute("ALTER TABLE events ADD COLUMN utc_offset REAL NOT NULL DEFAULT 0")
            self._seen = int(
                self._db.execute("SELECT v FROM meta WHERE k = 'commits'").fetchone()[0]
            )
        except sqlite3.DatabaseError as exc:
            raise StoreError("path", self.path, f"cannot be opened as a store: {exc}") from None

    def _connect(self, readonly: bool = False) -> sqlite3.Connection:
        db = sqlite3.connect(
            self.path, timeout=self.timeout, check_same_thread=False, isolation_level=None
        )
        if not self._memory:
            db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("PRAGMA secure_delete=ON")  # erased shoppers leave no bytes behind
        if readonly:
            db.execute("PRAGMA query_only=ON")
        return db

    def _reader(self) -> sqlite3.Connection:
        """This thread's read connection (WAL: reads never wait for the writer)."""
        if self._memory:
            return self._db
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None:
            db = self._local.db = self._connect(readonly=True)
            with self._lock:
                self._readers.append(db)
        return db

    def _read(self, work: Callable[[sqlite3.Connection], T]) -> T:
        try:
            if self._memory:
                with self._lock:
                    return work(self._db)
            return work(self._reader())
        except sqlite3.Error as exc:
            raise _unavailable(exc, self.path) or exc from exc

    @contextmanager
    def transaction(self) -> Iterator[None]:
        with self._lock:
            outer = self._depth == 0
            if outer:
                try:
                    self._db.execute("BEGIN IMMEDIATE")
                except sqlite3.Error as exc:
                    raise _unavailable(exc, self.path) or exc from exc
            self._depth += 1
            try:
                yield
                if outer:
                    (total,) = self._db.execute(
                        "UPDATE meta SET v = v + 1 WHERE k = 'commits' RETURNING v"
                    ).fetchone()
                    self._db.execute("COMMIT")
                    if total != self._seen + 1:
                        self._external = True
                    self._seen = total
            except BaseException as exc:
                if outer and self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                if isinstance(exc, sqlite3.Error):
                    raise _unavailable(exc, self.path) or exc from exc
                raise
            finally:
                self._depth -= 1

    def external_changes(self) -> bool:
        if self._memory:
            return False
        total = self._read(
            lambda db: int(db.execute("SELECT v FROM meta WHERE k = 'commits'").fetchone()[0])
        )
        with self._lock:
            changed = self._external or total > self._seen
            self._external = False
            self._seen = max(self._seen, total)
        return changed

    # --- rows ----------------------------------------------------------------------------------
    def apply(self, updates: Mapping[str, Mapping[str, RowDelta]]) -> None:
        with self.transaction():
            for user_id, deltas in updates.items():
                current = self._user_rows(self._db, user_id, list(deltas))
                merged = [
                    (user_id, key, _pack(merge_row(ops, current.get(key), values)))
                    for key, (ops, values) in deltas.items()
                ]
                self._db.executemany(
                    "INSERT INTO state (user_id, row_key, vals) VALUES (?, ?, ?) "
                    "ON CONFLICT (user_id, row_key) DO UPDATE SET vals = excluded.vals",
                    merged,
                )

    def replace_rows(self, user_id: str, rows: Mapping[str, Sequence[float]]) -> None:
        with self.transaction():
            self._db.execute("DELETE FROM state WHERE user_id = ?", (user_id,))
            self._db.executemany(
                "INSERT INTO state (user_id, row_key, vals) VALUES (?, ?, ?)",
                [(user_id, key, _pack(values)) for key, values in rows.items()],
            )

    @staticmethod
    def _user_rows(db: sqlite3.Connection, user_id: str, keys: list[str] | None = None) -> UserRows:
        if keys is None or len(keys) > _CHUNK:
            cursor = db.execute("SELECT row_key, vals FROM state WHERE user_id = ?", (user_id,))
            return {key: _unpack(blob) for key, blob in cursor}
        marks = ",".join("?" * len(keys))
        cursor = db.execute(
            f"SELECT row_key, vals FROM state WHERE user_id = ? AND row_key IN ({marks})",
            (user_id, *keys),
        )
        return {key: _unpack(blob) for key, blob in cursor}

    def rows(self, user_id: str) -> UserRows:
        return self._read(lambda db: self._user_rows(db, user_id))

    def rows_view(self, user_id: str) -> Mapping[str, Sequence[float]]:
        """Rows as packed arrays (no float objects: cheap to keep in the profile cache)."""

        def select(db: sqlite3.Connection) -> dict[str, array[float]]:
            cursor = db.execute("SELECT row_key, vals FROM state WHERE user_id = ?", (user_id,))
            out = {}
            for key, blob in cursor:
                values = array("d")
                values.frombytes(blob)
                out[key] = values
            return out

        return self._read(select)

    def users(self) -> Iterator[str]:
        found = self._read(
            lambda db: db.execute(
                "SELECT user_id FROM state UNION SELECT user_id FROM events"
            ).fetchall()
        )
        return (row[0] for row in found)

    # --- event log -----------------------------------------------------------------------------
    def append_events(self, events: Sequence[Event]) -> list[bool]:
        return self.append_records(events, [event_to_record(e) for e in events])

    def append_records(self, events: Sequence[Event], records: Sequence[EventRecord]) -> list[bool]:
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
                f"INSERT INTO events ({_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", to_insert
            )
        return fresh

    def events(self, user_id: str | None = None) -> Iterator[Event]:
        return (event_from_record(r) for r in self._select(user_id))

    def records(self) -> Iterator[EventRecord]:
        return iter(self._select(None))

    def mentioning(self, subject: str) -> list[Event]:
        found = self._read(
            lambda db: db.execute(
                f"SELECT {_COLUMNS} FROM events WHERE user_id != ? "
                "AND (member_id = ? OR household_id = ?) ORDER BY seq",
                (subject, subject, subject),
            ).fetchall()
        )
        return [event_from_record(tuple(row)) for row in found]

    def _select(self, user_id: str | None) -> list[EventRecord]:
        def select(db: sqlite3.Connection) -> list[EventRecord]:
            if user_id is None:
                cursor = db.execute(f"SELECT {_COLUMNS} FROM events ORDER BY seq")
            else:
                cursor = db.execute(
                    f"SELECT {_COLUMNS} FROM events WHERE user_id = ? ORDER BY seq", (user_id,)
                )
            return [tuple(row) for row in cursor]

        return self._read(select)

    def event_count(self) -> int:
        return self._read(lambda db: int(db.execute("SELECT COUNT(*) FROM events").fetchone()[0]))

    def forget_user(self, user_id: str) -> None:
        with self.transaction():
            self._db.execute("DELETE FROM state WHERE user_id = ?", (user_id,))
            self._db.execute("DELETE FROM events WHERE user_id = ?", (user_id,))
        self._scrub()

    def forget_events(self, event_ids: Sequence[str]) -> None:
        with self.transaction():
            self._db.executemany("DELETE FROM events WHERE event_id = ?", [(e,) for e in event_ids])
        self._scrub()

    def _scrub(self) -> None:
        """Move the write-ahead log into the file and truncate it: no erased page survives."""
        if self._memory or self._depth:
            return  # inside a larger transaction: its owner checkpoints after commit
        with self._lock:
            try:
                self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            except sqlite3.Error as exc:
                raise _unavailable(exc, self.path) or exc from exc

    def checkpoint(self) -> None:
        """Checkpoint and truncate the write-ahead log (done after every erasure)."""
        self._scrub()

    def snapshot(self) -> StoreSnapshot:
        if self._memory:
            with self._lock:
                users = sorted(
                    {
                        row[0]
                        for row in self._db.execute(
                            "SELECT user_id FROM state UNION SELECT user_id FROM events"
                        )
                    }
                )
                rows = {u: self._user_rows(self._db, u) for u in users}
                records = self._select(None)
            return _SQLiteSnapshot(None, users, rows, records)
        db = self._connect(readonly=True)
        db.execute("BEGIN")
        users = sorted(
            row[0]
            for row in db.execute("SELECT user_id FROM state UNION SELECT user_id FROM events")
        )
        return _SQLiteSnapshot(db, users, None, None)

    def close(self) -> None:
        with self._lock:
            self._db.close()
            for reader in self._readers:
                reader.close()
            self._readers.clear()
            self._local = threading.local()


class _SQLiteSnapshot(StoreSnapshot):
    """A read transaction on its own connection: WAL keeps its view fixed while writes go on."""

    def __init__(
        self,
        db: sqlite3.Connection | None,
        users: list[str],
        rows: dict[str, UserRows] | None,
        records: list[EventRecord] | None,
    ) -> None:
        self._db = db
        self._users = users
        self._rows = rows
        self._records = records

    def users(self) -> list[str]:
        return self._users

    def rows(self, user_id: str) -> Mapping[str, Sequence[float]]:
        if self._rows is not None:
            return self._rows.get(user_id, {})
        assert self._db is not None
        return SQLiteStore._user_rows(self._db, user_id)

    def records(self) -> Iterator[EventRecord]:
        if self._records is not None:
            return iter(self._records)
        assert self._db is not None
        return (
            tuple(row) for row in self._db.execute(f"SELECT {_COLUMNS} FROM events ORDER BY seq")
        )

    def event_count(self) -> int:
        if self._records is not None:
            return len(self._records)
        assert self._db is not None
        return int(self._db.execute("SELECT COUNT(*) FROM events").fetchone()[0])

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
