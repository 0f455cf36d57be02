"""Budget awareness: where a shopper's unit prices sit within each category."""

from __future__ import annotations

import math
import random

import pytest

from leafloaf import Event, GraphitiPersonalizationEngine, Reason
from tests.learning.builders import PRICE, SHELF, day, engine, history, weekly

AISLES = list(SHELF)


def _priced(user: str, picks: list[list[str]], rng: random.Random | None = None) -> list[Event]:
    """One order per entry of ``picks``, each line at its catalog price (±5 % jitter)."""
    events = []
    for n, items in enumerate(picks):
        for event in history(user, [items], start=day(7 * n), basket_prefix=f"{user}-{n}"):
            jitter = rng.uniform(0.95, 1.05) if rng else 1.0
            price = PRICE[event.product_id or ""]
            assert price is not None
            events.append(event.model_copy(update={"unit_price": round(price * jitter, 2)}))
    return events


def _population() -> GraphitiPersonalizationEngine:
    """20 mixed shoppers pick any product of each aisle at random every week; "saver"
    always picks the cheapest of each aisle, "splurger" the dearest, "steady" the middle
    one; "noprice" records no prices, "few" has only two priced lines."""
    rng = random.Random(8)
    eng = engine()
    for u in range(20):
        picks = [[rng.choice(SHELF[a]) for a in AISLES] for _ in range(6)]
        eng.record_many(_priced(f"mix{u}", picks, rng))
    eng.record_many(_priced("saver", [[SHELF[a][0] for a in AISLES]] * 6, rng))
    eng.record_many(_priced("splurger", [[SHELF[a][-1] for a in AISLES]] * 6, rng))
    eng.record_many(_priced("steady", [[SHELF[a][1] for a in AISLES]] * 6, rng))
    eng.record_many(weekly("noprice", ["milk", "bread"], 4))
    eng.record_many(_priced("few", [["cheapmilk", "whitebread"]], rng))
    eng.fit()
    return eng


@pytest.fixture(scope="module")
def pop() -> GraphitiPersonalizationEngine:
    return _population()


def test_cheapest_picker_is_price_sensitive(pop: GraphitiPersonalizationEngine) -> None:
    saver = pop.budget_profile("saver")
    assert saver.sensitivity == "price-sensitive"
    assert saver.price_position is not None and saver.price_position < -0.5
    assert saver.percentile is not None and saver.percentile < 1 / 3
    assert saver.lines_priced == 24
    assert saver.standard_error == pytest.approx(1 / math.sqrt(24))


def test_dearest_picker_is_premium(pop: GraphitiPersonalizationEngine) -> None:
    splurger = pop.budget_profile("splurger")
    assert splurger.sensitivity == "premium"
    assert splurger.price_position is not None and splurger.price_position > 0.5
    assert splurger.percentile is not None and splurger.percentile > 2 / 3


def test_middle_picker_is_mainstream(pop: GraphitiPersonalizationEngine) -> None:
    steady = pop.budget_profile("steady")
    saver, splurger = pop.budget_profile("saver"), pop.budget_profile("splurger")
    assert steady.sensitivity == "mainstream"
    assert saver.price_position < steady.price_position < splurger.price_position  # type: ignore[operator]


def test_no_prices_means_unknown(pop: GraphitiPersonalizationEngine) -> None:
    for user in ("noprice", "stranger"):
        profile = pop.budget_profile(user)
        assert profile.sensitivity == "unknown"
        assert profile.price_position is None and profile.percentile is None
        assert profile.lines_priced == 0
        assert profile.reasons == [Reason.of("no_prices")]


def test_too_few_priced_lines_means_unknown(pop: GraphitiPersonalizationEngine) -> None:
    few = pop.budget_profile("few")
    assert few.sensitivity == "unknown" and few.lines_priced == 2
    assert few.reasons[0] == Reason.of("few_prices", priced=2)


def test_population_positions_are_sorted_and_finite(pop: GraphitiPersonalizationEngine) -> None:
    positions = pop.population.price_positions
    assert len(positions) == 23  # mixed shoppers, saver, splurger, steady
    assert all(math.isfinite(p) for p in positions)
    assert list(positions) == sorted(positions)


def test_small_population_uses_the_standard_error() -> None:
    """Under 10 priced shoppers there are no terciles: the label needs |z| > 2 SE."""
    rng = random.Random(2)
    eng = engine()
    for u in range(3):
        picks = [[rng.choice(SHELF[a]) for a in AISLES] for _ in range(6)]
        eng.record_many(_priced(f"mix{u}", picks, rng))
    eng.record_many(_priced("saver", [[SHELF[a][0] for a in AISLES]] * 6, rng))
    eng.fit()
    saver = eng.budget_profile("saver")
    assert saver.percentile is None
    assert saver.sensitivity == "price-sensitive"


def test_reranking_prefers_what_fits_the_budget(pop: GraphitiPersonalizationEngine) -> None:
    candidates = ["oatmilk", "granola", "milk", "cornflakes", "cheapmilk", "cereal"]
    saver = pop.rerank("saver", candidates).product_ids
    assert saver.index("cheapmilk") < saver.index("milk") < saver.index("oatmilk")
    # a shopper with no history has no price position: the original order stands
    stranger = pop.rerank("stranger", candidates).product_ids
    assert stranger == candidates
