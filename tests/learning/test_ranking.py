"""Re-ranking candidates for one shopper, and the explanation of each score."""

from __future__ import annotations

import math
import random

import pytest

from leafloaf import Event, GraphitiPersonalizationEngine, Reason, UnknownProductError
from tests.learning.builders import PRICE, PRODUCTS, background, day, engine, history, weekly

MILKS = ["milk", "cheapmilk", "oatmilk"]


def _population(price_weight: float | None = None) -> GraphitiPersonalizationEngine:
    """20 ordinary shoppers; ann buys oat milk and bananas weekly (never bread);
    ben buys milk, bread and chicken weekly; cat buys the cheapest milk, bread, cereal and
    coffee weekly and her unit prices are recorded."""
    eng = engine(now=day(70), price_weight=price_weight)
    background(eng, random.Random(9))
    eng.record_many(weekly("ann", ["oatmilk", "banana"], 8))
    eng.record_many(weekly("ben", ["milk", "bread", "chicken"], 8))
    for pid in ("cheapmilk", "whitebread", "cornflakes", "cheapcoffee"):
        eng.record_many(weekly("cat", [pid], 8, unit_price=PRICE[pid]))
    eng.fit()
    return eng


@pytest.fixture(scope="module")
def pop() -> GraphitiPersonalizationEngine:
    return _population()


@pytest.fixture
def fresh() -> GraphitiPersonalizationEngine:
    return _population()


ALL = [p.product_id for p in PRODUCTS]


def test_new_user_keeps_the_original_order(pop: GraphitiPersonalizationEngine) -> None:
    for candidates in (MILKS, ALL, list(reversed(ALL))):
        ranked = pop.rerank("stranger", candidates)
        assert ranked.product_ids == candidates
        assert [r.base_rank for r in ranked] == list(range(len(candidates)))
        assert all(r.reasons == [Reason.of("original_position")] for r in ranked[:3])


def test_repeat_purchase_comes_first_among_its_category(
    pop: GraphitiPersonalizationEngine,
) -> None:
    ranked = pop.rerank("ann", MILKS, query="milk")
    assert ranked.product_ids[0] == "oatmilk"
    assert ranked[0].base_rank == 2
    assert ranked[0].reasons[0].text == "you bought it 8 times"
    ben = pop.rerank("ben", ["oatmilk", "cheapmilk", "milk"]).product_ids
    assert ben[0] == "milk"


def test_a_bought_category_ranks_above_an_unbought_one(
    pop: GraphitiPersonalizationEngine,
) -> None:
    """ann never bought cheap milk, but she buys milk weekly and never bread."""
    ranked = pop.rerank("ann", ["rye", "cheapmilk"])
    assert ranked.product_ids == ["cheapmilk", "rye"]


def test_scores_are_finite_and_sorted(pop: GraphitiPersonalizationEngine) -> None:
    for user in ("ann", "ben", "stranger", "bg0"):
        ranked = pop.rerank(user, ALL)
        assert all(math.isfinite(s) for s in ranked.scores)
        assert ranked.scores == sorted(ranked.scores, reverse=True)
        assert sorted(ranked.product_ids) == sorted(ALL)


def test_declared_avoidance_sinks_its_products_to_the_bottom(
    fresh: GraphitiPersonalizationEngine,
) -> None:
    fresh.declare_avoidance("ben", "department:meat seafood", at=day(70))
    candidates = ["chicken", "milk", "beef", "bread", "salmon", "rice", "banana"]
    ranked = fresh.rerank("ben", candidates)
    assert set(ranked.product_ids[-3:]) == {"chicken", "beef", "salmon"}
    assert Reason.of("diet_conflict") in ranked[-1].reasons
    # chicken was ben's weekly buy, and still sinks below everything else
    assert ranked.product_ids.index("chicken") > ranked.product_ids.index("rice")


def test_inferred_avoidance_demotes_meat_for_a_long_vegetarian_history() -> None:
    """20 shoppers who buy meat every week; a vegetarian with 60 lines never did."""
    rng = random.Random(3)
    eng = engine(now=day(80))
    for u in range(20):
        baskets = [[rng.choice(["chicken", "beef", "salmon"]), "banana", "bread"]] * 10
        eng.record_many(history(f"m{u}", baskets))
    eng.record_many(weekly("veg", ["banana", "bread", "kale", "rice", "milk", "eggs"], 10))
    eng.fit()
    assert eng.dietary_profile("veg").avoids("department:meat seafood")
    ranked = eng.rerank("veg", ["chicken", "carrots", "beef"]).product_ids
    assert ranked[0] == "carrots"
    explained = eng.explain("veg", "chicken")
    assert explained.contributions["diet"] < -1.0


def test_dismissed_product_moves_down(fresh: GraphitiPersonalizationEngine) -> None:
    candidates = ["bread", "milk", "rye"]
    before = fresh.rerank("ben", candidates)
    top = before.product_ids[0]
    for n in range(3):
        fresh.record(Event.dismiss("ben", top, ts=day(71 + n)))
    after = fresh.rerank("ben", candidates)
    assert after.product_ids.index(top) > before.product_ids.index(top)
    moved = next(r for r in after if r.product_id == top)
    assert Reason.of("dismissed") in moved.reasons
    assert moved.score < before[0].score


def test_a_removed_suggestion_moves_down_and_an_added_one_up(
    fresh: GraphitiPersonalizationEngine,
) -> None:
    candidates = ["bread", "milk", "rye"]
    before = fresh.rerank("ben", candidates)
    top, last = before.product_ids[0], before.product_ids[-1]
    fresh.record(Event.add_to_cart("ben", top, ts=day(71)))
    fresh.record(Event.remove_from_cart("ben", top, ts=day(71)))
    neutral = fresh.rerank("ben", candidates)
    assert neutral.scores == pytest.approx(before.scores)  # added then taken out: no signal
    for n in range(3):  # taken out again and again: as strong as three dismissals
        fresh.record(Event.remove_from_cart("ben", top, ts=day(72 + n)))
        fresh.record(Event.add_to_cart("ben", last, ts=day(72 + n)))
    after = fresh.rerank("ben", candidates)
    assert after.product_ids.index(top) > before.product_ids.index(top)
    gained = next(r for r in after if r.product_id == last)
    assert gained.score == pytest.approx(before[2].score + math.log(4))
    assert Reason.of("cart_added_before") in gained.reasons
    removed = next(r for r in after if r.product_id == top)
    assert Reason.of("cart_removed_before") in removed.reasons
    explained = fresh.explain("ben", top)
    assert explained.contributions["cart"] == pytest.approx(math.log(2) - math.log(5))


def test_price_position_prefers_products_priced_like_the_usual_picks(
    pop: GraphitiPersonalizationEngine,
) -> None:
    """With the term on (a host's weight: habits this regular teach a learned weight of 0),
    a shopper who buys the cheap end of each aisle has dearer products pushed down."""
    priced = _population(price_weight=1.0)

    def price(pid: str) -> float:
        return priced.explain("cat", pid).contributions.get("price", 0.0)

    assert price("finecoffee") < price("coffee") <= 0 < price("cheapcoffee")
    assert price("granola") < price("cereal") < price("cornflakes")
    assert Reason.of("price_differs") in priced.explain("cat", "finecoffee").reasons
    candidates = ["finecoffee", "coffee", "granola", "cereal"]
    on = {p.product_id: p.score for p in priced.rerank("cat", candidates)}
    off = {p.product_id: p.score for p in pop.rerank("cat", candidates)}
    assert on["coffee"] - on["finecoffee"] > off["coffee"] - off["finecoffee"]
    assert pop.population.prices is not None and pop.population.prices.weight == 0.0


@pytest.mark.parametrize("user", ["ann", "ben", "cat", "stranger", "bg3"])
def test_explain_contributions_add_up_to_the_rerank_score(
    pop: GraphitiPersonalizationEngine, user: str
) -> None:
    ranked = pop.rerank(user, ALL)
    for item in ranked:
        explained = pop.explain(user, item.product_id)
        assert "position" not in explained.contributions
        position = -math.log1p(item.base_rank)
        total = sum(explained.contributions.values())
        assert math.isclose(total, item.score - position, rel_tol=1e-9, abs_tol=1e-9)
    first = pop.rerank(user, ["oatmilk"])[0]
    assert sum(pop.explain(user, "oatmilk").contributions.values()) == pytest.approx(
        first.score, abs=1e-12
    )


def test_explain_reports_the_statistics(pop: GraphitiPersonalizationEngine) -> None:
    explained = pop.explain("ann", "oatmilk")
    assert explained.statistics["lines"] == 8
    assert explained.statistics["orders"] == 8
    assert explained.name == "Oat Milk"
    assert explained.reasons[0] == Reason.of("bought_before", times=8)
    assert pop.explain("stranger", "oatmilk").statistics == {"orders": 0.0}


def test_products_or_ids_are_accepted_and_unknown_ids_rejected(
    pop: GraphitiPersonalizationEngine,
) -> None:
    objects = [p for p in PRODUCTS if p.product_id in MILKS]
    assert pop.rerank("ann", objects).product_ids[0] == "oatmilk"
    with pytest.raises(UnknownProductError):
        pop.rerank("ann", ["milk", "no-such-product"])
    with pytest.raises(UnknownProductError):
        pop.explain("ann", "no-such-product")


def test_ranking_behaves_as_a_sequence(pop: GraphitiPersonalizationEngine) -> None:
    ranked = pop.rerank("ann", MILKS)
    assert len(ranked) == 3
    assert ranked[-1] == ranked[2]
    assert [r.product_id for r in ranked[:2]] == ranked.product_ids[:2]
    assert list(ranked) == ranked[0:3]
    assert len(pop.rerank("ann", [])) == 0
