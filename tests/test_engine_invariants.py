"""Engine invariants: order independence, mergeable halves, idempotent ids, privacy, faults."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leafloaf import (
    Catalog,
    EngineConfig,
    Event,
    GraphitiPersonalizationEngine,
    InMemoryMemory,
    InMemoryStore,
    Product,
    StoreUnavailableError,
)
from leafloaf.stores.base import RowDelta, StoreSnapshot

T0 = datetime(2026, 1, 5, 9, tzinfo=UTC)
CATALOG = Catalog(
    [
        Product(product_id=f"p{i}", name=f"P{i}", categories=(f"d{i % 3}", f"a{i % 5}"))
        for i in range(12)
    ]
)

event_strategy = st.builds(
    lambda kind, user, pid, day, qty, price, basket: (
        Event.purchase(
            f"u{user}",
            f"p{pid}",
            quantity=qty,
            unit_price=price,
            basket_id=f"u{user}-b{basket}",
            ts=T0 + timedelta(days=day, hours=basket % 12),
        )
        if kind == 0
        else Event.view(f"u{user}", f"p{pid}", ts=T0 + timedelta(days=day))
        if kind == 1
        else Event.dismiss(f"u{user}", f"p{pid}", ts=T0 + timedelta(days=day))
    ),
    st.integers(0, 2),
    st.integers(0, 2),
    st.integers(0, 11),
    st.integers(0, 90),
    st.sampled_from([1.0, 1.0, 2.0, 3.0]),
    st.one_of(st.none(), st.floats(0.5, 20)),
    st.integers(0, 15),
)


def _state(engine: GraphitiPersonalizationEngine) -> dict[str, dict[str, list[float]]]:
    return {u: engine.store.rows(u) for u in sorted(engine.store.users())}


def _assert_same_state(a: GraphitiPersonalizationEngine, b: GraphitiPersonalizationEngine) -> None:
    sa, sb = _state(a), _state(b)
    assert sa.keys() == sb.keys()
    for user in sa:
        assert sa[user].keys() == sb[user].keys()
        for key in sa[user]:
            assert sa[user][key] == pytest.approx(sb[user][key], rel=1e-9, abs=1e-9)


def _engine(events: Sequence[Event]) -> GraphitiPersonalizationEngine:
    engine = GraphitiPersonalizationEngine(CATALOG, clock=lambda: T0 + timedelta(days=100))
    engine.record_many(events)
    return engine


@settings(max_examples=40, deadline=None)
@given(st.lists(event_strategy, max_size=60), st.randoms())
def test_shuffled_events_give_the_same_profile(events: list[Event], rnd: random.Random) -> None:
    shuffled = list(events)
    rnd.shuffle(shuffled)
    a, b = _engine(events), _engine(shuffled)
    _assert_same_state(a, b)
    for user in {e.user_id for e in events}:
        pa, pb = a.preferences(user), b.preferences(user)
        assert pa.favourite_products == pb.favourite_products or sorted(
            pa.favourite_products
        ) == sorted(pb.favourite_products)
        assert pa.lines == pb.lines and pa.orders == pb.orders


@settings(max_examples=40, deadline=None)
@given(st.lists(event_strategy, max_size=60), st.integers(0, 60))
def test_engines_fed_halves_merge_into_the_whole(events: list[Event], cut: int) -> None:
    whole = _engine(events)
    left, right = _engine(events[:cut]), _engine(events[cut:])
    left.merge(right)
    _assert_same_state(whole, left)
    assert left.store.event_count() == whole.store.event_count()


@settings(max_examples=40, deadline=None)
@given(st.lists(event_strategy, max_size=40), st.data())
def test_duplicates_are_no_ops(events: list[Event], data: st.DataObject) -> None:
    repeats = data.draw(st.lists(st.sampled_from(events), max_size=20)) if events else []
    noisy = list(events) + repeats
    data.draw(st.randoms()).shuffle(noisy)
    clean, dirty = _engine(events), _engine(noisy)
    _assert_same_state(clean, dirty)
    report = dirty.record_many(repeats)
    assert report.duplicates == len(repeats)
    _assert_same_state(clean, dirty)


@settings(max_examples=25, deadline=None)
@given(st.lists(event_strategy, min_size=1, max_size=50))
def test_scores_are_finite_and_bounded(events: list[Event]) -> None:
    engine = _engine(events)
    for user in {e.user_id for e in events}:
        for item in engine.reorder_due(user).items:
            assert 0.0 <= item.probability <= 1.0
        for item in engine.usual_order(user).items:
            assert 0.0 <= item.score <= 1.0
        ranked = engine.rerank(user, CATALOG.ids)
        assert all(abs(r.score) < 1e6 for r in ranked)
        assert sorted(r.product_id for r in ranked) == sorted(CATALOG.ids)
        assert 0.0 <= engine.household_profile(user).shared_probability <= 1.0


def _history() -> list[Event]:
    return [
        Event.purchase(
            u, f"p{(i * 7 + j) % 12}", ts=T0 + timedelta(days=7 * i), basket_id=f"{u}{i}"
        )
        for u in ("ann", "bob")
        for i in range(6)
        for j in range(3)
    ]


def test_forget_user_erases_every_trace() -> None:
    engine = GraphitiPersonalizationEngine(
        CATALOG, memory=InMemoryMemory(), clock=lambda: T0 + timedelta(days=100)
    )
    engine.record_many(_history())
    engine.declare_avoidance("ann", "department:d1", at=T0)
    assert engine.sync_memory(timeout=60)
    exported = engine.export_user("ann")
    assert len(exported["events"]) == 18
    assert exported["state"] and exported["memory"]
    assert exported["preferences"]["user_id"] == "ann"
    before = engine.population.n_users
    engine.forget_user("ann")
    assert engine.store.rows("ann") == {}
    assert list(engine.store.events("ann")) == []
    assert engine.memory.history("ann") == []
    assert "ann" not in engine.users()
    assert engine.population.n_users == before - 1
    assert engine.export_user("ann")["events"] == []
    assert engine.usual_order("bob").orders_seen == 6


class FlakyStore(InMemoryStore):
    """A real in-memory store whose writes fail while ``down`` (fault injection)."""

    def __init__(self) -> None:
        super().__init__()
        self.down = False

    def apply(self, updates: dict[str, dict[str, RowDelta]]) -> None:  # type: ignore[override]
        if self.down:
            raise StoreUnavailableError("store offline")
        super().apply(updates)

    def append_events(self, events: Sequence[Event]) -> list[bool]:
        if self.down:
            raise StoreUnavailableError("store offline")
        return super().append_events(events)

    def event_count(self) -> int:
        if self.down:
            raise StoreUnavailableError("store offline")
        return super().event_count()

    def snapshot(self) -> StoreSnapshot:
        if self.down:
            raise StoreUnavailableError("store offline")
        return super().snapshot()


def test_store_fault_without_outbox_refuses_at_the_call_and_keeps_nothing_in_ram() -> None:
    history = _history()
    store = FlakyStore()
    engine = GraphitiPersonalizationEngine(CATALOG, store=store, config=EngineConfig(batch_size=5))
    engine.record_many(history[:10])
    store.down = True
    with pytest.raises(StoreUnavailableError) as caught:
        engine.record_many(history[10:])
    assert caught.value.report.accepted == 0
    with pytest.raises(StoreUnavailableError):
        engine.record(history[12])
    assert engine.pending == 0
    assert {e.event_id for e in store.events()} == {e.event_id for e in history[:10]}
    store.down = False
    report = engine.record_many(history)  # the host retries: ids make it exactly once
    assert report.accepted == len(history) and report.duplicates == 10
    _assert_same_state(_engine(history), engine)


def test_store_fault_with_outbox_defers_durably_and_replays_in_order(tmp_path: Path) -> None:
    history = _history()
    store = FlakyStore()
    engine = GraphitiPersonalizationEngine(CATALOG, store=store, outbox=tmp_path / "outbox.db")
    engine.record_many(history[:10])
    store.down = True
    report = engine.record_many(history[10:] + history[:3])
    assert report.accepted == len(history) - 10 + 3
    assert report.buffered == report.accepted and engine.pending == report.accepted
    assert engine.flush() == report.accepted  # still down: nothing lost, nothing applied
    engine.close()  # the outbox is a file: a new engine on the same outbox replays it
    store.down = False
    again = GraphitiPersonalizationEngine(CATALOG, store=store, outbox=tmp_path / "outbox.db")
    assert again.pending == report.accepted
    assert again.flush() == 0
    _assert_same_state(_engine(history), again)


def test_analytics_failure_never_costs_an_event() -> None:
    from leafloaf import NullSink

    class Broken(NullSink):
        def emit(self, events: Sequence[Event]) -> None:
            raise RuntimeError("sink down")

    engine = GraphitiPersonalizationEngine(CATALOG, analytics=Broken())
    report = engine.record_many(_history())
    assert report.accepted == 36 and engine.store.event_count() == 36


def test_reads_keep_serving_while_the_store_is_down() -> None:
    store = FlakyStore()
    engine = GraphitiPersonalizationEngine(CATALOG, store=store)
    engine.record_many(_history())
    before = engine.usual_order("ann").items
    store.down = True
    with pytest.raises(StoreUnavailableError):
        engine.record_many(_history()[:2])
    assert engine.usual_order("ann").items == before
    assert engine.rerank("ann", CATALOG.ids).product_ids
    fresh = GraphitiPersonalizationEngine(CATALOG, store=store)
    with pytest.raises(StoreUnavailableError):
        fresh.usual_order("ann")  # nothing fitted yet and nothing to fit from


def test_no_dietary_inference_without_a_population() -> None:
    engine = _engine(_history())  # two shoppers only
    profile = engine.dietary_profile("ann")
    assert profile.avoided == [] and profile.reasons[0].code == "dietary_few_shoppers"
    assert profile.reasons[0].params == {"shoppers": 2}
