"""Complements: products bought with the basket far more often than chance says."""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leafloaf import Event, GraphitiPersonalizationEngine, Reason, UnknownProductError
from tests.learning.builders import day, engine, history

FILLERS = ["milk", "bread", "rice", "eggs", "kale", "apple", "yogurt", "cereal"]


def _population(seed: int = 3) -> GraphitiPersonalizationEngine:
    """40 shoppers, 6 weekly orders each. Bananas are in every basket of everyone (popular,
    no information); half the shoppers cook pasta and then always buy sauce with it, and
    half of those add carrots; sauce and carrots are never bought without pasta; fillers
    are random (almost every shopper buys each of them at some point)."""
    rng = random.Random(seed)
    eng = engine(now=day(60))
    for u in range(40):
        cooks = u % 2 == 0
        baskets = []
        for week in range(6):
            basket = ["banana", *rng.sample(FILLERS, 3)]
            if cooks and (week % 2 == 0 or rng.random() < 0.3):
                basket += ["pasta", "sauce"]
                if u % 4 == 0:
                    basket.append("carrots")
            baskets.append(basket)
        eng.record_many(history(f"u{u}", baskets, start=day(rng.uniform(0, 3))))
    eng.fit()
    return eng


@pytest.fixture(scope="module")
def pop() -> GraphitiPersonalizationEngine:
    return _population()


def test_sauce_is_the_top_complement_of_pasta(pop: GraphitiPersonalizationEngine) -> None:
    # "stranger" has no history: pure co-occurrence. u0 and u2 cook pasta, but their own
    # every-order items (bananas, fillers) complete a basket as well, so sauce is among
    # their proposals, said to come from the co-occurrence. (Non-cooks such as u1 have a
    # taste gap for the pasta-sauce aisle: see test_a_taste_gap_is_reported_and_...)
    ranked = pop.complements("stranger", ["pasta"], k=5)
    assert ranked[0].product_id == "sauce"
    assert ranked[0].name == "Pasta Sauce"
    assert [r.code for r in ranked[0].reasons] == ["bought_together"]
    assert ranked[0].reasons[0].params["anchor"] == "Spaghetti"
    assert "Spaghetti" in ranked[0].reasons[0].text
    for user in ("u0", "u2"):
        sauce = {c.product_id: c for c in pop.complements(user, ["pasta"], k=5)}["sauce"]
        assert sauce.reasons[0].code == "bought_together", user


def test_universally_popular_item_does_not_outrank_the_real_complement(
    pop: GraphitiPersonalizationEngine,
) -> None:
    ranked = pop.complements("stranger", ["pasta"], k=20)
    ids = [c.product_id for c in ranked]
    if "banana" in ids:
        assert ids.index("banana") > ids.index("sauce")
        banana = next(c for c in ranked if c.product_id == "banana")
        assert banana.score < ranked[0].score / 10
    co = pop.population.cooccurrence
    assert co.base_rate("banana") == 1.0
    assert co.together_count("pasta", "banana") == co.count("pasta")  # always together


def test_the_relation_is_symmetric(pop: GraphitiPersonalizationEngine) -> None:
    assert pop.complements("stranger", ["sauce"], k=1)[0].product_id == "pasta"


def test_basket_items_are_excluded(pop: GraphitiPersonalizationEngine) -> None:
    ranked = pop.complements("u0", ["pasta", "sauce", "milk"], k=20)
    ids = {c.product_id for c in ranked}
    assert not ids & {"pasta", "sauce", "milk"}


def test_scores_are_positive_finite_and_sorted(pop: GraphitiPersonalizationEngine) -> None:
    ranked = pop.complements("u0", ["pasta", "milk"], k=20)
    scores = [c.score for c in ranked]
    assert all(math.isfinite(s) and s > 0 for s in scores)
    assert scores == sorted(scores, reverse=True)


@pytest.mark.parametrize("k", [0, 1, 3])
def test_k_is_respected(pop: GraphitiPersonalizationEngine, k: int) -> None:
    assert len(pop.complements("u0", ["pasta", "milk"], k=k)) <= k
    assert len(pop.complements("u0", ["pasta", "milk"], k=k)) == min(
        k, len(pop.complements("u0", ["pasta", "milk"], k=100))
    )


def test_empty_basket_or_unseen_product_has_no_complements(
    pop: GraphitiPersonalizationEngine,
) -> None:
    assert pop.complements("u0", []) == []
    assert pop.complements("stranger", ["diapers"]) == []  # in the catalog, never bought


def test_unknown_product_is_rejected(pop: GraphitiPersonalizationEngine) -> None:
    with pytest.raises(UnknownProductError):
        pop.complements("u0", ["no-such-product"])


def test_one_heavy_buyer_cannot_make_a_pair_a_complement() -> None:
    """Counts are per shopper: 30 baskets of one shopper holding kale+coffee count once."""
    eng = _population()
    eng.record_many(history("fan", [["kale", "coffee"]] * 30))
    eng.fit()
    co = eng.population.cooccurrence
    assert co.together_count("kale", "coffee") == 1.0
    prior = eng.config.complement_prior
    coffee = sum(co.added_value(["kale"], prior).get("coffee", {}).values())
    sauce = sum(co.added_value(["pasta"], prior)["sauce"].values())
    assert coffee < sauce / 100


def test_weaker_complement_ranks_below_the_stronger_one(
    pop: GraphitiPersonalizationEngine,
) -> None:
    ranked = [c.product_id for c in pop.complements("stranger", ["pasta"], k=5)]
    assert ranked[:2] == ["sauce", "carrots"]


def test_own_habit_lifts_a_complement_for_that_shopper() -> None:
    """Carrots go with pasta for some shoppers; "fan" buys carrots in every order."""
    eng = _population()
    eng.record_many(history("fan", [["carrots", "milk"]] * 10))
    eng.fit()
    stranger = {c.product_id: c.score for c in eng.complements("stranger", ["pasta"], k=20)}
    fan = {c.product_id: c for c in eng.complements("fan", ["pasta"], k=20)}
    assert fan["carrots"].score > stranger["carrots"]
    assert Reason.of("own_share", share=1.0) in fan["carrots"].reasons


def test_declared_avoidance_sinks_a_complement() -> None:
    eng = _population()
    assert "sauce" in [c.product_id for c in eng.complements("u0", ["pasta"], k=20)]
    eng.declare_avoidance("u0", "aisle:pasta sauce", at=day(60))
    assert "sauce" not in [c.product_id for c in eng.complements("u0", ["pasta"], k=20)]
    eng.declare_avoidance("stranger", "aisle:pasta sauce", at=day(60))
    assert [c.product_id for c in eng.complements("stranger", ["pasta"], k=20)] == ["carrots"]


def test_purchase_only_events_form_baskets() -> None:
    eng = _population()
    for u in range(10):
        eng.record(Event.view(f"u{u}", "diapers", ts=day(1)))
    eng.fit()
    assert all(c.product_id != "diapers" for c in eng.complements("u0", ["pasta"], k=20))


def test_a_taste_gap_is_reported_and_does_not_filter(pop: GraphitiPersonalizationEngine) -> None:
    # u1 never cooks pasta but buys rice from the same department: the missing sauce aisle
    # is a taste gap, not a diet, so it is reported and the sauce is still proposed (diets
    # that do filter complements: tests/learning/test_dietary.py)
    diet = pop.dietary_profile("u1")
    sauce_attributes = set(pop.catalog.attributes("sauce"))
    assert "aisle:pasta sauce" in {a.attribute for a in diet.taste_gaps}
    assert all(a.kind == "taste" for a in diet.taste_gaps)
    assert not {a.attribute for a in diet.avoided} & sauce_attributes
    assert "sauce" in [c.product_id for c in pop.complements("u1", ["pasta"], k=20)]
    assert "sauce" in [c.product_id for c in pop.complements("u0", ["pasta"], k=20)]


def test_a_strong_personal_repeat_item_is_proposed_without_cooccurring() -> None:
    """ "fan" buys coffee in every order, never with pasta; nobody else buys coffee."""
    eng = _population()
    eng.record_many(history("fan", [["coffee", "milk"]] * 10 + [["pasta", "sauce"]]))
    eng.fit()
    assert eng.population.cooccurrence.together_count("pasta", "coffee") == 0.0
    ranked = {c.product_id: c for c in eng.complements("fan", ["pasta"], k=5)}
    assert "coffee" in ranked
    codes = [r.code for r in ranked["coffee"].reasons]
    assert codes == ["own_share", "history_weight"]
    assert "coffee" not in {c.product_id for c in eng.complements("stranger", ["pasta"], k=20)}


def test_a_new_shopper_gets_pure_cooccurrence(pop: GraphitiPersonalizationEngine) -> None:
    co = pop.population.cooccurrence
    added = co.added_value(["pasta"], pop.config.complement_prior)
    positive = {c: sum(v.values()) for c, v in added.items() if sum(v.values()) > 0}
    total = sum(positive.values())
    got = {c.product_id: c.score for c in pop.complements("stranger", ["pasta"], k=20)}
    assert got.keys() == positive.keys()
    for candidate, value in positive.items():
        assert got[candidate] == pytest.approx(value / total)


def test_kappa_is_fitted_finite_positive_and_deterministic() -> None:
    events = [
        e
        for u in range(30)
        for e in history(
            f"s{u}",
            [["pasta", "sauce", "milk"] if w % 2 else ["bread", "eggs", "milk"] for w in range(5)],
            start=day(u % 3),
        )
    ]
    first, second = engine(now=day(60)), engine(now=day(60))
    first.record_many(events)
    shuffled = list(events)
    random.Random(7).shuffle(shuffled)
    second.record_many(shuffled)
    first.fit()
    second.fit()
    fitted, again = first.population.complement_history, second.population.complement_history
    assert math.isfinite(fitted.kappa) and fitted.kappa > 0
    assert fitted.cases > 0
    assert fitted == again
    for user in ("s0", "s1", "stranger"):
        assert first.complements(user, ["pasta"], k=10) == second.complements(user, ["pasta"], k=10)


def test_kappa_without_repeat_history_falls_back_to_the_grid_middle() -> None:
    eng = engine(now=day(60))
    eng.record_many(history("one", [["pasta", "sauce"]]))
    eng.fit()
    assert eng.population.complement_history.cases == 0
    assert math.isfinite(eng.population.complement_history.kappa)


def test_avoided_products_are_never_proposed_even_as_own_repeats() -> None:
    eng = _population()
    eng.record_many(history("fan", [["coffee", "milk"]] * 10))
    eng.fit()
    assert "coffee" in {c.product_id for c in eng.complements("fan", ["pasta"], k=20)}
    eng.declare_avoidance("fan", "aisle:coffee", at=day(60))
    assert "coffee" not in {c.product_id for c in eng.complements("fan", ["pasta"], k=50)}


_POP = _population()


@settings(max_examples=40, deadline=None)
@given(
    basket=st.lists(st.sampled_from([*FILLERS, "pasta", "sauce", "carrots", "banana"]), max_size=6),
    user=st.sampled_from(["u0", "u1", "u3", "stranger"]),
    k=st.integers(min_value=0, max_value=30),
)
def test_scores_are_finite_and_bounded(basket: list[str], user: str, k: int) -> None:
    ranked = _POP.complements(user, basket, k=k)
    assert len(ranked) <= k
    assert all(math.isfinite(c.score) and 0.0 < c.score <= 1.0 for c in ranked)
    assert not {c.product_id for c in ranked} & set(basket)
    assert [c.score for c in ranked] == sorted((c.score for c in ranked), reverse=True)


def test_kappa_from_a_sample_of_shoppers_does_not_depend_on_arrival_order(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With fewer shoppers allowed than there are, the co-occurrence for fitting κ comes
    from a sample chosen by content, never by the order events arrived in."""
    from leafloaf.learning import complements as module

    fit = module.fit_history_strength
    monkeypatch.setattr(
        module, "fit_history_strength",
        lambda *a, **kw: fit(*a, **{**kw, "max_cases": 6, "max_shoppers": 10}),
    )  # fmt: skip
    import leafloaf.learning.population as population

    monkeypatch.setattr(population, "fit_history_strength", module.fit_history_strength)
    events = [
        e
        for u in range(40)
        for e in history(
            f"s{u}",
            [["pasta", "sauce", "milk"] if (w + u) % 3 else ["bread", "eggs"] for w in range(5)],
            start=day(u % 4),
        )
    ]
    shuffled = list(events)
    random.Random(11).shuffle(shuffled)
    fitted = []
    for stream in (events, shuffled):
        eng = engine(now=day(60))
        eng.record_many(stream)
        eng.fit()
        fitted.append(eng.population.complement_history)
    assert fitted[0] == fitted[1]
    assert 0 < fitted[0].cases <= 6 and math.isfinite(fitted[0].kappa)
