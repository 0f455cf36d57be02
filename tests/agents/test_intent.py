"""The shipped intent model and slot grammar: held-out accuracy, exact fast scoring, slots."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leafloaf.agents.intent import held_out_accuracy, intent_model
from leafloaf.agents.slots import mask_products, parse_slots
from leafloaf.agents.utterances import load_utterances, product_free_words


def test_the_labelled_set_has_several_hundred_messages_of_every_intent() -> None:
    utterances = load_utterances()
    assert len(utterances) >= 450
    intents = [i for u in utterances for i in u.intents]
    for intent in ("search", "add", "remove", "set_quantity", "show_cart", "usual", "due",
                   "preference", "checkout", "other"):  # fmt: skip
        assert intents.count(intent) >= 25, intent
    assert sum(len(u.clauses) > 1 for u in utterances) >= 25  # multi-intent messages
    held = [u for u in utterances if u.held_out]
    assert 0.15 < len(held) / len(utterances) < 0.25


def test_held_out_accuracy_with_its_interval() -> None:
    result = held_out_accuracy(resamples=500)
    low, high = result["ci95"]
    assert low <= result["accuracy"] <= high
    assert result["accuracy"] >= 0.8, result["misses"]
    assert result["messages"] + result["trained_on"] == len(load_utterances())


def test_fast_scoring_equals_the_fitted_pipeline() -> None:
    model = intent_model()
    rows = [f"{u.text.lower()}\t{mask_products(u.text)}" for u in load_utterances()]
    rows += ["\t", "🍌\titem", "x" * 300 + "\titem num"]
    fitted = model._pipeline.predict_proba(rows)
    fast = model._scorer.predict_proba(rows)
    assert np.abs(fitted - fast).max() < 1e-9


def test_product_words_are_learned_from_the_marks() -> None:
    words = product_free_words()
    assert {"add", "cart", "please", "remove"} <= words
    assert not {"milk", "bananas", "organic"} & words


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("add two cartons of oat milk under $4",
         {"products": ["oat milk"], "quantity": 2.0, "unit": "carton", "max_price": 4.0}),
        ("add a dozen eggs", {"products": ["eggs"], "quantity": 1.0, "unit": "dozen"}),
        ("add 2 dozen eggs", {"products": ["eggs"], "quantity": 2.0, "unit": "dozen"}),
        ("add a couple of limes", {"products": ["limes"], "quantity": 2.0}),
        ("make it three", {"quantity": 3.0, "reference": "it"}),
        ("actually two", {"quantity": 2.0}),
        ("just one", {"quantity": 1.0}),
        ("the organic one", {"products": ["organic"], "reference": "one"}),
        ("add the second one", {"ordinal": 2, "reference": "ordinal"}),
        ("add the last one", {"ordinal": -1, "reference": "ordinal"}),
        ("add number 3", {"ordinal": 3, "reference": "ordinal"}),
        ("remove the milk", {"products": ["milk"]}),
        ("add sparkling water x2", {"products": ["sparkling water"], "quantity": 2.0}),
        ("add milk, eggs and bread", {"products": ["milk", "eggs", "bread"]}),
        ("i eat meat again", {"products": ["meat"], "negated": True}),
    ],
)  # fmt: skip
def test_slots(text: str, expected: dict[str, object]) -> None:
    got = parse_slots(text).model_dump(exclude_defaults=True, exclude={"diet"})
    assert got == expected


def test_diet_words_expand_to_catalog_words() -> None:
    assert parse_slots("i'm vegan").diet == ["meat", "seafood", "dairy", "eggs"]
    assert parse_slots("no dairy for me").diet == ["dairy"]


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=80))
def test_any_text_parses(text: str) -> None:
    slots = parse_slots(text)
    assert slots.quantity is None or slots.quantity >= 0
    assert all(p.strip() for p in slots.products)


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=2, max_value=999), st.sampled_from(["apples", "limes", "eggs"]))
def test_a_count_in_digits_or_words_is_the_quantity(n: int, product: str) -> None:
    assert parse_slots(f"add {n} {product}").quantity == n
    assert parse_slots(f"add {n} {product}").products == [product]
