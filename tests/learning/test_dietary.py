"""Dietary avoidance: inferred from what a shopper never buys, overridden by what they say."""

from __future__ import annotations

import random
from datetime import datetime

import pytest

from leafloaf import Event, GraphitiPersonalizationEngine, ValidationError
from leafloaf.learning.dietary import posterior_avoid
from tests.learning.builders import MEAT, NOT_MEAT, day, engine, history

MEAT_DEPT = "department:meat seafood"
PRODUCE = ["banana", "apple", "berries", "kale", "carrots"]
OTHER = ["milk", "eggs", "yogurt", "bread", "rice", "pasta", "cereal", "coffee"]
VEGETARIANS = ["veg0", "veg1", "veg2"]


def _population() -> GraphitiPersonalizationEngine:
    """60 ordinary shoppers: each line is meat with a personal rate of 8-25 %, produce with
    20-40 %, else another department; 6 of them also buy diapers now and then.
    Three vegetarians with 15 orders of 6 lines never buy meat; "brief" has 2 lines."""
    rng = random.Random(7)
    eng = engine(now=day(120))
    for u in range(60):
        user = f"u{u}"
        meat_rate, produce_rate = rng.uniform(0.08, 0.25), rng.uniform(0.2, 0.4)
        baskets = []
        for _ in range(rng.randint(8, 15)):
            basket = []
            for _ in range(rng.randint(4, 9)):
                x = rng.random()
                pool = MEAT if x < meat_rate else PRODUCE if x < meat_rate + produce_rate else OTHER
                basket.append(rng.choice(pool))
            if u % 10 == 0 and rng.random() < 0.5:
                basket.append("diapers")
            if u == 0:
                basket.append("chicken")  # a sure meat buyer
            baskets.append(basket)
        eng.record_many(history(user, baskets, start=day(rng.uniform(0, 6))))
    for user in VEGETARIANS:
        baskets = [[rng.choice(NOT_MEAT) for _ in range(6)] for _ in range(15)]
        eng.record_many(history(user, baskets))
    eng.record_many(history("brief", [["banana", "kale"]]))
    eng.fit()
    return eng


@pytest.fixture(scope="module")
def pop() -> GraphitiPersonalizationEngine:
    return _population()


@pytest.fixture
def fresh() -> GraphitiPersonalizationEngine:
    """A private copy for tests that declare things."""
    return _population()


def test_long_history_without_meat_is_inferred_as_avoiding_it(
    pop: GraphitiPersonalizationEngine,
) -> None:
    for user in VEGETARIANS:
        profile = pop.dietary_profile(user)
        assert profile.avoids(MEAT_DEPT), user
        meat = next(a for a in profile.avoided if a.attribute == MEAT_DEPT)
        assert meat.source == "inferred"
        assert meat.probability >= 0.9
        assert meat.expected_purchases > 5  # ~15 % of 90 lines
        assert profile.lines_seen == 90
        assert any("none of your 90 purchases" in r.text for r in meat.reasons)


def test_two_lines_are_not_enough_evidence(pop: GraphitiPersonalizationEngine) -> None:
    profile = pop.dietary_profile("brief")
    assert profile.lines_seen == 2
    assert not profile.avoids(MEAT_DEPT)
    assert profile.avoided == []


def test_meat_buyers_are_not_inferred_to_avoid_meat(pop: GraphitiPersonalizationEngine) -> None:
    assert not pop.dietary_profile("u0").avoids(MEAT_DEPT)
    buyers = {e.user_id for e in pop.store.events() if e.product_id in MEAT}
    assert len(buyers) >= 50
    assert not any(pop.dietary_profile(u).avoids(MEAT_DEPT) for u in buyers)


def test_an_attribute_most_shoppers_never_buy_is_not_an_avoidance(
    pop: GraphitiPersonalizationEngine,
) -> None:
    rates = pop.population.attribute_rates
    assert rates is not None
    assert rates.buyer_share("department:babies") < 0.5
    for user in [*VEGETARIANS, "u1", "u2"]:
        assert not pop.dietary_profile(user).avoids("department:babies")


def test_only_attributes_the_shopper_never_bought_are_inferred(
    pop: GraphitiPersonalizationEngine,
) -> None:
    bought: set[str] = set()
    for event in pop.store.events("veg0"):
        bought.update(pop.catalog.attributes(event.product_id or ""))
    profile = pop.dietary_profile("veg0")
    assert profile.avoided, "expected at least the meat department"
    assert not {a.attribute for a in profile.avoided} & bought
    probs = [a.probability for a in profile.avoided]
    assert probs == sorted(probs, reverse=True)
    assert all(a.probability >= 0.9 for a in profile.avoided)


def test_declaring_makes_it_declared_with_probability_one(
    fresh: GraphitiPersonalizationEngine,
) -> None:
    fresh.declare_avoidance("veg0", MEAT_DEPT, at=day(100))
    profile = fresh.dietary_profile("veg0")
    entries = [a for a in profile.avoided if a.attribute == MEAT_DEPT]
    assert len(entries) == 1  # declared replaces inferred, not listed twice
    assert entries[0].source == "declared" and entries[0].probability == 1.0
    assert profile.avoided[0].source == "declared"  # declared ones come first
    assert [r.text for r in entries[0].reasons] == [
        "you told us you avoid meat seafood (department)"
    ]
    assert entries[0].reasons[0].params["key"] == "department:meat seafood"


def test_declaration_overrides_purchases(fresh: GraphitiPersonalizationEngine) -> None:
    """u0 buys chicken every week but says they are now vegetarian."""
    fresh.declare_avoidance("u0", MEAT_DEPT, at=day(100))
    profile = fresh.dietary_profile("u0")
    assert profile.avoids(MEAT_DEPT)
    assert profile.avoided[0].attribute == MEAT_DEPT
    assert profile.avoided[0].source == "declared"


def test_declaring_not_avoiding_removes_an_inferred_avoidance(
    fresh: GraphitiPersonalizationEngine,
) -> None:
    assert fresh.dietary_profile("veg1").avoids(MEAT_DEPT)
    fresh.declare_avoidance("veg1", MEAT_DEPT, avoid=False, at=day(100))
    assert not fresh.dietary_profile("veg1").avoids(MEAT_DEPT)
    assert fresh.dietary_profile("veg2").avoids(MEAT_DEPT)  # only veg1 said so


def test_the_latest_statement_wins_whatever_the_recording_order(
    fresh: GraphitiPersonalizationEngine,
) -> None:
    fresh.declare_avoidance("u1", "aisle:milk", avoid=True, at=day(100))
    fresh.declare_avoidance("u1", "aisle:milk", avoid=False, at=day(90))  # older: ignored
    assert fresh.dietary_profile("u1").avoids("aisle:milk")
    fresh.declare_avoidance("u1", "aisle:milk", avoid=False, at=day(110))
    assert not fresh.dietary_profile("u1").avoids("aisle:milk")


def test_declarations_need_no_purchase_history(fresh: GraphitiPersonalizationEngine) -> None:
    fresh.declare_avoidance("newcomer", "aisle:poultry", at=day(1))
    profile = fresh.dietary_profile("newcomer")
    assert profile.lines_seen == 0
    assert [a.attribute for a in profile.avoided] == ["aisle:poultry"]


@pytest.mark.parametrize(
    ("user", "attribute", "at"),
    [
        ("u1", "department:toys", day(1)),  # no product has it
        ("  ", MEAT_DEPT, day(1)),
        ("u1", MEAT_DEPT, datetime(2026, 1, 1)),  # naive on purpose
    ],
)
def test_bad_declarations_are_rejected(
    pop: GraphitiPersonalizationEngine, user: str, attribute: str, at: datetime
) -> None:
    with pytest.raises(ValidationError):
        pop.declare_avoidance(user, attribute, at=at)


def test_inference_needs_a_population() -> None:
    """One shopper alone: nothing to compare with, so nothing is inferred."""
    eng = engine()
    eng.record_many(history("solo", [["banana", "kale", "milk"]] * 20))
    eng.fit()
    assert not eng.dietary_profile("solo").avoids(MEAT_DEPT)


def test_evidence_grows_with_history() -> None:
    """Same population, vegetarians with 6, 30 and 90 lines: confidence rises with N."""
    eng = _population()
    for name, orders in (("v6", 1), ("v30", 5)):
        eng.record_many(
            history(name, [["banana", "milk", "bread", "rice", "kale", "eggs"]] * orders)
        )
    eng.fit()
    rates = eng.population.attribute_rates
    assert rates is not None
    i = rates.index[MEAT_DEPT]
    p6, p30, p90 = (float(posterior_avoid(rates, n)[i]) for n in (6, 30, 90))
    assert p6 < p30 < p90
    assert not eng.dietary_profile("v6").avoids(MEAT_DEPT)
    assert eng.dietary_profile("veg0").avoids(MEAT_DEPT)


def test_recording_meat_later_clears_the_inference(fresh: GraphitiPersonalizationEngine) -> None:
    fresh.record(Event.purchase("veg2", "salmon", basket_id="veg2-late", ts=day(110)))
    assert not fresh.dietary_profile("veg2").avoids(MEAT_DEPT)


def _proposals(eng: GraphitiPersonalizationEngine, user: str) -> dict[str, list[str]]:
    """What the methods that propose products unasked propose to ``user`` (complements are
    checked in test_complements: this population's baskets are random, without any)."""
    return {
        "usual_order": [i.product_id for i in eng.usual_order(user, k=20).items],
        "next_basket": [p.product_id for p in eng.next_basket(user, k=20, at=day(130))],
        "reorder_due": [i.product_id for i in eng.reorder_due(user, at=day(130)).items],
    }


def test_every_proposal_leaves_out_a_declared_avoidance(
    fresh: GraphitiPersonalizationEngine,
) -> None:
    before = _proposals(fresh, "u0")
    assert "chicken" in before["usual_order"] and set(MEAT) & set(before["next_basket"])
    fresh.declare_avoidance("u0", MEAT_DEPT)
    after = _proposals(fresh, "u0")
    for method, products in after.items():
        assert not set(products) & set(MEAT), method
        assert products, method  # the rest is still proposed
    reasons = fresh.usual_order("u0", k=20).reasons + fresh.reorder_due("u0", at=day(130)).reasons
    assert "left_out_declared" in {r.code for r in reasons}
    assert any("you told us you avoid" in r.text and "left out" in r.text for r in reasons)


def test_every_proposal_leaves_out_an_inferred_avoidance(
    pop: GraphitiPersonalizationEngine,
) -> None:
    assert any(a.attribute == MEAT_DEPT for a in pop.dietary_profile("veg0").avoided)
    ordinary = _proposals(pop, "u3")
    assert set(MEAT) & set(ordinary["next_basket"])  # meat is proposed to a meat buyer
    for method, products in _proposals(pop, "veg0").items():
        assert not set(products) & set(MEAT), method
