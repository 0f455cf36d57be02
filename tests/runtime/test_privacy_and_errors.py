"""Erasure leaves no bytes, export is strict JSON, every bad input is a named LeafLoafError."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leafloaf import (
    ConfigError,
    EngineConfig,
    Event,
    GraphitiPersonalizationEngine,
    LeafLoafError,
    SearchFilters,
    SQLiteStore,
    ValidationError,
)
from leafloaf.errors import StoreError
from tests.runtime.faults import CATALOG, T0, assert_same_state, history, reference


def test_forget_on_sqlite_leaves_no_bytes_of_the_shopper_in_any_file(tmp_path: Path) -> None:
    db = tmp_path / "shop.db"
    engine = GraphitiPersonalizationEngine(CATALOG, store="sqlite", path=db)
    secret = "victim-7f3a9c"
    engine.record_many(history(users=20))
    engine.record_many(
        Event.purchase(
            secret, f"p{i % 20}", basket_id=f"{secret}-b{i}", ts=T0, event_id=f"{secret}-{i}"
        )
        for i in range(300)
    )
    engine.record(Event.purchase("u1", "p1", member_id=secret, ts=T0, event_id="shared-1"))
    engine.forget_user(secret)
    engine.close()
    for file in tmp_path.iterdir():
        assert secret.encode() not in file.read_bytes(), file.name


def test_forget_removes_events_naming_the_shopper_as_member_or_household() -> None:
    events = history(users=4)
    family = [
        Event.purchase("fam", "p2", member_id="kid", ts=T0, basket_id="f1", event_id="f1"),
        Event.purchase("fam", "p3", household_id="kid", ts=T0, basket_id="f2", event_id="f2"),
        Event.purchase("fam", "p4", member_id="mum", ts=T0, basket_id="f3", event_id="f3"),
    ]
    engine = reference(events + family)
    engine.declare_avoidance("fam", "department:d1")
    engine.forget_user("kid")
    expected = reference(events + family[2:])
    expected.declare_avoidance("fam", "department:d1")
    assert_same_state(engine, expected)
    assert "kid" not in json.dumps(engine.export_user("fam"))


odd_text = st.text(st.characters(codec=None), min_size=1, max_size=12).filter(str.strip)
zones = st.integers(-14 * 60, 14 * 60).map(lambda m: timezone(timedelta(minutes=m)))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    user=odd_text,
    basket=odd_text,
    query=odd_text,
    when=st.datetimes(datetime(1, 1, 2), datetime(9999, 12, 30), timezones=zones),
    price=st.one_of(st.none(), st.floats(0, 1e12)),
    qty=st.floats(1e-6, 1e6),
)
def test_odd_input_is_stored_exactly_or_refused_and_export_is_strict_json(
    user: str, basket: str, query: str, when: datetime, price: float | None, qty: float
) -> None:
    engine = GraphitiPersonalizationEngine(CATALOG, store="sqlite", path=":memory:")
    try:
        events = [
            Event.purchase(user, "p1", basket_id=basket, ts=when, unit_price=price, quantity=qty),
            Event.view(user, "p2", ts=when),
            Event.search(user, query, ts=when),
        ]
    except ValidationError as err:  # refused with the field named, nothing stored
        assert err.field in {"user_id", "basket_id", "query", "ts"}
        return
    assert engine.record_many(events).accepted == 3
    back = {e.event_id: e for e in engine.store.events(user)}
    for event in events:
        got = back[event.event_id]
        assert got.model_dump(exclude={"ts"}) == event.model_dump(exclude={"ts"})
        assert got.ts.utcoffset() == event.ts.utcoffset()  # the same local time zone
        assert abs((got.ts - event.ts).total_seconds()) < 1e-3  # float seconds in the log
    exported = json.dumps(engine.export_user(user), allow_nan=False)
    first = json.loads(exported)["events"][0]
    assert abs((datetime.fromisoformat(first["ts"]) - events[0].ts).total_seconds()) < 1e-3


def test_merge_keeps_local_hours_of_non_utc_events() -> None:
    tokyo = timezone(timedelta(hours=9))
    events = [
        Event.purchase("ann", "p1", ts=datetime(2026, 1, 5, 8, tzinfo=tokyo), basket_id=f"b{d}")
        for d in range(3)
    ]
    whole = reference(events)
    merged = GraphitiPersonalizationEngine(CATALOG)
    merged.merge(whole)
    assert_same_state(whole, merged)
    assert "h:8" in merged.store.rows("ann")


# --- every bad input is a named LeafLoafError ---------------------------------------------
@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda e: EngineConfig(half_lfe_days=3), "half_lfe_days"),
        (lambda e: EngineConfig(batch_size=0), "batch_size"),
        (lambda e: GraphitiPersonalizationEngine(CATALOG, store="sqlite", pth="x.db"), "pth"),
        (lambda e: GraphitiPersonalizationEngine(CATALOG, store="mongo"), "store"),
        (lambda e: GraphitiPersonalizationEngine(CATALOG, store=3), "store"),
        (lambda e: GraphitiPersonalizationEngine(["not a catalog"]), "catalog"),
        (lambda e: SearchFilters(max_price=-1), "max_price"),
        (lambda e: SearchFilters(categoris=("aisle:milk",)), "categoris"),
        (lambda e: e.reorder_due("u1", at="2026-01-01"), "at"),
        (lambda e: e.next_basket("u1", at=datetime(2026, 1, 1)), "at"),
        (lambda e: e.rerank("u1", "12"), "products"),
        (lambda e: e.usual_order("u1", k=-1), "k"),
        (lambda e: e.next_basket("u1", k=-3, at=T0), "k"),
        (lambda e: e.complements("u1", "p1"), "product_ids"),
        (lambda e: e.search("u1", "milk", pool=0), "pool"),
        (lambda e: e.usual_order(""), "user_id"),
        (lambda e: e.record_many("p1"), "events"),
        (lambda e: e.declare_avoidance("u1", "department:d1", avoid="yes"), "avoid"),
    ],
)
def test_bad_input_names_the_field(call: Any, field: str) -> None:
    engine = reference(history(users=2))
    with pytest.raises(LeafLoafError) as caught:
        call(engine)
    assert getattr(caught.value, "field", None) == field


def test_a_truncated_or_foreign_file_is_an_error_not_a_new_database(tmp_path: Path) -> None:
    db = tmp_path / "shop.db"
    engine = GraphitiPersonalizationEngine(CATALOG, store="sqlite", path=db)
    engine.record_many(history(users=10))
    engine.store.checkpoint()
    engine.close()
    size = db.stat().st_size
    with db.open("r+b") as handle:
        handle.truncate(size // 2)
    with pytest.raises(StoreError) as caught:
        SQLiteStore(db)
    assert caught.value.field == "path" and "truncated" in str(caught.value)
    foreign = tmp_path / "notes.txt"
    foreign.write_text("shopping list: milk, eggs, and a lot more text " * 10)
    with pytest.raises(StoreError, match="not a SQLite database"):
        GraphitiPersonalizationEngine(CATALOG, store="sqlite", path=foreign)
    with pytest.raises(StoreError, match="directory"):
        SQLiteStore(tmp_path)


def test_config_errors_are_validation_errors_with_the_setting_named() -> None:
    with pytest.raises(ConfigError) as caught:
        EngineConfig(refit_fraction="often")
    assert caught.value.field == "refit_fraction" and caught.value.value == "often"
    assert isinstance(caught.value, ValidationError)
