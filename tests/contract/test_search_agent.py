"""Contract suite every SearchAgent passes (the default ProductSearchAgent, over the shop)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from leafloaf import (
    GraphitiPersonalizationEngine,
    ProductSearchAgent,
    Reason,
    SearchAgent,
    SessionState,
    Slots,
)
from tests.agents.world import small_engine

AGENTS: dict[str, Callable[[GraphitiPersonalizationEngine], SearchAgent]] = {
    "product_search": ProductSearchAgent,
}


@pytest.fixture(params=sorted(AGENTS))
def agent(request: pytest.FixtureRequest) -> SearchAgent:
    return AGENTS[request.param](small_engine())


def _state(user: str, shown: list[str] | None = None) -> SessionState:
    return SessionState(session_id="s", user_id=user, last_results=shown or [])


def test_find_returns_catalog_products_best_first(agent: SearchAgent) -> None:
    hits = agent.find("ann", "milk", k=3)
    assert 1 <= len(hits) <= 3
    assert {h.product_id for h in hits} <= {"1", "2", "3"}  # the three milks, nothing else
    assert hits[0].product_id == "1"  # the one she buys comes first
    assert all(isinstance(r, Reason) and r.text for h in hits for r in h.reasons)
    assert any(h.reasons for h in hits)  # it says why


def test_find_respects_a_price_cap(agent: SearchAgent) -> None:
    assert agent.find("ann", "milk", k=3, max_price=1.0) == []
    assert agent.find("ann", "milk", k=3, max_price=2.0)


def test_history_settles_the_choice_without_a_question(agent: SearchAgent) -> None:
    choice = agent.choose("ann", "milk", Slots(), _state("ann"))
    assert choice.product_id == "1" and choice.question is None


def test_an_ambiguous_phrase_asks_one_question_offering_catalog_products(
    agent: SearchAgent,
) -> None:
    choice = agent.choose("newbie", "milk", Slots(), _state("newbie"))
    assert choice.product_id is None
    assert choice.question is not None and choice.question.count("?") == 1
    assert 2 <= len(choice.candidates) <= 3
    assert {c.product_id for c in choice.candidates} <= {"1", "2", "3"}


def test_a_named_product_needs_no_question(agent: SearchAgent) -> None:
    choice = agent.choose("newbie", "chocolate milk", Slots(), _state("newbie"))
    assert choice.product_id == "3" and choice.question is None


def test_references_pick_from_what_was_shown(agent: SearchAgent) -> None:
    state = _state("newbie", ["2", "3", "1"])
    second = agent.choose("newbie", None, Slots(reference="ordinal", ordinal=2), state)
    last = agent.choose("newbie", None, Slots(reference="ordinal", ordinal=-1), state)
    assert (second.product_id, last.product_id) == ("3", "1")
    assert agent.pick_shown({"oat"}, state) == "1"
    assert agent.pick_shown({"tofu"}, state) is None


def test_nothing_found_is_an_empty_choice(agent: SearchAgent) -> None:
    choice = agent.choose("newbie", None, Slots(), _state("newbie"))
    assert choice.product_id is None and choice.question is None and not choice.candidates
