"""Next basket: the shopper's staples first, then what similar shoppers buy."""

from __future__ import annotations

import math
from datetime import datetime

import pytest

from leafloaf import EngineConfig, Event, GraphitiPersonalizationEngine, ValidationError
from tests.learning.builders import T0, day, engine, weekly


def _population() -> GraphitiPersonalizationEngine:
    """ann: bananas and milk weekly, beef once; four shoppers who share her bananas also
    buy bread every week. Five shoppers are too few to learn the blend from (the refit would
    keep plain personal frequency), so the host sets it here."""
    eng = engine(now=day(42), personal_weight=0.8, timing_weight=0.25, neighbours=300)
    eng.record_many(weekly("ann", ["banana", "milk"], 6))
    eng.record(Event.purchase("ann", "beef", basket_id="ann-0", ts=T0))
    for n in range(4):
        eng.record_many(weekly(f"o{n}", ["banana", "bread"], 6))
    eng.fit()
    return eng


@pytest.fixture(scope="module")
def pop() -> GraphitiPersonalizationEngine:
    return _population()


def test_staples_come_first_then_what_neighbours_buy(pop: GraphitiPersonalizationEngine) -> None:
    upcoming = pop.next_basket("ann", k=4, at=day(42))
    assert set(upcoming.product_ids[:2]) == {"banana", "milk"}
    assert "bread" in upcoming.product_ids  # never bought by ann; her neighbours do
    bread = next(r for r in upcoming if r.product_id == "bread")
    assert "similar_shoppers" in {reason.code for reason in bread.reasons}
    assert upcoming.product_ids.index("bread") > upcoming.product_ids.index("milk")


@pytest.mark.parametrize("k", [0, 1, 3, 100])
def test_k_is_respected_and_scores_are_sorted(pop: GraphitiPersonalizationEngine, k: int) -> None:
    upcoming = pop.next_basket("ann", k=k, at=day(42))
    assert len(upcoming) == min(k, 4)  # banana, milk, beef, bread
    assert upcoming.scores == sorted(upcoming.scores, reverse=True)
    assert all(math.isfinite(s) and 0 <= s <= 1 for s in upcoming.scores)


def test_stranger_and_naive_time(pop: GraphitiPersonalizationEngine) -> None:
    assert len(pop.next_basket("stranger", at=day(42))) == 0
    with pytest.raises(ValidationError):
        pop.next_basket("ann", at=datetime(2026, 3, 1))  # naive on purpose


def test_at_defaults_to_the_engine_clock(pop: GraphitiPersonalizationEngine) -> None:
    assert pop.next_basket("ann").product_ids == pop.next_basket("ann", at=day(42)).product_ids


@pytest.mark.parametrize("k", [1, 10, 60])
def test_the_top_k_path_equals_sorting_every_score_on_real_shoppers(k: int) -> None:
    """``next_basket_top`` picks from the neighbour array without building every score; it
    must give exactly the list that sorting all of ``next_basket_scores`` gives, with any
    filter (one that refuses many products makes it widen its pick)."""
    from leafloaf.learning.nextbasket import next_basket_scores, next_basket_top
    from tests.runtime.faults import real_events

    data = real_events(20_000)
    # the neighbour path is what is checked: the host sets a blend that weighs it
    blend = EngineConfig(personal_weight=0.8, timing_weight=0.25, neighbours=300)
    real = GraphitiPersonalizationEngine(data.catalog, config=blend)
    real.record_many(data.events)
    real.fit()
    pop_model = real.population
    at = max(e.ts for e in data.events).timestamp() / 86_400 + 7
    filters = [lambda pid: True, lambda pid: pid[-1] in "01234", lambda pid: pid.endswith("7")]
    for user in sorted(real.users())[:40]:
        stats = real._user_stats(user)
        full = next_basket_scores(stats, pop_model, real.config, at)
        ranked = sorted(full.items(), key=lambda kv: (-kv[1][0], kv[0]))
        for keep in filters:
            want = [(pid, parts) for pid, parts in ranked if keep(pid)][:k]
            assert next_basket_top(stats, pop_model, real.config, at, k, keep) == want
