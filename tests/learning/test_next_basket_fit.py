"""Next-basket knobs learned by the population refit on held-out latest baskets."""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leafloaf import Event, GraphitiPersonalizationEngine, NextBasketSettings
from leafloaf.learning.nextbasket_fit import HALF_LIVES, NextBasketFit
from tests.learning.builders import day, engine, history, wide_catalog

PRODUCTS = [f"a{a}p{n}" for a in range(4) for n in range(10)]
CATALOG = wide_catalog(4, 10)


def _restock(shoppers: int, weeks: int, seed: int) -> list[Event]:
    """Every shopper keeps 24 products, each on a strict cycle of two to six weeks with its
    own phase: the next basket (about seven of them) is exactly the products due, whatever
    was bought most."""
    rng = random.Random(seed)
    events = []
    for u in range(shoppers):
        cycles = {p: (rng.randint(2, 6), rng.randrange(6)) for p in rng.sample(PRODUCTS, 24)}
        baskets = [
            [p for p, (c, phase) in sorted(cycles.items()) if (w + phase) % c == 0] or [PRODUCTS[0]]
            for w in range(weeks)
        ]
        events += history(f"r{u}", baskets, start=day(u % 7))
    return events


def _drifting(shoppers: int, weeks: int, seed: int) -> list[Event]:
    """Every shopper's basket is last week's with each product swapped for a random one
    with probability 0.35: last week predicts next week, older weeks hardly at all, and
    no product keeps a rhythm."""
    rng = random.Random(seed)
    events = []
    for u in range(shoppers):
        basket = rng.sample(PRODUCTS, 6)
        baskets = []
        for _ in range(weeks):
            basket = sorted({p if rng.random() > 0.35 else rng.choice(PRODUCTS) for p in basket})
            baskets.append(basket)
        events += history(f"d{u}", baskets, start=day(u % 7))
    return events


def _taste_groups(shoppers: int, weeks: int, seed: int) -> list[Event]:
    """Four groups of shoppers; each order is three random products of the group's ten, so a
    shopper's own few orders miss some of them that the rest of the group has bought."""
    rng = random.Random(seed)
    events = []
    for u in range(shoppers):
        group = PRODUCTS[(u % 4) * 10 : (u % 4) * 10 + 10]
        baskets = [sorted(rng.sample(group, 3)) for _ in range(weeks)]
        events += history(f"g{u}", baskets, start=day(u % 7))
    return events


def _fitted(events: list[Event], **config: object) -> GraphitiPersonalizationEngine:
    eng = engine(now=day(400), products=CATALOG, **config)
    eng.record_many(events)
    eng.fit()
    return eng


@pytest.fixture(scope="module")
def restock() -> GraphitiPersonalizationEngine:
    return _fitted(_restock(100, 12, seed=1))


@pytest.fixture(scope="module")
def drifting() -> GraphitiPersonalizationEngine:
    return _fitted(_drifting(100, 12, seed=2))


def test_strict_restock_timing_is_learned_as_a_timing_weight(
    restock: GraphitiPersonalizationEngine, drifting: GraphitiPersonalizationEngine
) -> None:
    timed, drifted = restock.next_basket_settings(), drifting.next_basket_settings()
    assert timed.source["timing_weight"] == "learned"
    assert timed.timing_weight > 0.0
    assert timed.heldout_recall > timed.neutral_recall  # the evidence it moved on
    # timing is what carries the cyclic population: pinned off, its held-out recall drops;
    # drifting tastes lose far less (their restock curve mostly repeats recency)
    untimed = _fitted(_restock(100, 12, seed=1), timing_weight=0.0).next_basket_settings()
    undrifted = _fitted(_drifting(100, 12, seed=2), timing_weight=0.0).next_basket_settings()
    cyclic_gain = timed.heldout_recall - untimed.heldout_recall
    assert cyclic_gain > 0.05
    assert cyclic_gain > drifted.heldout_recall - undrifted.heldout_recall


def test_drifting_tastes_are_learned_as_a_short_half_life(
    drifting: GraphitiPersonalizationEngine,
) -> None:
    learned = drifting.next_basket_settings()
    assert learned.source["half_life_days"] == "learned"
    assert learned.half_life_days < HALF_LIVES[-1]
    assert learned.half_life_days <= 30.0  # last week matters, older weeks hardly
    assert learned.heldout_recall > learned.neutral_recall
    assert learned.reasons[0].code == "settings_learned"


def test_shared_tastes_are_learned_as_a_neighbour_weight(
    drifting: GraphitiPersonalizationEngine,
) -> None:
    grouped = _fitted(_taste_groups(120, 4, seed=7))
    learned = grouped.next_basket_settings()
    assert learned.source["personal_weight"] == "learned"
    assert learned.personal_weight < 1.0
    assert learned.heldout_recall > learned.neutral_recall
    # each group's products the shopper never bought come from the neighbours
    own = set(grouped.shopper_stats("g0").purchased)
    proposed = grouped.next_basket("g0", 10, day(30))
    new = [p for p in proposed if p.product_id not in own]
    assert new and all(p.product_id in PRODUCTS[:10] for p in new)
    assert all("similar_shoppers" in {r.code for r in p.reasons} for p in new)
    # one's own basket is last week's: nobody else's history helps there
    assert drifting.next_basket_settings().personal_weight == 1.0


def test_the_engine_serves_the_learned_settings(restock: GraphitiPersonalizationEngine) -> None:
    """next_basket ranks with the learned knobs: the same list as the blend with them set
    by hand (the half-life left learned, as the rows were stored), and not the neutral one."""
    from leafloaf import EngineConfig
    from leafloaf.learning.nextbasket import next_basket_top

    learned = restock.next_basket_settings()
    by_hand = EngineConfig(
        timing_weight=learned.timing_weight,
        personal_weight=learned.personal_weight,
        neighbours=learned.neighbours,
    )
    neutral = EngineConfig(timing_weight=0.0, personal_weight=1.0)
    pop = restock.population
    at = day(12 * 7 + 1)
    differs = 0
    for user in (f"r{u}" for u in range(0, 100, 10)):
        served = restock.next_basket(user, 10, at).product_ids
        stats = restock.shopper_stats(user)
        moment = at.timestamp() / 86_400
        assert served == [p for p, _ in next_basket_top(stats, pop, by_hand, moment, 10, bool)]
        plain = [p for p, _ in next_basket_top(stats, pop, neutral, moment, 10, bool)]
        differs += served != plain
    assert differs > 0


def test_explicit_config_overrides_the_learned_values() -> None:
    eng = _fitted(_drifting(60, 10, seed=3), half_life_days=200.0, timing_weight=0.45)
    got = eng.next_basket_settings()
    assert isinstance(got, NextBasketSettings)
    assert (got.half_life_days, got.timing_weight) == (200.0, 0.45)
    assert got.source["half_life_days"] == got.source["timing_weight"] == "config"
    assert got.source["personal_weight"] in {"learned", "neutral"}
    assert "settings_configured" in {r.code for r in got.reasons}
    # the fit searched only what the host left open
    assert eng.population.next_basket.timing_weight == 0.45
    assert eng.population.next_basket.half_life_days == 200.0


def test_a_tiny_population_keeps_the_neutral_setting() -> None:
    eng = _fitted(_drifting(8, 6, seed=4))
    got = eng.next_basket_settings()
    assert got.cases < 20
    assert set(got.source.values()) == {"neutral"}
    assert (got.half_life_days, got.timing_weight, got.personal_weight) == (
        HALF_LIVES[-1],
        0.0,
        1.0,
    )
    assert got.reasons[0].code == "settings_neutral"
    assert eng.population.next_basket == NextBasketFit(cases=got.cases)


def test_an_empty_engine_reports_the_neutral_setting() -> None:
    got = engine(products=CATALOG).next_basket_settings()
    assert got.cases == 0 and not math.isnan(got.heldout_recall)


@settings(max_examples=2, deadline=None)
@given(seed=st.integers(min_value=0, max_value=2**16))
def test_learned_settings_do_not_depend_on_arrival_order(seed: int) -> None:
    """A sample smaller than the population is chosen by content, so any arrival order of
    the same events learns the same knobs."""
    import leafloaf.learning.nextbasket_fit as module
    import leafloaf.learning.population as population

    fit = module.fit_next_basket
    events = _drifting(50, 8, seed=5)
    shuffled = list(events)
    random.Random(seed).shuffle(shuffled)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            population,
            "fit_next_basket",
            lambda *a, **kw: fit(*a, **{**kw, "max_cases": 30, "max_pool": 40}),
        )
        fitted = [_fitted(stream).population.next_basket for stream in (events, shuffled)]
    assert fitted[0] == fitted[1]
    assert fitted[0].cases == 30
