"""Contract suite every CartAgent passes: OrderAgent's plan, and OrderAgent whose LLM is down.

Whatever an agent reports doing to the cart, the OrderBackend holds afterwards, and the
engine has recorded it as cart events.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from leafloaf import (
    CartAgent,
    GraphitiPersonalizationEngine,
    InMemoryOrders,
    Intent,
    OpenAICompatibleLLM,
    OrderAgent,
    OrderBackend,
    ProductSearchAgent,
    Route,
    SessionState,
    Slots,
)
from tests.agents.fake_llm import fake_llm_server
from tests.agents.world import small_engine


@dataclass
class Shop:
    agent: CartAgent
    orders: OrderBackend
    engine: GraphitiPersonalizationEngine
    state: SessionState

    def do(self, intent: Intent, text: str = "", **slots: object) -> list[tuple[str, float]]:
        """Run one clause; return the (product, quantity after) pairs the agent reported."""
        route = Route(intent=intent, text=text, slots=Slots.model_validate(slots))
        result = self.agent.handle(route, self.state, "ann")
        assert result.intent is intent
        return [(a.product_id, a.after) for a in result.actions]

    def cart(self) -> dict[str, float]:
        return self.orders.cart("ann").summary()


@pytest.fixture(params=["order_agent", "order_agent_llm_down"])
def shop(request: pytest.FixtureRequest) -> Iterator[Shop]:
    engine = small_engine()
    orders = InMemoryOrders(engine=engine)
    search = ProductSearchAgent(engine)
    state = SessionState(session_id="s", user_id="ann")
    if request.param == "order_agent":
        yield Shop(OrderAgent(engine, orders, search), orders, engine, state)
        return
    with fake_llm_server() as server:  # every call fails: the deterministic plan answers
        server.default = lambda body: (503, {"error": "down"}, 0.0)
        llm = OpenAICompatibleLLM(server.url, "fake", timeout=1.0, retries=0)
        yield Shop(OrderAgent(engine, orders, search, llm=llm), orders, engine, state)
        llm.close()


def test_every_intent_it_claims_is_handled(shop: Shop) -> None:
    for intent in sorted(shop.agent.intents - {Intent.CHECKOUT, Intent.PREFERENCE}):
        shop.do(intent, intent.value)
    assert Intent.SEARCH not in shop.agent.intents


def test_adds_are_in_the_backend_and_recorded(shop: Shop) -> None:
    assert shop.do(Intent.ADD, "add 2 tofu", products=["tofu"], quantity=2) == [("7", 2.0)]
    assert shop.cart() == {"7": 2.0}
    assert shop.engine.shopper_stats("ann").items["7"].carts == 1  # one add event


def test_an_unspecified_quantity_is_the_remembered_one(shop: Shop) -> None:
    assert shop.do(Intent.ADD, "add oat milk", products=["oat milk"]) == [("1", 3.0)]
    assert shop.cart() == {"1": 3.0}


def test_remove_and_set_quantity_change_the_backend(shop: Shop) -> None:
    shop.do(Intent.ADD, "add tofu and bananas", products=["tofu", "bananas"], quantity=2)
    assert shop.do(Intent.SET_QUANTITY, "make the tofu 5", products=["tofu"], quantity=5) == [
        ("7", 5.0)
    ]
    assert shop.do(Intent.REMOVE, "remove the bananas", products=["bananas"]) == [("5", 0.0)]
    assert shop.cart() == {"7": 5.0}
    assert shop.engine.shopper_stats("ann").items["5"].removes == 1


def test_looking_changes_nothing(shop: Shop) -> None:
    shop.do(Intent.ADD, "add tofu", products=["tofu"], quantity=1)
    for intent in (Intent.SHOW_CART, Intent.USUAL, Intent.DUE):
        assert shop.do(intent, intent.value) == []
    assert shop.cart() == {"7": 1.0}


def test_add_my_usual_fills_the_cart_with_it(shop: Shop) -> None:
    changes = shop.do(Intent.USUAL, "add my usual")
    assert changes and shop.cart() == dict(changes)
    assert set(shop.cart()) == {"1", "5"}


def test_checkout_places_the_cart_as_an_order(shop: Shop) -> None:
    shop.do(Intent.ADD, "add tofu", products=["tofu"], quantity=1)
    route = Route(intent=Intent.CHECKOUT, text="checkout")
    result = shop.agent.handle(route, shop.state, "ann")
    assert result.order is not None and [ln.product_id for ln in result.order.lines] == ["7"]
    assert shop.cart() == {}


def test_an_unknown_product_changes_nothing(shop: Shop) -> None:
    shop.do(Intent.REMOVE, "remove the caviar", products=["caviar"])
    assert shop.cart() == {}
