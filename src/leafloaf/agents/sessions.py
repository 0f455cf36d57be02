"""Session stores: in memory (default) and SQLite; a Redis one stores the same JSON with a TTL."""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections import OrderedDict
from pathlib import Path

from leafloaf.agents.base import SessionState, SessionStore
from leafloaf.errors import ConfigError, StoreUnavailableError
from leafloaf.health import BackendHealth

__all__ = ["InMemorySessionStore", "SQLiteSessionStore"]


def _check_ttl(ttl: float | None) -> None:
    if ttl is not None and not ttl > 0:
        raise ConfigError("ttl", ttl, "must be a number of seconds > 0 (or None: no expiry)")


class InMemorySessionStore(SessionStore):
    """Sessions in a bounded dict: the least recently used go first past ``max_sessions``,
    and a session idle longer than ``ttl`` seconds is gone.

    >>> store = InMemorySessionStore(ttl=3600)
    >>> store.load("unknown") is None
    True
    """

    name = "memory"

    def __init__(self, ttl: float | None = 24 * 3600, max_sessions: int = 100_000) -> None:
        _check_ttl(ttl)
        if isinstance(max_sessions, bool) or not isinstance(max_sessions, int) or max_sessions < 1:
            raise ConfigError("max_sessions", max_sessions, "must be a whole number >= 1")
        self.ttl = ttl
        self.max_sessions = max_sessions
        self._lock = threading.Lock()
        self._sessions: OrderedDict[str, tuple[float, str]] = OrderedDict()

    def load(self, session_id: str) -> SessionState | None:
        with self._lock:
            entry = self._sessions.get(session_id)
            if entry is None:
                return None
            saved, body = entry
            if self.ttl is not None and time.monotonic() - saved > self.ttl:
                del self._sessions[session_id]
                return None
            self._sessions.move_to_end(session_id)
        # stored as JSON, as a remote store would: the caller gets its own copy
        return SessionState.model_validate_json(body)

    def save(self, state: SessionState) -> None:
        body = state.model_dump_json()
        with self._lock:
            self._sessions[state.session_id] = (time.monotonic(), body)
            self._sessions.move_to_end(state.session_id)
            while len(self._sessions) > self.max_sessions:
                self._sessions.popitem(last=False)

    def delete(self, session_id: str) -> None:
        with self._lock:
            self._sessions.pop(session_id, None)

    def forget_user(self, user_id: str) -> int:
        with self._lock:
            gone = [
                sid
                for sid, (_, body) in self._sessions.items()
                if SessionState.model_validate_json(body).user_id == user_id
            ]
            for sid in gone:
                del self._sessions[sid]
        return len(gone)

    def health(self) -> BackendHealth:
        with self._lock:
            held = len(self._sessions)
        return BackendHealth(
            backend=self.name, kind="sessions", status="ok", queue_depth=held,
            detail=f"{held} sessions held",
        )  # fmt: skip


class SQLiteSessionStore(SessionStore):
    """Sessions as JSON rows in one SQLite file, expired after ``ttl`` seconds idle.

    >>> store = SQLiteSessionStore(":memory:")
    >>> store.save(SessionState(session_id="s1", user_id="ann", turns=3))
    >>> store.load("s1").turns
    3
    """

    name = "sqlite"

    def __init__(
        self, path: str | os.PathLike[str] = "leafloaf-sessions.db", ttl: float | None = 24 * 3600
    ) -> None:
        _check_ttl(ttl)
        self.path = str(path)
        self.ttl = ttl
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS sessions (session_id TEXT PRIMARY KEY,"
            " user_id TEXT NOT NULL, expires REAL, body TEXT NOT NULL)"
        )
        self._db.execute("CREATE INDEX IF NOT EXISTS sessions_user ON sessions (user_id)")

    def _run(self, sql: str, args: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
        try:
            with self._lock:
                cursor = self._db.execute(sql, args)
                return cursor.fetchall()
        except sqlite3.OperationalError as exc:
            raise StoreUnavailableError(f"session database {self.path!r}: {exc}") from exc

    def load(self, session_id: str) -> SessionState | None:
        rows = self._run("SELECT expires, body FROM sessions WHERE session_id = ?", (session_id,))
        if not rows:
            return None
        expires, body = rows[0]
        if isinstance(expires, float) and expires < time.time():
            self.delete(session_id)
            return None
        return SessionState.model_validate_json(str(body))

    def save(self, state: SessionState) -> None:
        expires = time.time() + self.ttl if self.ttl is not None else None
        self._run(
            "INSERT OR REPLACE INTO sessions VALUES (?, ?, ?, ?)",
            (state.session_id, state.user_id, expires, state.model_dump_json()),
        )

    def delete(self, session_id: str) -> None:
        self._run("DELETE FROM sessions WHERE session_id = ?", (session_id,))

    def forget_user(self, user_id: str) -> int:
        with self._lock:
            try:
                return self._db.execute(
                    "DELETE FROM sessions WHERE user_id = ?", (user_id,)
                ).rowcount
            except sqlite3.OperationalError as exc:
                raise StoreUnavailableError(f"session database {self.path!r}: {exc}") from exc

    def purge_expired(self) -> int:
        """Delete expired sessions now; returns how many went."""
        with self._lock:
            return self._db.execute(
                "DELETE FROM sessions WHERE expires IS NOT NULL AND expires < ?", (time.time(),)
            ).rowcount

    def health(self) -> BackendHealth:
        start = time.perf_counter()
        try:
            rows = self._run("SELECT COUNT(*) FROM sessions")
        except (StoreUnavailableError, sqlite3.Error) as exc:
            return BackendHealth(backend=self.name, kind="sessions", status="down",
                                 last_error=str(exc), detail=self.path)  # fmt: skip
        return BackendHealth(
            backend=self.name,
            kind="sessions",
            status="ok",
            latency_ms=(time.perf_counter() - start) * 1000,
            queue_depth=int(str(rows[0][0])),
            detail=self.path,
        )

    def close(self) -> None:
        """Close the database file."""
        with self._lock:
            self._db.close()
