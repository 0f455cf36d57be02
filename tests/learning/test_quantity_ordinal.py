"""Ordinal quantity memory: neighbouring quantities support each other, the population and
category are priors, and the strengths are fitted on held-out lines (learning/quantity.py)."""

from __future__ import annotations

import math
import random
from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from leafloaf import Event
from leafloaf.learning.quantity import (
    POOL_GRID,
    PRIOR_GRID,
    SMOOTHING_GRID,
    QuantityStrengths,
    fit_quantity_strengths,
    quantity_posterior,
)
from tests.learning.builders import T0, engine, weekly


def _crowd(product: str, quantity: float, shoppers: int = 20) -> list[Event]:
    return [e for u in range(shoppers)
            for e in weekly(f"c{u}", [product], 3, quantity=quantity)]  # fmt: skip


def _alternating(user: str, product: str, quantities: list[float]) -> list[Event]:
    return [
        Event.purchase(user, product, quantity=q, basket_id=f"{user}-{n}",
                       ts=T0 + timedelta(days=7 * n))
        for n, q in enumerate(quantities)
    ]  # fmt: skip


def test_a_shopper_alternating_two_and_three_gets_two_or_three() -> None:
    eng = engine()
    eng.record_many(_crowd("milk", 1) + _crowd("eggs", 6, 5))
    eng.record_many(_alternating("alt", "milk", [2, 3, 2, 3]))
    eng.fit()
    q = eng.suggest_quantity("alt", "milk")
    assert q.quantity in (2, 3) and q.median in (2, 3), q
    assert q.source == "personal"


def test_a_shopper_who_always_buys_six_gets_six_against_a_population_of_ones() -> None:
    eng = engine()
    eng.record_many(_crowd("eggs", 1) + weekly("six", ["eggs"], 4, quantity=6))
    eng.fit()
    q = eng.suggest_quantity("six", "eggs")
    assert (q.quantity, q.source) == (6, "personal")


def test_a_new_item_follows_its_products_population_mode() -> None:
    eng = engine()
    eng.record_many(_crowd("milk", 2) + _crowd("oatmilk", 1) + weekly("ann", ["bread"], 3))
    eng.fit()
    q = eng.suggest_quantity("ann", "milk")
    assert (q.quantity, q.source) == (2, "product")
    # a product nobody bought leans on its category (milk aisle: 60 lines of 2, 60 of 1 → tie
    # to the smaller), not on a fixed one
    cheap = eng.suggest_quantity("ann", "cheapmilk")
    assert cheap.source == "category" and cheap.quantity in (1, 2)


def test_the_fitted_prior_follows_how_personal_the_habits_are() -> None:
    """Shoppers who each keep their own quantity (an α near zero serves them best) vs.
    shoppers who draw each line from the product's spread (the population is the better
    guide): the fit must tell the two apart."""
    rng = random.Random(7)

    def world(personal: bool) -> QuantityStrengths:
        eng = engine()
        events: list[Event] = []
        for u in range(40):
            own = rng.choice([1, 2, 3, 6])
            lines = [own if personal else rng.choice([1, 2, 3, 6]) for _ in range(6)]
            events += _alternating(f"s{u}", "eggs", [float(q) for q in lines])
        eng.record_many(events)
        eng.fit()
        return eng.population.quantity.strengths

    personal, random_draws = world(True), world(False)
    assert personal.cases > 0 and random_draws.cases > 0
    assert personal.prior < random_draws.prior, (personal, random_draws)


def test_a_pinned_strength_is_served_as_given() -> None:
    eng = engine(quantity_prior=64.0)
    eng.record_many(_crowd("eggs", 1) + weekly("six", ["eggs"], 2, quantity=6))
    eng.fit()
    assert eng.population.quantity.strengths.prior == 64.0
    assert eng.suggest_quantity("six", "eggs").quantity == 1  # 64 pseudo-lines of ones win


histograms = st.dictionaries(
    st.sampled_from([1.0, 2.0, 3.0, 4.0, 6.0, 12.0, 0.5]),
    st.integers(1, 6).map(float),
    min_size=1,
    max_size=4,
)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["eggs", "milk", "kale"]), histograms),
                min_size=1, max_size=12))  # fmt: skip
def test_fitted_strengths_are_finite_and_on_their_grids(
    shoppers: list[tuple[str, dict[float, float]]],
) -> None:
    product: dict[str, dict[float, float]] = {}
    for pid, hist in shoppers:
        for q, c in hist.items():
            product.setdefault(pid, {})[q] = product.get(pid, {}).get(q, 0.0) + c
    overall: dict[float, float] = {}
    for hist in product.values():
        for q, c in hist.items():
            overall[q] = overall.get(q, 0.0) + c
    fitted = fit_quantity_strengths(
        [{pid: hist} for pid, hist in shoppers], product, None, {}, {}, overall,
        sum(overall.values()),
    )  # fmt: skip
    assert min(PRIOR_GRID) <= fitted.prior <= max(PRIOR_GRID)
    assert min(POOL_GRID) <= fitted.pool <= max(POOL_GRID)
    assert min(SMOOTHING_GRID) <= fitted.smoothing <= max(SMOOTHING_GRID)
    if fitted.log_likelihood is not None:
        assert math.isfinite(fitted.log_likelihood) and fitted.log_likelihood <= 0
    posterior = quantity_posterior(
        shoppers[0][1], product[shoppers[0][0]], {}, 0.0, overall, sum(overall.values()),
        fitted,
    )  # fmt: skip
    assert abs(sum(p for _, p in posterior) - 1.0) < 1e-9
    assert all(q > 0 and 0 <= p <= 1 for q, p in posterior)


@settings(max_examples=10, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 5), st.sampled_from(["eggs", "milk"]),
                          st.sampled_from([1.0, 2.0, 3.0, 6.0])),
                min_size=1, max_size=30),
       st.randoms(use_true_random=False))  # fmt: skip
def test_suggestions_are_positive_and_do_not_depend_on_event_order(
    lines: list[tuple[int, str, float]], rnd: random.Random
) -> None:
    events = [
        Event.purchase(f"u{u}", pid, quantity=q, basket_id=f"u{u}-{n}",
                       ts=T0 + timedelta(days=n))
        for n, (u, pid, q) in enumerate(lines)
    ]  # fmt: skip
    shuffled = list(events)
    rnd.shuffle(shuffled)
    answers = []
    for log in (events, shuffled):
        eng = engine()
        eng.record_many(log)
        eng.fit()
        answers.append(
            (
                eng.population.quantity.strengths,
                [eng.suggest_quantity(f"u{u}", pid) for u in range(6) for pid in ("eggs", "kale")],
            )
        )
    assert answers[0] == answers[1]
    for s in answers[0][1]:
        assert s.quantity > 0 and s.quantity == int(s.quantity)  # whole units were bought
        assert s.median is not None and s.median > 0


def test_a_log_without_quantities_keeps_the_defaults_and_suggests_one() -> None:
    # Instacart-like: every line is one unit, so no strength can explain anything better
    eng = engine()
    eng.record_many(_crowd("milk", 1) + weekly("ann", ["eggs", "milk"], 3))
    eng.fit()
    fitted = eng.population.quantity.strengths
    assert (fitted.prior, fitted.pool, fitted.smoothing) == (1.0, 1.0, 0.0)
    assert fitted.log_likelihood == 0.0
    for user, pid in (("ann", "eggs"), ("ann", "kale"), ("c0", "milk"), ("new", "bread")):
        assert eng.suggest_quantity(user, pid).quantity == 1


def test_an_ordinal_spread_lends_the_quantities_between_own_ones_weight() -> None:
    own, product = {2.0: 2.0, 4.0: 2.0}, {1.0: 50.0, 3.0: 1.0, 12.0: 5.0}

    def share(w: float, q: float) -> float:
        posterior = dict(quantity_posterior(own, product, {}, 0.0, {}, 0.0,
                                            QuantityStrengths(1.0, 1.0, w)))  # fmt: skip
        assert abs(sum(posterior.values()) - 1.0) < 1e-9
        return posterior[q]

    assert share(0.6, 3.0) > share(0.0, 3.0)  # between 2 and 4
    assert share(0.6, 12.0) < share(0.6, 3.0)  # far from both
    assert share(0.6, 2.0) < share(0.0, 2.0)  # the spread moves own evidence, adds none
