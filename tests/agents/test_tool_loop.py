"""The order agent's ReAct tool loop, against scripted models on the in-process fake server."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leafloaf import (
    Assistant,
    ConfigError,
    InMemoryOrders,
    Intent,
    OpenAICompatibleLLM,
    OrderAgent,
    ProductSearchAgent,
    Route,
    SessionState,
    Slots,
)
from leafloaf.agents.tool_loop import TOOL_SCHEMA
from tests.agents.fake_llm import Answer, FakeServer, chat, fake_llm_server
from tests.agents.world import small_engine


def call(tool: str, product_id: str | None = None, query: str | None = None,
         quantity: float | None = None) -> Answer:  # fmt: skip
    """A scripted step: the model answers this one tool call."""
    answer = {"thought": f"I will {tool}", "tool": tool, "product_id": product_id,
              "query": query, "quantity": quantity}  # fmt: skip
    return lambda body: (200, chat(answer), 0.0)


@pytest.fixture
def server() -> Iterator[FakeServer]:
    with fake_llm_server() as state:
        yield state


@pytest.fixture
def agent(server: FakeServer) -> Iterator[OrderAgent]:
    engine = small_engine()
    llm = OpenAICompatibleLLM(server.url, "fake", timeout=0.5, retries=1, backoff=0.01)
    yield OrderAgent(engine, InMemoryOrders(engine=engine), ProductSearchAgent(engine), llm=llm,
                     max_steps=4)  # fmt: skip
    llm.close()


def _turn(agent: OrderAgent, intent: Intent, text: str, **slots: Any) -> dict[str, float]:
    state = SessionState(session_id="s", user_id="eve")
    agent.handle(Route(intent=intent, text=text, slots=Slots(**slots)), state, "eve")
    return agent.orders.cart("eve").summary()


def test_a_model_that_searches_then_adds(agent: OrderAgent, server: FakeServer) -> None:
    server.script += [call("search", query="tofu"), call("add", "7", quantity=2), call("finish")]
    assert _turn(agent, Intent.ADD, "I need bean curd, two packs") == {"7": 2.0}
    assert agent.fallbacks == 0 and len(server.requests) == 3
    first, second = server.requests[0], server.requests[1]
    assert first["response_format"]["json_schema"]["schema"] == TOOL_SCHEMA
    observed = second["messages"][-1]["content"]
    assert observed.startswith("Observation:") and "7: Tofu" in observed
    assert json.loads(second["messages"][-2]["content"])["tool"] == "search"
    assert agent.engine.shopper_stats("eve").items["7"].carts == 1  # recorded to the engine


def test_changes_apply_in_order_under_fresh_ids(agent: OrderAgent, server: FakeServer) -> None:
    server.script += [
        call("search", query="milk"),
        call("add", "2"),  # no quantity: the shopper's usual (none yet: one)
        call("set_quantity", "2", quantity=4),
        call("finish"),
    ]
    state = SessionState(session_id="s", user_id="eve")
    result = agent.handle(Route(intent=Intent.ADD, text="add milk, four"), state, "eve")
    assert [(a.product_id, a.before, a.after) for a in result.actions] == [
        ("2", 0.0, 1.0), ("2", 1.0, 4.0)
    ]  # fmt: skip
    assert len({a.change_id for a in result.actions}) == 2
    assert all(a.change_id.startswith("llm-") for a in result.actions)
    assert state.focus == "2" and "Whole Milk" in " ".join(result.said)


def test_a_model_that_never_finishes_is_cut_off(agent: OrderAgent, server: FakeServer) -> None:
    server.default = call("show_cart")
    cart = _turn(agent, Intent.ADD, "add 2 tofu", products=["tofu"], quantity=2)
    assert agent.loop is not None and len(server.requests) == agent.loop.max_steps
    assert agent.fallbacks == 1
    assert cart == {"7": 2.0}  # the deterministic plan answered


@pytest.mark.parametrize(
    "answer",
    [
        lambda body: (200, chat("Sure! I added the tofu for you."), 0.0),  # not JSON
        lambda body: (200, chat({"tool": "teleport"}), 0.0),  # outside the schema
        lambda body: (200, chat({"tool": "add"}), 2.0),  # too slow
        lambda body: (500, {"error": "boom"}, 0.0),
    ],
    ids=["prose", "schema", "timeout", "http"],
)
def test_garbage_falls_back_to_the_plan(
    agent: OrderAgent, server: FakeServer, answer: Answer
) -> None:
    server.default = answer
    assert _turn(agent, Intent.ADD, "add 2 tofu", products=["tofu"], quantity=2) == {"7": 2.0}
    assert agent.fallbacks == 1


def test_an_invalid_call_part_way_leaves_no_half_done_cart(
    agent: OrderAgent, server: FakeServer
) -> None:
    server.script += [
        call("search", query="tofu"),
        call("add", "7", quantity=5),
        call("add", "999", quantity=1),  # an id it never saw
    ]
    assert _turn(agent, Intent.ADD, "add 2 tofu", products=["tofu"], quantity=2) == {"7": 2.0}
    assert agent.fallbacks == 1 and len(server.requests) == 3


def test_checkout_only_when_asked(agent: OrderAgent, server: FakeServer) -> None:
    agent.orders.add("eve", "4")
    server.script += [call("checkout")]
    assert _turn(agent, Intent.REMOVE, "remove the bread", products=["bread"]) == {}
    assert agent.fallbacks == 1 and agent.orders.checkout("eve") is None  # removed, not sold
    agent.orders.add("eve", "4")
    server.script += [call("checkout"), call("finish")]
    state = SessionState(session_id="s", user_id="eve")
    result = agent.handle(Route(intent=Intent.CHECKOUT, text="pay now"), state, "eve")
    assert result.order is not None and result.order.lines[0].product_id == "4"


def test_max_steps_is_checked() -> None:
    engine = small_engine()
    with pytest.raises(ConfigError, match="max_steps"):
        OrderAgent(engine, InMemoryOrders(), ProductSearchAgent(engine), max_steps=0)


def test_the_assistant_routes_and_loops_with_one_llm(server: FakeServer) -> None:
    route = {"intent": "add", "text": "get me the bean curd", "products": ["bean curd"],
             "quantity": None, "unit": None, "max_price": None, "diet": [], "ordinal": None,
             "refers_to_previous": False}  # fmt: skip
    steps = [call("search", query="tofu"), call("add", "7", quantity=3), call("finish")]

    def model(body: dict[str, Any]) -> tuple[int, Any, float]:
        if body["response_format"]["json_schema"]["name"] == "routes":
            return 200, chat({"routes": [route]}), 0.0
        return steps.pop(0)(body)

    server.default = model
    llm = OpenAICompatibleLLM(server.url, "fake", timeout=1.0, retries=0)
    reply = Assistant(small_engine(), llm=llm).reply("eve", "get me the bean curd")
    llm.close()
    assert reply.cart.summary() == {"7": 3.0} and "Added 3 × Tofu" in reply.text
    assert not steps


_IDS = ["1", "4", "5", "7", "999"]
_CALLS = st.one_of(
    st.builds(lambda q: call("search", query=q), st.sampled_from(["tofu", "milk", "bread"])),
    st.builds(lambda p, q: call("add", p, quantity=q), st.sampled_from(_IDS),
              st.sampled_from([None, 1.0, 2.0, -1.0])),
    st.builds(lambda p: call("remove", p), st.sampled_from(_IDS)),
    st.builds(lambda p, q: call("set_quantity", p, quantity=q), st.sampled_from(_IDS),
              st.sampled_from([None, 0.0, 3.0])),
    st.just(call("show_cart")),
    st.just(call("finish")),
)  # fmt: skip


@settings(max_examples=40, deadline=None)
@given(script=st.lists(_CALLS, max_size=7))
def test_any_model_leaves_the_backend_consistent(script: list[Answer]) -> None:
    """Whatever the model calls: the reported changes are the backend's, the loop is
    bounded, and a failed loop leaves exactly what the deterministic plan does."""
    with fake_llm_server() as server:
        server.script += script
        engine = small_engine()
        llm = OpenAICompatibleLLM(server.url, "fake", timeout=1.0, retries=0)
        agent = OrderAgent(engine, InMemoryOrders(engine=engine), ProductSearchAgent(engine),
                           llm=llm, max_steps=4)  # fmt: skip
        state = SessionState(session_id="s", user_id="eve")
        route = Route(intent=Intent.ADD, text="add 2 tofu", slots=Slots(products=["tofu"],
                      quantity=2))  # fmt: skip
        result = agent.handle(route, state, "eve")
        llm.close()
    cart = agent.orders.cart("eve").summary()
    assert len(server.requests) <= 4
    final = {a.product_id: a.after for a in result.actions}  # the last change per product
    assert {p: q for p, q in final.items() if q} == cart
    if agent.fallbacks:
        assert cart == {"7": 2.0}  # what the plan does alone
    assert all(pid != "999" for pid in cart)
