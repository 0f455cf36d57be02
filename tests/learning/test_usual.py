"""\"My usual\": products in most of a shopper's orders, with their usual quantities."""

from __future__ import annotations

import math
import random

import pytest

from leafloaf import GraphitiPersonalizationEngine, Reason
from tests.learning.builders import background, day, engine, history, order, weekly


def _ann() -> GraphitiPersonalizationEngine:
    """ann: bananas in all 10 orders, 3 eggs in 8 of them, bread in 5, beef and salmon once."""
    eng = engine(now=day(70))
    background(eng, random.Random(4))
    baskets: list[list[str]] = []
    for n in range(10):
        items = ["banana"]
        if n < 8:
            items.append("eggs")
        if n % 2 == 0:
            items.append("bread")
        if n == 3:
            items.append("beef")
        if n == 6:
            items.append("salmon")
        baskets.append(items)
    for n, items in enumerate(baskets):
        for pid in items:
            qty = 3 if pid == "eggs" else 1
            eng.record_many(order("ann", [pid], day(7 * n), f"ann-{n}", quantity=qty))
    eng.fit()
    return eng


@pytest.fixture(scope="module")
def eng() -> GraphitiPersonalizationEngine:
    return _ann()


def test_items_in_most_orders_rank_above_items_bought_once(
    eng: GraphitiPersonalizationEngine,
) -> None:
    usual = eng.usual_order("ann", k=10)
    ids = [i.product_id for i in usual.items]
    assert ids[:3] == ["banana", "eggs", "bread"]
    assert set(ids[3:]) == {"beef", "salmon"}
    scores = [i.score for i in usual.items]
    assert scores == sorted(scores, reverse=True)
    assert all(0.0 <= s <= 1.0 and math.isfinite(s) for s in scores)
    assert usual.items[0].score > 0.75  # in every order (shrunk a little to the base rate)
    assert usual.items[-1].score < 0.3  # in one order out of ten
    assert usual.orders_seen == 10


@pytest.mark.parametrize("k", [0, 1, 2, 5, 50])
def test_k_is_respected(eng: GraphitiPersonalizationEngine, k: int) -> None:
    full = [i.product_id for i in eng.usual_order("ann", k=50).items]
    items = eng.usual_order("ann", k=k).items
    assert len(items) == min(k, 5)
    assert [i.product_id for i in items] == full[:k]


def test_quantity_comes_from_history(eng: GraphitiPersonalizationEngine) -> None:
    usual = eng.usual_order("ann")
    by_id = {i.product_id: i for i in usual.items}
    assert by_id["eggs"].quantity == 3
    assert Reason.of("usual_quantity", quantity=3.0) in by_id["eggs"].reasons
    assert by_id["banana"].quantity == 1
    assert not any("at a time" in r.text for r in by_id["banana"].reasons)


def test_reasons_state_the_counts(eng: GraphitiPersonalizationEngine) -> None:
    usual = eng.usual_order("ann")
    by_id = {i.product_id: i for i in usual.items}
    assert by_id["banana"].reasons[0].text == "in 10 of your 10 orders"
    assert by_id["eggs"].reasons[0].text == "in 8 of your 10 orders"
    assert by_id["beef"].reasons[0].params == {"lines": 1.0, "orders": 10}
    assert by_id["banana"].name == "Bananas"


def test_empty_user_gets_an_empty_order_with_a_reason(
    eng: GraphitiPersonalizationEngine,
) -> None:
    nobody = eng.usual_order("nobody")
    assert nobody.user_id == "nobody"
    assert nobody.items == [] and nobody.orders_seen == 0
    assert nobody.reasons == [Reason.of("no_purchases")]


def test_empty_engine_gives_an_empty_order() -> None:
    nobody = engine().usual_order("nobody")
    assert nobody.items == [] and nobody.reasons


def test_recent_orders_weigh_more_than_old_ones() -> None:
    """Same count, different age: rice was bought in the first 4 orders, pasta in the last 4."""
    eng = engine(half_life_days=30)
    baskets = [["milk", "rice"]] * 4 + [["milk"]] * 4 + [["milk", "pasta"]] * 4
    eng.record_many(history("bo", baskets))
    eng.fit()
    ids = [i.product_id for i in eng.usual_order("bo").items]
    assert ids == ["milk", "pasta", "rice"]


def test_usual_order_only_counts_purchases() -> None:
    from leafloaf import Event

    eng = engine()
    eng.record_many(weekly("cy", ["milk"], 3))
    eng.record(Event.view("cy", "berries", ts=day(1)))
    eng.record(Event.add_to_cart("cy", "berries", ts=day(1)))
    eng.fit()
    assert [i.product_id for i in eng.usual_order("cy").items] == ["milk"]
