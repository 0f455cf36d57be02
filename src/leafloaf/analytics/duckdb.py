"""DuckDBAnalytics: the embedded analytics sink, the BigQuery event table in one local file."""

from __future__ import annotations

import json
import os
import tempfile
import threading
import time
from collections.abc import Sequence
from typing import Any, ClassVar

from leafloaf.analytics.base import AnalyticsSink
from leafloaf.analytics.schema import EVENT_FIELDS, EVENTS_TABLE, duckdb_ddl, event_row
from leafloaf.errors import MissingExtraError
from leafloaf.health import BackendHealth
from leafloaf.models import Event

__all__ = ["DuckDBAnalytics"]

_TYPES = {"STRING": "VARCHAR", "FLOAT64": "DOUBLE", "INT64": "BIGINT", "TIMESTAMP": "TIMESTAMP"}


def _duckdb() -> Any:
    try:
        import duckdb
    except ImportError:
        raise MissingExtraError("duckdb", "duckdb") from None
    return duckdb


def _insert(db: Any, table: str, fields: Sequence[tuple[str, str]], rows: list[Any]) -> None:
    """Insert rows (dicts, or sequences in ``fields`` order) in one statement.

    DuckDB binds Python values one by one (seconds for ten thousand rows); scanning a
    newline-delimited JSON file of the batch is a hundred times faster.
    """
    names = [name for name, _ in fields]
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as handle:
        for row in rows:
            record = row if isinstance(row, dict) else dict(zip(names, row, strict=True))
            handle.write(json.dumps(record) + "\n")
    try:
        columns = ", ".join(
            f"{name}: '{'VARCHAR' if kind == 'TIMESTAMP' else _TYPES[kind]}'"
            for name, kind in fields
        )
        select = ", ".join(
            f"CAST({name} AS TIMESTAMP)" if kind == "TIMESTAMP" else name for name, kind in fields
        )
        db.execute(
            f"INSERT INTO {table} SELECT {select} FROM read_json(?, columns={{{columns}}}, "
            "format='newline_delimited')",
            [handle.name],
        )
    finally:
        os.unlink(handle.name)


class DuckDBAnalytics(AnalyticsSink):
    """Accepted events in a DuckDB file (``":memory:"`` keeps them in this process only).

    The table is the one :class:`~leafloaf.analytics.bigquery.BigQuerySink` streams to, so
    the population SQL (:func:`leafloaf.learning.sql.fit_population_sql`) runs on either. A
    batch is one statement (a few milliseconds for 500 events), written on the caller's
    thread: there is no server to wait for.

    >>> from leafloaf import Event
    >>> sink = DuckDBAnalytics()
    >>> sink.emit([Event.purchase("ann", "milk", event_id="e1")])
    >>> sink.count(), sink.count("bob")
    (1, 0)
    >>> sink.close()
    """

    name: ClassVar[str] = "duckdb"

    def __init__(self, path: str = ":memory:") -> None:
        duckdb = _duckdb()
        self.path = path
        self._lock = threading.Lock()
        self._db = duckdb.connect(path)
        self._db.execute(duckdb_ddl())
        self._fields = [(name, kind) for name, kind, _ in EVENT_FIELDS]
        self._last_error: str | None = None
        self._closed = False

    def emit(self, events: Sequence[Event]) -> None:
        if not events:
            return
        rows = [event_row(e) for e in events]
        with self._lock:
            try:
                _insert(self._db, EVENTS_TABLE, self._fields, rows)
            except Exception as exc:
                self._last_error = f"{type(exc).__name__}: {exc}"[:300]
                raise
            self._last_error = None

    def table_name(self, table: str) -> str:
        """How SQL names one of the sink's tables (here: the bare name)."""
        return table

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        """Run SQL over the sink's tables and return every row."""
        with self._lock:
            return list(self._db.execute(sql).fetchall())

    def load_table(
        self, table: str, fields: Sequence[tuple[str, str]], rows: Sequence[Sequence[Any]]
    ) -> None:
        """Replace ``table`` with ``rows`` (columns ``(name, BigQuery type)``)."""
        columns = ", ".join(f"{name} {_TYPES[kind]}" for name, kind in fields)
        with self._lock:
            self._db.execute(f"CREATE OR REPLACE TABLE {table} ({columns})")
            if rows:
                _insert(self._db, table, fields, list(rows))

    def count(self, user_id: str | None = None) -> int:
        where, params = ("WHERE user_id = ?", [user_id]) if user_id is not None else ("", [])
        with self._lock:
            row = self._db.execute(
                f"SELECT COUNT(DISTINCT event_id) FROM {EVENTS_TABLE} {where}", params
            ).fetchone()
        return int(row[0]) if row else 0

    def forget_user(self, user_id: str) -> None:
        """Delete the user's events, and other accounts' events naming them as member or
        household, then checkpoint so the file keeps no copy."""
        with self._lock:
            self._db.execute(
                f"DELETE FROM {EVENTS_TABLE} WHERE user_id = $1 OR member_id = $1 "
                "OR household_id = $1",
                [user_id],
            )
            self._db.execute("CHECKPOINT")

    def health(self) -> BackendHealth:
        """Probe with a one-row query (``down`` once closed or when the file fails)."""
        started = time.perf_counter()
        try:
            with self._lock:
                self._db.execute("SELECT 1").fetchone()
        except Exception as exc:
            return BackendHealth(
                backend=self.name, kind="analytics", status="down", queue_depth=0,
                last_error=f"{type(exc).__name__}: {exc}"[:300], detail=self.path,
            )  # fmt: skip
        return BackendHealth(
            backend=self.name,
            kind="analytics",
            status="ok" if self._last_error is None else "degraded",
            latency_ms=(time.perf_counter() - started) * 1000.0,
            queue_depth=0,
            last_error=self._last_error,
            detail=self.path,
        )

    def close(self) -> None:
        with self._lock:
            if not self._closed:
                self._closed = True
                self._db.close()
