"""The ingest fold over packed records learns exactly what folding event by event learns."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from leafloaf.learning.stats import DeltaBatch
from leafloaf.models import Event, EventType

_ZONES = st.sampled_from(
    [UTC, timezone(timedelta(hours=-8)), timezone(timedelta(hours=5, minutes=30))]
)


@st.composite
def events(draw: st.DrawFn) -> Event:
    kind = draw(st.sampled_from([EventType.PURCHASE] * 4 + [EventType.VIEW, EventType.SEARCH]))
    ts = draw(
        st.datetimes(
            min_value=datetime(1950, 1, 1), max_value=datetime(2090, 1, 1), timezones=_ZONES
        )
    )
    return Event(
        type=kind,
        user_id=draw(st.sampled_from(["ann", "bob"])),
        ts=ts,
        product_id=None if kind is EventType.SEARCH else draw(st.sampled_from(["1", "2", "3"])),
        query="milk" if kind is EventType.SEARCH else None,
        quantity=draw(st.sampled_from([1.0, 2.0, 0.5])),
        unit_price=draw(st.none() | st.floats(min_value=0.0, max_value=50.0)),
        basket_id=draw(st.none() | st.sampled_from(["b1", "b2"])),
        member_id=draw(st.none() | st.just("kid")),
    )


@settings(max_examples=60, deadline=None)
@given(st.lists(events(), max_size=30))
def test_record_fold_equals_event_by_event(batch: list[Event]) -> None:
    one_by_one = DeltaBatch(0.01)
    for event in batch:
        one_by_one.add(event)
    packed = DeltaBatch(0.01)
    packed.add_many(batch)
    assert packed.updates.keys() == one_by_one.updates.keys()
    for user, rows in one_by_one.updates.items():
        assert packed.updates[user].keys() == rows.keys()  # hour rows: local hour, as ts.hour
        for key, (ops, values) in rows.items():
            assert packed.updates[user][key][0] == ops
            assert packed.updates[user][key][1] == values, key
