"""Contract suite every Supervisor passes: the local model, and an LLM (working or failing)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from leafloaf import (
    Intent,
    LLMSupervisor,
    LocalSupervisor,
    OpenAICompatibleLLM,
    Route,
    SessionState,
    Supervisor,
)
from leafloaf.agents.supervisor import ROUTE_SCHEMA
from leafloaf.llm.openai_compatible import check_schema
from tests.agents.fake_llm import chat, fake_llm_server

LOCAL = LocalSupervisor()

CASES = [
    ("add 2 oat milks and show my cart", [Intent.ADD, Intent.SHOW_CART]),
    ("whats in my cart", [Intent.SHOW_CART]),
    ("remove the eggs", [Intent.REMOVE]),
    ("make it three", [Intent.SET_QUANTITY]),
    ("what am i running out of", [Intent.DUE]),
    ("my usual please", [Intent.USUAL]),
    ("i'm vegetarian", [Intent.PREFERENCE]),
    ("checkout", [Intent.CHECKOUT]),
    ("hello there", [Intent.OTHER]),
    ("do you have sourdough bread", [Intent.SEARCH]),
]


def _as_llm_answer(routes: list[Route]) -> dict[str, Any]:
    """What a well-behaved model answers: the local routes, written in the schema."""
    return {
        "routes": [
            {
                "intent": r.intent.value,
                "text": r.text,
                "products": r.slots.products,
                "quantity": r.slots.quantity,
                "unit": r.slots.unit,
                "max_price": r.slots.max_price,
                "diet": [],
                "ordinal": r.slots.ordinal,
                "refers_to_previous": r.slots.reference in ("it", "one"),
            }
            for r in routes
        ]
    }


@pytest.fixture(params=["local", "llm", "llm-down"])
def supervisor(request: pytest.FixtureRequest) -> Iterator[Supervisor]:
    if request.param == "local":
        yield LOCAL
        return
    with fake_llm_server() as server:
        if request.param == "llm":

            def answer(body: dict[str, Any]) -> tuple[int, Any, float]:
                message = body["messages"][-1]["content"]
                return 200, chat(_as_llm_answer(LOCAL.route(message))), 0.0

            server.default = answer
        else:
            server.default = lambda body: (500, {"error": "model crashed"}, 0.0)
        llm = OpenAICompatibleLLM(server.url, "fake", timeout=1.0, retries=1, backoff=0.0)
        yield LLMSupervisor(llm, fallback=LOCAL)
        llm.close()


@pytest.mark.parametrize(("message", "intents"), CASES)
def test_routes_each_clause_to_its_intent(
    supervisor: Supervisor, message: str, intents: list[Intent]
) -> None:
    routes = supervisor.route(message, SessionState(session_id="s", user_id="u"))
    assert [r.intent for r in routes] == intents


def test_slots_carry_products_and_quantities(supervisor: Supervisor) -> None:
    first = supervisor.route("add 2 oat milks and show my cart")[0]
    assert first.slots.quantity == 2.0
    assert first.slots.products == ["oat milks"]
    ordinal = supervisor.route("add the second one")[0]
    assert ordinal.slots.reference == "ordinal" and ordinal.slots.ordinal == 2


def test_empty_and_odd_input_still_routes(supervisor: Supervisor) -> None:
    for message in ("", "   ", "???", "🍌🍌"):
        routes = supervisor.route(message)
        assert routes and all(isinstance(r.intent, Intent) for r in routes)


def test_health_reports(supervisor: Supervisor) -> None:
    assert supervisor.health().status in ("ok", "degraded", "down")


def test_the_llm_answer_schema_accepts_what_the_local_model_says() -> None:
    check_schema(_as_llm_answer(LOCAL.route("add milk and eggs, then checkout")), ROUTE_SCHEMA)


def test_a_failing_llm_falls_back_to_the_local_model() -> None:
    with fake_llm_server() as server:
        server.default = lambda body: (200, chat({"routes": [{"intent": "dance"}]}), 0.0)
        llm = OpenAICompatibleLLM(server.url, "fake", timeout=1.0, retries=0)
        sup = LLMSupervisor(llm, fallback=LOCAL)
        assert [r.intent for r in sup.route("show my cart")] == [Intent.SHOW_CART]
        assert sup.route("show my cart")[0].source == "local"
        assert sup.failures == 2
        server.default = lambda body: (200, chat(_as_llm_answer(LOCAL.route("checkout"))), 0.0)
        assert sup.route("checkout")[0].source == "llm"
        llm.close()
