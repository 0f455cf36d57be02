"""The analytics event table: one schema for DuckDB and BigQuery, and how an event fills it.

``ts_seconds`` (Unix seconds, UTC) sits beside ``ts`` so that the population SQL
(:mod:`leafloaf.learning.sql`) needs no engine-specific date functions and runs unchanged on
both engines. ``event_id`` is the idempotency key: a row delivered twice (a retried insert)
is counted once by every query, which groups by it.
"""

from __future__ import annotations

from datetime import UTC
from typing import Any

from leafloaf.models import Event

__all__ = ["EVENTS_TABLE", "EVENT_FIELDS", "duckdb_ddl", "event_row"]

EVENTS_TABLE = "events"
EVENT_FIELDS: list[tuple[str, str, str]] = [
    ("event_id", "STRING", "REQUIRED"),
    ("type", "STRING", "REQUIRED"),
    ("user_id", "STRING", "REQUIRED"),
    ("ts", "TIMESTAMP", "REQUIRED"),
    ("ts_seconds", "FLOAT64", "REQUIRED"),
    ("utc_offset", "FLOAT64", "REQUIRED"),
    ("product_id", "STRING", "NULLABLE"),
    ("quantity", "FLOAT64", "REQUIRED"),
    ("unit_price", "FLOAT64", "NULLABLE"),
    ("query", "STRING", "NULLABLE"),
    ("basket_id", "STRING", "NULLABLE"),
    ("member_id", "STRING", "NULLABLE"),
    ("household_id", "STRING", "NULLABLE"),
]
"""``(column, BigQuery type, mode)`` of the events table, in order."""

_DUCKDB_TYPES = {"STRING": "VARCHAR", "FLOAT64": "DOUBLE", "TIMESTAMP": "TIMESTAMP"}  # UTC


def duckdb_ddl(table: str = EVENTS_TABLE) -> str:
    """``CREATE TABLE IF NOT EXISTS`` for the events table in DuckDB.

    >>> duckdb_ddl().splitlines()[1]
    '  event_id VARCHAR NOT NULL,'
    """
    columns = ",\n".join(
        f"  {name} {_DUCKDB_TYPES[kind]}{' NOT NULL' if mode == 'REQUIRED' else ''}"
        for name, kind, mode in EVENT_FIELDS
    )
    return f"CREATE TABLE IF NOT EXISTS {table} (\n{columns}\n)"


def event_row(event: Event) -> dict[str, Any]:
    """One event as a JSON-ready row of the events table (``ts`` in UTC, ISO 8601)."""
    offset = event.ts.utcoffset()
    return {
        "event_id": event.event_id,
        "type": event.type.value,
        "user_id": event.user_id,
        "ts": event.ts.astimezone(UTC).isoformat(),
        "ts_seconds": event.ts.timestamp(),
        "utc_offset": offset.total_seconds() if offset else 0.0,
        "product_id": event.product_id,
        "quantity": event.quantity,
        "unit_price": event.unit_price,
        "query": event.query,
        "basket_id": event.basket_id,
        "member_id": event.member_id,
        "household_id": event.household_id,
    }
