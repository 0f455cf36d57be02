"""Usual order and restock timing on histories with known answers."""

from __future__ import annotations

from datetime import timedelta

from leafloaf import Event
from tests.learning.builders import T0, engine, weekly


def test_weekly_bananas_are_due_on_day_seven_not_day_two() -> None:
    eng = engine()
    eng.record_many(weekly("ann", ["banana", "milk"], 8))
    # other shoppers make the population model realistic
    for n in range(5):
        eng.record_many(weekly(f"other{n}", ["bread", "rice"], 6, every_days=10))
    last = T0 + timedelta(days=7 * 7)
    day2 = eng.reorder_due("ann", at=last + timedelta(days=2))
    day7 = eng.reorder_due("ann", at=last + timedelta(days=7))
    assert not any(i.product_id == "banana" for i in day2.due)
    assert any(i.product_id == "banana" for i in day7.due)
    banana7 = next(i for i in day7.items if i.product_id == "banana")
    banana2 = next(i for i in day2.items if i.product_id == "banana")
    assert banana7.probability > 0.5 > banana2.probability
    assert abs(banana7.typical_interval_days - 7) < 0.5


def test_once_bought_item_is_less_likely_than_a_staple() -> None:
    eng = engine()
    eng.record_many(weekly("ann", ["banana"], 10))
    eng.record(Event.purchase("ann", "beef", basket_id="ann-1", ts=T0 + timedelta(days=7)))
    at = T0 + timedelta(days=70)
    probs = {i.product_id: i.probability for i in eng.reorder_due("ann", at=at).items}
    assert probs["banana"] > probs["beef"]
    assert all(0.0 <= p <= 1.0 for p in probs.values())


def test_usual_order_ranks_staples_and_remembers_quantity() -> None:
    eng = engine()
    eng.record_many(weekly("ann", ["banana"], 6))
    eng.record_many(weekly("ann", ["eggs"], 6, quantity=3, start=T0 + timedelta(hours=1)))
    eng.record(Event.purchase("ann", "beef", basket_id="ann-2", ts=T0 + timedelta(days=14)))
    usual = eng.usual_order("ann", k=2)
    assert [i.product_id for i in usual.items] == ["banana", "eggs"] or [
        i.product_id for i in usual.items
    ] == ["eggs", "banana"]
    eggs = next(i for i in usual.items if i.product_id == "eggs")
    assert eggs.quantity == 3
    assert "usually 3 at a time" in eggs.reasons
    assert len(eng.usual_order("ann", k=1).items) == 1
    everything = eng.usual_order("ann", k=10)
    assert everything.items[-1].product_id == "beef"


def test_new_shopper_gets_empty_usual_order_with_reason() -> None:
    eng = engine()
    eng.record_many(weekly("ann", ["banana"], 3))
    nobody = eng.usual_order("nobody")
    assert nobody.items == [] and nobody.reasons == ["no purchases recorded yet"]
    assert eng.reorder_due("nobody").items == []


def test_next_basket_puts_staples_first() -> None:
    eng = engine()
    eng.record_many(weekly("ann", ["banana", "milk"], 6))
    eng.record(Event.purchase("ann", "beef", basket_id="ann-0", ts=T0))
    for n in range(4):
        eng.record_many(weekly(f"o{n}", ["banana", "bread"], 6))
    upcoming = eng.next_basket("ann", k=4, at=T0 + timedelta(days=42))
    assert set(upcoming.product_ids[:2]) == {"banana", "milk"}
    assert "bread" in upcoming.product_ids  # what similar shoppers buy
