"""Contract suite every AnalyticsSink passes: null, DuckDB, and BigQuery on its real emulator."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from leafloaf import Event
from leafloaf.analytics.base import AnalyticsSink, NullSink
from leafloaf.analytics.duckdb import DuckDBAnalytics

T0 = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


@pytest.fixture(params=["null", "duckdb", "bigquery"])
def sink(request: pytest.FixtureRequest) -> Iterator[AnalyticsSink]:
    if request.param == "bigquery":  # the real BigQuery emulator (tests/conftest.py)
        yield request.getfixturevalue("bigquery_sink")
        return
    instance: AnalyticsSink = NullSink() if request.param == "null" else DuckDBAnalytics()
    yield instance
    instance.close()


def _events(user: str, n: int) -> list[Event]:
    return [
        Event.purchase(
            user, f"p{i}", quantity=i + 1, unit_price=1.5, ts=T0 + timedelta(days=i),
            basket_id=f"{user}-b{i // 2}", event_id=f"{user}-{i}",
        )
        for i in range(n)
    ] + [Event.search(user, "oat milk", ts=T0, event_id=f"{user}-s")]  # fmt: skip


def test_everything_emitted_arrives_after_flush(sink: AnalyticsSink) -> None:
    sink.emit(_events("a", 5))
    sink.emit(_events("b", 2))
    sink.flush()
    if sink.keeps_events:
        assert (sink.count(), sink.count("a"), sink.count("b"), sink.count("nobody")) == (
            9, 6, 3, 0,
        )  # fmt: skip
    else:
        assert sink.count() == 0 and getattr(sink, "emitted", None) == 9


def test_a_redelivered_event_counts_once(sink: AnalyticsSink) -> None:
    events = _events("a", 3)
    sink.emit(events)
    sink.emit(events[:2])
    sink.flush()
    assert sink.count() == (4 if sink.keeps_events else 0)


def test_forget_user_erases_that_user_only(sink: AnalyticsSink) -> None:
    sink.emit(_events("a", 3) + _events("b", 1))
    sink.forget_user("a")
    sink.flush()
    assert sink.count("a") == 0
    assert sink.count() == (2 if sink.keeps_events else 0)


def test_forget_user_erases_events_naming_them_as_member_or_household(
    sink: AnalyticsSink,
) -> None:
    sink.emit(
        [
            Event.purchase("fam", "p1", member_id="kid", ts=T0, event_id="m1"),
            Event.purchase("home", "p2", household_id="kid", ts=T0, event_id="h1"),
            Event.purchase("fam", "p3", ts=T0, event_id="f1"),
        ]
    )
    sink.forget_user("kid")
    sink.flush()
    assert sink.count() == (1 if sink.keeps_events else 0)


def test_an_empty_batch_is_fine(sink: AnalyticsSink) -> None:
    sink.emit([])
    sink.flush()
    assert sink.count() == 0


def test_health_reports_a_reachable_sink(sink: AnalyticsSink) -> None:
    sink.emit(_events("a", 1))
    sink.flush()
    health = sink.health()
    assert health.kind == "analytics" and health.backend == sink.name
    assert health.status == "ok" and health.queue_depth == 0
