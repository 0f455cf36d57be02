"""Complements, quantity memory and budget awareness with known answers."""

from __future__ import annotations

import random
from datetime import timedelta

from leafloaf import Event
from tests.learning.builders import PRODUCTS, T0, engine, weekly


def test_pasta_sauce_complements_pasta_and_popular_items_do_not() -> None:
    rng = random.Random(3)
    eng = engine()
    for u in range(40):
        for week in range(6):
            basket = {"banana"}  # in every basket: popular, but no added value
            basket |= set(rng.sample(["milk", "bread", "rice", "eggs", "kale"], 2))
            if rng.random() < 0.4:
                basket |= {"pasta", "sauce"}
            ts = T0 + timedelta(days=7 * week)
            eng.record_many(
                Event.purchase(f"u{u}", p, basket_id=f"u{u}-{week}", ts=ts) for p in basket
            )
    ranked = eng.complements("u0", ["pasta"], k=5)
    assert ranked[0].product_id == "sauce"
    assert "pasta" not in [c.product_id for c in ranked]
    assert all(c.product_id != "banana" for c in ranked[:1])
    assert "Pasta" in ranked[0].reasons[0]


def test_quantity_personal_then_population_then_default() -> None:
    eng = engine()
    eng.record_many(weekly("ann", ["eggs"], 5, quantity=6))
    eng.record_many(weekly("bob", ["milk"], 4, quantity=2))
    eng.record_many(weekly("cat", ["milk"], 4, quantity=2))
    eng.record_many(weekly("dan", ["milk"], 1, quantity=1))
    mine = eng.suggest_quantity("ann", "eggs")
    assert (mine.quantity, mine.source) == (6, "personal")
    theirs = eng.suggest_quantity("ann", "milk")
    assert (theirs.quantity, theirs.source) == (2, "product")
    nobody = eng.suggest_quantity("ann", "beef")
    assert (nobody.quantity, nobody.source) == (1, "default")


def test_cheapest_picker_is_price_sensitive_dearest_is_premium() -> None:
    rng = random.Random(8)
    price = {p.product_id: p.price for p in PRODUCTS}
    eng = engine()
    milks = ["cheapmilk", "milk", "oatmilk"]
    breads = ["bread", "rye"]
    for u in range(20):
        picks = [rng.choice(milks), rng.choice(breads)]
        eng.record_many(weekly(f"mid{u}", picks, 5, unit_price=None))
        for week in range(5):
            for pid in picks:
                eng.record(Event.purchase(f"mid{u}", pid, unit_price=price[pid],
                                          basket_id=f"mid{u}-{week}",
                                          ts=T0 + timedelta(days=7 * week)))  # fmt: skip
    for user, picks in (("saver", ["cheapmilk", "bread"]), ("splurger", ["oatmilk", "rye"])):
        for week in range(5):
            for pid in picks:
                eng.record(Event.purchase(user, pid, unit_price=price[pid],
                                          basket_id=f"{user}-{week}",
                                          ts=T0 + timedelta(days=7 * week)))  # fmt: skip
    saver, splurger = eng.budget_profile("saver"), eng.budget_profile("splurger")
    assert saver.sensitivity == "price-sensitive" and saver.price_position < 0  # type: ignore[operator]
    assert splurger.sensitivity == "premium" and splurger.price_position > 0  # type: ignore[operator]
    eng.record_many(weekly("noprice", ["milk"], 3))
    assert eng.budget_profile("noprice").sensitivity == "unknown"
    # the re-ranker prefers what fits the shopper's price position
    ranked = eng.rerank("saver", ["oatmilk", "cheapmilk", "milk"]).product_ids
    assert ranked[0] == "cheapmilk"
