"""Re-ranking, explanations and the preference schema."""

from __future__ import annotations

import math
from datetime import timedelta

from leafloaf import Event, UserPreferences
from tests.learning.builders import T0, engine, weekly

MILKS = ["milk", "cheapmilk", "oatmilk"]


def _engine():  # type: ignore[no-untyped-def]
    eng = engine()
    for n in range(6):
        eng.record_many(weekly(f"o{n}", ["milk", "bread"], 4))
    eng.record_many(weekly("ann", ["oatmilk", "banana"], 6))
    return eng


def test_new_user_keeps_the_original_order() -> None:
    eng = _engine()
    ranked = eng.rerank("stranger", MILKS)
    assert ranked.product_ids == MILKS
    assert [r.base_rank for r in ranked] == [0, 1, 2]


def test_repeat_purchase_comes_first_with_reason() -> None:
    eng = _engine()
    ranked = eng.rerank("ann", MILKS, query="milk")
    assert ranked.product_ids[0] == "oatmilk"
    assert ranked[0].reasons == ["you bought it 6 times"]
    assert all(math.isfinite(s) for s in ranked.scores)


def test_declared_avoidance_sinks_and_dismissal_demotes() -> None:
    eng = _engine()
    eng.declare_avoidance("ann", "aisle:milk", at=T0)
    ranked = eng.rerank("ann", ["oatmilk", "banana", "bread"])
    assert ranked.product_ids[-1] == "oatmilk"
    assert "conflicts with what you avoid" in ranked[-1].reasons
    eng2 = _engine()
    before = eng2.rerank("o1", ["bread", "milk"]).product_ids
    for _ in range(3):
        eng2.record(Event.dismiss("o1", before[0], ts=T0 + timedelta(days=40)))
    after = eng2.rerank("o1", ["bread", "milk"]).product_ids
    assert after.index(before[0]) > before.index(before[0])


def test_explain_matches_the_rerank_score() -> None:
    eng = _engine()
    ranked = eng.rerank("ann", ["oatmilk"])
    explained = eng.explain("ann", "oatmilk")
    assert sum(explained.contributions.values()) == ranked[0].score  # position term is 0
    assert explained.statistics["lines"] == 6


def test_preferences_round_trip_and_content() -> None:
    eng = _engine()
    prefs = eng.preferences("ann")
    assert prefs.schema_version == 1
    assert UserPreferences.model_validate_json(prefs.model_dump_json()) == prefs
    assert set(prefs.favourite_products[:2]) == {"oatmilk", "banana"}
    assert prefs.orders == 6 and prefs.days_between_orders == 7
