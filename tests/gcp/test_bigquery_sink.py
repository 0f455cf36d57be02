"""BigQuerySink beyond the contract: bad rows, a full queue, the emulator going away."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest

from leafloaf import Event, GraphitiPersonalizationEngine
from leafloaf.analytics import bigquery as bigquery_module
from leafloaf.analytics.bigquery import BigQuerySink
from leafloaf.analytics.schema import event_row
from tests.gcp.emulators import BQ_PROJECT, BigQueryEmulator
from tests.runtime.faults import CATALOG, history


def _ids(sink: BigQuerySink) -> list[str]:
    rows = sink.query(f"SELECT DISTINCT event_id FROM {sink.table_name('events')}")
    return sorted(r[0] for r in rows)


def _checksum(ids: list[str]) -> str:
    return hashlib.sha256("\n".join(sorted(ids)).encode()).hexdigest()


def test_a_bad_row_is_dead_lettered_alone_with_its_error(
    bigquery_sink: BigQuerySink, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The emulator fails the whole request for one bad row (HTTP 500, valid rows dropped):
    the sink splits the batch until the bad row stands alone, and delivers the rest."""

    def row_with_a_bad_one(event: Event) -> dict[str, Any]:
        row = event_row(event)
        if event.event_id == "bad":
            row["ts_seconds"] = "not a number"
        return row

    monkeypatch.setattr(bigquery_module, "event_row", row_with_a_bad_one)
    events = [Event.purchase("ann", f"p{i}", event_id=f"e{i}") for i in range(7)]
    events.insert(3, Event.purchase("ann", "px", event_id="bad"))
    bigquery_sink.emit(events)
    bigquery_sink.flush()
    assert _ids(bigquery_sink) == sorted(f"e{i}" for i in range(7))
    ((row, error),) = bigquery_sink.dead_letters()
    assert row["event_id"] == "bad" and error


def test_the_schema_is_created_once_and_kept(bigquery_sink: BigQuerySink) -> None:
    bigquery_sink.emit([Event.purchase("ann", "p1", event_id="a")])
    bigquery_sink.flush()
    bigquery_sink._table_ready = False  # a second start-up: creating again is a no-op
    bigquery_sink.emit([Event.purchase("ann", "p2", event_id="b")])
    bigquery_sink.flush()
    assert _ids(bigquery_sink) == ["a", "b"]


def test_emulator_going_away_loses_nothing(tmp_path: Path) -> None:
    """Kill the emulator while the engine records: no request fails, every event is in
    BigQuery or in the dead-letter file, and after the restart redelivery puts them all
    in the table (count and checksum of ids). The queue is tiny, so it may also overflow."""
    emulator = BigQueryEmulator()
    emulator.start()
    sink = BigQuerySink(
        project=BQ_PROJECT, dataset="faults", endpoint=emulator.endpoint, queue_size=120,
        batch_size=20, deadline_s=1.0, dead_letter_path=str(tmp_path / "dead.jsonl"),
    )  # fmt: skip
    engine = GraphitiPersonalizationEngine(CATALOG, analytics=sink)
    events = history(users=10, orders=4)
    before, during = events[:100], events[100:]
    try:
        engine.record_many(before)
        sink.flush()
        assert _checksum(_ids(sink)) == _checksum([e.event_id for e in before])
        emulator.kill()
        for start in range(0, len(during), 40):
            report = engine.record_many(during[start : start + 40])  # never raises
            assert report.accepted == len(during[start : start + 40]) and report.ok
        sink.flush()
        assert sink.health().status == "down"
        spilled = [row["event_id"] for row, _error in sink.dead_letters()]
        assert _checksum(spilled) == _checksum([e.event_id for e in during])
        assert all(error for _row, error in sink.dead_letters())  # each with its error
        emulator.start()  # same ports, empty: the sink creates its table again
        assert sink.redeliver() == len(during)
        sink.flush()
        assert sink.dead_letters() == []
        assert _checksum(_ids(sink)) == _checksum([e.event_id for e in during])
    finally:
        engine.close()
        emulator.kill()


def test_rows_spilled_by_a_full_queue_are_sent_again_without_help(
    bigquery_emulator: BigQueryEmulator, tmp_path: Path
) -> None:
    """A bulk load outpacing the sink: rows that found the queue full are dead-lettered, then
    the worker queues them again itself; after flush every row is in the table."""
    sink = BigQuerySink(
        project=BQ_PROJECT, dataset="overflow", endpoint=bigquery_emulator.endpoint,
        queue_size=10, batch_size=5, deadline_s=5.0, dead_letter_path=str(tmp_path / "dl.jsonl"),
    )  # fmt: skip
    events = [Event.purchase("ann", f"p{i % 7}", event_id=f"o{i}") for i in range(300)]
    try:
        sink.emit(events)
        assert sink.dead_lettered > 0  # the queue was full
        sink.flush()
        assert sink.dead_letters() == [] and sink.requeued > 0
        assert _checksum(_ids(sink)) == _checksum([e.event_id for e in events])
    finally:
        sink.close()
