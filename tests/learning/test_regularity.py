"""Interval regularity: per product and per shopper × product, shrunk toward the population."""

from __future__ import annotations

import itertools
import math
import random
from datetime import timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leafloaf import Event, GraphitiPersonalizationEngine
from leafloaf.evaluation.reorder import pooled_shape_probabilities
from leafloaf.learning.regularity import (
    SKIP_WINDOW,
    IntervalRegularity,
    _Cases,
    _probabilities,
    restock_probability,
)
from tests.learning.builders import PRODUCTS, day, engine, order

WEEKS = 30
POOL = [p.product_id for p in PRODUCTS if p.categories]


def _cyclic_world(rng: random.Random, miss: float = 0.0) -> list[Event]:
    """30 shoppers ordering weekly, each buying three products on a personal cycle of one to
    four weeks (random phase) plus one random extra: a population in which a shopper's own
    regularity predicts their next purchase. With ``miss``, a due product is left for the
    next order with that probability (and its cycle restarts from when it was bought)."""
    events: list[Event] = []
    for u in range(30):
        user = f"cyc{u}"
        cycles = {p: rng.randint(1, 4) for p in rng.sample(POOL, 3)}
        due = {p: rng.randrange(c) for p, c in cycles.items()}
        for week in range(WEEKS):
            items = []
            for p, c in cycles.items():
                if week >= due[p] and rng.random() >= miss:
                    items.append(p)
                    due[p] = week + c
            items.append(rng.choice(POOL))
            events += order(user, dict.fromkeys(items), day(7 * week), f"{user}-{week}")
    return events


def _shopper(user: str, coffee_weeks: set[int], weeks: int) -> list[Event]:
    """Weekly orders of milk, with coffee in ``coffee_weeks``."""
    return [
        event
        for week in range(weeks)
        for event in order(
            user,
            ["milk", "coffee"] if week in coffee_weeks else ["milk"],
            day(7 * week),
            f"{user}-{week}",
        )
    ]


REGULAR = set(range(0, WEEKS, 3))  # every 21 days; the last in week 27
IRREGULAR = {0, 1, 6, 8, 12, 13, 18, 19, 24, 27}  # the same count and last week, uneven gaps
LAST_COFFEE = day(7 * 27)


@pytest.fixture(scope="module")
def world() -> GraphitiPersonalizationEngine:
    eng = engine(now=day(7 * WEEKS))
    eng.record_many(_cyclic_world(random.Random(5)))
    eng.record_many(_shopper("reg", REGULAR, 28))
    eng.record_many(_shopper("irr", IRREGULAR, 28))
    eng.record_many(_shopper("few", {26, 27}, 28))
    eng.fit()
    return eng


def _p(eng: GraphitiPersonalizationEngine, user: str, product: str, after: float) -> float:
    prediction = eng.reorder_due(user, at=LAST_COFFEE + timedelta(days=after))
    return next(i.probability for i in prediction.items if i.product_id == product)


def _with_skips(eng: GraphitiPersonalizationEngine, user: str, weeks: int) -> None:
    """``user`` places ``weeks`` more weekly orders of milk alone after week 27."""
    for w in range(28, 28 + weeks):
        eng.record_many(order(user, ["milk"], day(7 * w), f"{user}-{w}"))


def test_regular_21_day_buyer_is_due_on_day_21_not_day_7(
    world: GraphitiPersonalizationEngine,
) -> None:
    day7 = _p(world, "reg", "coffee", 7)
    fit = world.population.regularity
    assert fit is not None
    _with_skips(world, "reg", 2)  # the orders of days 7 and 14, without coffee
    day21 = _p(world, "reg", "coffee", 21)
    at = (LAST_COFFEE + timedelta(days=21)).timestamp() / 86_400
    pooled = pooled_shape_probabilities(world.shopper_stats("reg"), world.population, at)
    assert day21 >= 0.6, (day21, fit)
    assert day7 <= 0.15, (day7, fit)
    assert day21 > pooled["coffee"]  # the pooled shape could not learn the regularity


def test_weekly_item_is_due_a_week_later(world: GraphitiPersonalizationEngine) -> None:
    assert _p(world, "irr", "milk", 7) >= 0.6
    assert _p(world, "irr", "milk", 2) < _p(world, "irr", "milk", 7)


def test_irregular_buyer_gets_a_flatter_curve(world: GraphitiPersonalizationEngine) -> None:
    fit = world.population.regularity
    assert fit is not None
    assert fit.log_var("irr", "coffee") > 2 * fit.log_var("reg", "coffee")
    early_reg, early_irr = _p(world, "reg", "coffee", 7), _p(world, "irr", "coffee", 7)
    assert early_irr > early_reg


def test_one_or_two_purchases_lean_on_the_product_prior(
    world: GraphitiPersonalizationEngine,
) -> None:
    fit = world.population.regularity
    assert fit is not None
    assert "coffee" not in fit.shopper.get("few", {})  # one interval: no degrees of freedom
    prior = fit.product_log_var.get("coffee", fit.global_log_var)
    assert fit.log_var("few", "coffee") == prior
    assert fit.log_var("nobody", "coffee") == prior
    assert fit.log_var("nobody", "no-such-product") == fit.global_log_var


def test_skipped_orders_lower_the_probability_gradually() -> None:
    # a need that comes every 7 days, orders every 7 days (offsets shifted by half a gap)
    base = restock_probability(7.0, 0.05, 0.9, 0.8, [], 10.5)
    one_early = restock_probability(7.0, 0.05, 0.9, 0.8, [1.0], 10.5)
    skips = [
        restock_probability(7.0, 0.05, 0.9, 0.8, [3.5 + 7 * j for j in range(1, m + 1)],
                            3.5 + 7 * (m + 1))
        for m in range(1, 6)
    ]  # fmt: skip
    assert abs(base - one_early) < 1e-3  # a skip right after the purchase says nothing
    assert all(a > b for a, b in itertools.pairwise(skips))
    assert skips[0] > 0.2 and skips[-1] < 0.5 * skips[0]
    hard = restock_probability(7.0, 0.05, 0.9, 1.0, [10.5], 17.5)
    assert hard < skips[0]  # a perfectly reliable shopper's skip says more


def test_skipped_orders_in_the_engine_lower_p_step_by_step(
    world: GraphitiPersonalizationEngine,
) -> None:
    # shoppers who now and then leave a due product for the next order: a skipped order is
    # evidence, not proof, that the need has not arisen
    eng = engine(now=day(7 * WEEKS))
    eng.record_many(_cyclic_world(random.Random(5), miss=0.3))
    eng.record_many(_shopper("sk", set(range(0, 28, 2)), 27))  # fortnightly, last in week 26
    eng.fit()
    seen = []
    for week in (28, 29, 30):  # the order of week 28 is due; then orders without coffee
        at = day(7 * week)
        seen.append(next(i.probability for i in eng.reorder_due("sk", at=at).items
                         if i.product_id == "coffee"))  # fmt: skip
        eng.record_many(order("sk", ["milk"], at, f"sk-{week}"))
    assert seen[0] > seen[1] > seen[2], seen
    assert seen[1] > 0.1 * seen[0], seen  # one skip lowers it; it does not erase it


def test_forgetting_a_shopper_drops_their_regularity(
    world: GraphitiPersonalizationEngine,
) -> None:
    eng = engine(now=day(7 * WEEKS))
    eng.record_many(_cyclic_world(random.Random(5)))
    eng.record_many(_shopper("gone", REGULAR, 28))
    eng.fit()
    assert "gone" in eng.population.regularity.shopper  # type: ignore[union-attr]
    eng.forget_user("gone")
    assert "gone" not in eng.population.regularity.shopper  # type: ignore[union-attr]


def test_fit_is_the_same_whatever_order_events_arrive_in() -> None:
    events = _cyclic_world(random.Random(9)) + _shopper("reg", REGULAR, 28)
    fits = []
    for seed in (1, 2):
        shuffled = list(events)
        random.Random(seed).shuffle(shuffled)
        eng = engine(now=day(7 * WEEKS))
        eng.record_many(shuffled)
        fits.append(eng.fit().regularity)
    a, b = fits
    assert a is not None and b is not None
    assert (a.nu_product, a.nu_shopper, a.reliability, a.cases) == (
        b.nu_product, b.nu_shopper, b.reliability, b.cases)  # fmt: skip
    assert a.calibration == pytest.approx(b.calibration, rel=1e-6)
    assert a.global_log_var == pytest.approx(b.global_log_var)
    assert a.shopper.keys() == b.shopper.keys()
    for user, own in a.shopper.items():
        for pid, (k, s) in own.items():
            assert b.shopper[user][pid] == pytest.approx((k, s), abs=1e-9)


_floats = st.floats(allow_nan=False, allow_infinity=False, width=64)


@settings(max_examples=200, deadline=None)
@given(
    mean=st.floats(-10, 1e4),
    log_var=st.floats(0, 50),
    active=st.floats(0, 1),
    reliability=st.floats(0, 1),
    skipped=st.lists(st.floats(-5, 1e4), max_size=12),
    horizon=st.floats(-10, 1e4),
    calibration=st.tuples(st.floats(0, 20), st.floats(0, 20), st.floats(-20, 20)),
)
def test_probability_is_finite_and_in_the_unit_interval(
    mean: float,
    log_var: float,
    active: float,
    reliability: float,
    skipped: list[float],
    horizon: float,
    calibration: tuple[float, float, float],
) -> None:
    p = restock_probability(
        mean, log_var, active, reliability, sorted(skipped), horizon, calibration
    )
    assert math.isfinite(p) and 0.0 <= p <= 1.0


@settings(max_examples=15, deadline=None)
@given(
    st.lists(
        st.tuples(st.floats(0, 200), st.sampled_from(["milk", "coffee", "eggs"])),
        min_size=1,
        max_size=25,
    ),
    st.floats(-30, 400),
)
def test_any_history_gives_finite_probabilities(
    purchases: list[tuple[float, str]], offset: float
) -> None:
    eng = engine(now=day(400))
    eng.record_many(
        [Event.purchase("h", pid, basket_id=f"b{t:.3f}", ts=day(t)) for t, pid in purchases]
    )
    eng.fit()
    items = eng.reorder_due("h", at=day(max(offset, 0))).items
    assert items and all(math.isfinite(i.probability) and 0 <= i.probability <= 1 for i in items)


def test_refit_vectorised_probabilities_match_the_read_path() -> None:
    rng = np.random.default_rng(0)
    n = 400
    skipped, rows, lumps = [], [], []
    for _ in range(n):
        offsets = np.sort(rng.uniform(0, 60, int(rng.integers(0, 14))))
        skipped.append(offsets)
        window = offsets[-SKIP_WINDOW:].tolist()
        rows.append(window + [math.nan] * (SKIP_WINDOW - len(window)))
        lumps.append(offsets[-SKIP_WINDOW - 1] if len(offsets) > SKIP_WINDOW else math.nan)
    mean, active = rng.uniform(2, 40, n), rng.uniform(0.1, 0.99, n)
    horizon, log_var = rng.uniform(0, 80, n), rng.uniform(0.01, 1.5, n)
    zeros = np.zeros(n)
    cases = _Cases(zeros.astype(np.int64), zeros.astype(np.int64), mean, active, horizon,
                   np.asarray(rows), np.asarray(lumps), zeros, zeros, zeros, zeros)  # fmt: skip
    for rho in (0.3, 0.8, 1.0):
        fast = _probabilities(cases, log_var, [rho])[:, 0]
        slow = [restock_probability(mean[i], log_var[i], active[i], rho,
                                    skipped[i][-SKIP_WINDOW - 1:].tolist(), horizon[i])
                for i in range(n)]  # fmt: skip
        assert fast == pytest.approx(slow, abs=1e-5)


def test_pooled_prior_from_a_gamma_shape() -> None:
    fit = IntervalRegularity.pooled(2.0)
    assert fit.global_log_var == pytest.approx(math.log(1.5))
    assert fit.log_var("anyone", "anything") == fit.global_log_var
