"""The typed, versioned preference schema: content and exact JSON round-trips."""

from __future__ import annotations

import json
import random
from datetime import timedelta

import pytest

from leafloaf import GraphitiPersonalizationEngine, UserPreferences
from tests.learning.builders import PRICE, T0, background, day, engine, history, weekly


def _population() -> GraphitiPersonalizationEngine:
    """Ordinary shoppers; ann buys oat milk and 6 eggs weekly with prices, and says she
    avoids meat; ben has one order."""
    eng = engine(now=day(60))
    background(eng, random.Random(12))
    eng.record_many(weekly("ann", ["oatmilk"], 8, unit_price=PRICE["oatmilk"]))
    eng.record_many(weekly("ann", ["eggs"], 8, quantity=6, start=T0 + timedelta(hours=1)))
    eng.record_many(history("ben", [["banana", "bread"]]))
    eng.declare_avoidance("ann", "department:meat seafood", at=day(50))
    eng.fit()
    return eng


@pytest.fixture(scope="module")
def pop() -> GraphitiPersonalizationEngine:
    return _population()


@pytest.mark.parametrize("user", ["ann", "ben", "bg0", "stranger"])
def test_json_round_trip_is_exact(pop: GraphitiPersonalizationEngine, user: str) -> None:
    prefs = pop.preferences(user)
    assert prefs.schema_version == 1
    text = prefs.model_dump_json()
    assert UserPreferences.model_validate_json(text) == prefs
    assert UserPreferences.model_validate(json.loads(text)) == prefs
    assert json.loads(text)["schema_version"] == 1


def test_content_reflects_the_history(pop: GraphitiPersonalizationEngine) -> None:
    prefs = pop.preferences("ann")
    assert prefs.user_id == "ann"
    assert prefs.orders == 8 and prefs.lines == 16
    assert prefs.days_between_orders == pytest.approx(7.0)
    assert set(prefs.favourite_products[:2]) == {"oatmilk", "eggs"}
    assert prefs.usual_quantities == {"eggs": 6.0}
    assert prefs.declared_avoided == ["department:meat seafood"]
    assert "department:meat seafood" not in prefs.avoided
    assert prefs.updated_at == day(49) + timedelta(hours=1)
    assert prefs.budget in {"price-sensitive", "mainstream", "premium"}
    assert prefs.price_position is not None and prefs.price_position > 0  # oat milk is dear
    assert 0.0 <= prefs.household_shared_probability <= 1.0
    top = prefs.affinities[0]
    assert top.attribute in {"aisle:milk", "aisle:eggs"} and top.lift > 1


def test_a_stranger_has_empty_preferences(pop: GraphitiPersonalizationEngine) -> None:
    prefs = pop.preferences("stranger")
    assert (prefs.orders, prefs.lines) == (0, 0)
    assert prefs.favourite_products == [] and prefs.affinities == []
    assert prefs.days_between_orders is None and prefs.updated_at is None
    assert prefs.budget == "unknown" and prefs.price_position is None


def test_one_order_has_no_rhythm_yet(pop: GraphitiPersonalizationEngine) -> None:
    prefs = pop.preferences("ben")
    assert prefs.orders == 1 and prefs.days_between_orders is None
    assert set(prefs.favourite_products) == {"banana", "bread"}


def test_an_older_schema_document_still_loads() -> None:
    """A stored document without ``schema_version`` defaults to version 1."""
    doc = json.loads(_population().preferences("ann").model_dump_json())
    del doc["schema_version"]
    assert UserPreferences.model_validate(doc).schema_version == 1
