"""The Assistant facade: turns, streaming, asyncio, threads, persistence, memory, LLM routing."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from leafloaf import (
    Assistant,
    AssistantReply,
    Cart,
    CartAgent,
    Catalog,
    ConfigError,
    Event,
    GraphitiPersonalizationEngine,
    Intent,
    OpenAICompatibleLLM,
    Product,
    ProductSearchAgent,
    ReplyPart,
    ResponseCompiler,
    Route,
    SessionState,
    SQLiteOrders,
    SQLiteSessionStore,
    TurnResult,
    ValidationError,
)
from leafloaf.search.local import LocalSearch
from tests.agents.fake_llm import chat, fake_llm_server
from tests.agents.world import PRODUCTS, T0, small_engine

_engine = small_engine


@pytest.fixture
def assistant() -> Assistant:
    return Assistant(_engine())


def test_history_settles_what_would_be_a_question(assistant: Assistant) -> None:
    new = assistant.reply("newbie", "add milk")
    assert new.clarification is not None and "Oat Milk" in new.clarification
    assert new.cart.lines == []
    known = assistant.reply("ann", "add milk")
    assert known.clarification is None
    assert known.cart.summary() == {"1": 3.0}  # her usual quantity, remembered
    codes = [r.code for r in known.products[0].reasons]
    assert codes[:2] == ["quantity_memory", "bought_before"]
    assert "you usually take 3" in known.text


def test_answering_the_question_finishes_the_action(assistant: Assistant) -> None:
    first = assistant.reply("newbie", "add 2 milk")
    reply = assistant.reply("newbie", "the chocolate one", session=first.session)
    assert reply.intent is Intent.ADD
    assert reply.cart.summary() == {"3": 2.0}
    assert reply.clarification is None


def test_stream_yields_route_results_then_the_reply(assistant: Assistant) -> None:
    parts = list(assistant.stream("ann", "add bananas and show my cart"))
    assert isinstance(parts[0], ReplyPart) and parts[0].stage == "route"
    assert parts[0].intents == [Intent.ADD, Intent.SHOW_CART]
    assert [p.stage for p in parts[1:-1] if isinstance(p, ReplyPart)] == ["result", "result"]
    final = parts[-1]
    assert isinstance(final, AssistantReply)
    assert final.actions and final.actions[0].product_id == "5"
    assert set(final.timings) >= {"route", "act", "compile", "session", "total"}


def test_async_reply_and_stream(assistant: Assistant) -> None:
    async def talk() -> tuple[AssistantReply, list[Any]]:
        first = await assistant.aio.reply("bob", "add sourdough bread")
        parts = [p async for p in assistant.aio.stream("bob", "make it 2", first.session)]
        return first, parts

    first, parts = asyncio.run(talk())
    assert first.cart.summary() == {"4": 1.0}
    assert isinstance(parts[-1], AssistantReply) and parts[-1].cart.summary() == {"4": 2.0}


def test_many_sessions_reply_at_once_from_threads(assistant: Assistant) -> None:
    errors: list[BaseException] = []

    def shopper(n: int) -> None:
        try:
            session = None
            for _ in range(3):
                reply = assistant.reply(f"t{n}", "add bananas", session=session)
                session = reply.session
            reply = assistant.reply(f"t{n}", "remove one banana", session=session)
            assert reply.cart.summary() == {"5": 2.0}
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=shopper, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    adds = [e for e in assistant.engine.store.events() if e.type.value == "add_to_cart"]
    assert len(adds) == 24


def test_one_session_from_two_threads_keeps_every_turn(assistant: Assistant) -> None:
    session = assistant.reply("cy", "hello").session

    def talk() -> None:
        for _ in range(5):
            assistant.reply("cy", "add tofu", session=session)

    threads = [threading.Thread(target=talk) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    state = assistant.sessions.load(session)
    assert state is not None and state.turns == 11
    assert assistant.orders.cart("cy").summary() == {"7": 10.0}


def test_declared_diet_hides_products_and_says_so(assistant: Assistant) -> None:
    said = assistant.reply("dee", "i'm vegetarian")
    assert said.intent is Intent.PREFERENCE
    found = assistant.reply("dee", "show me chicken", session=said.session)
    assert all(p.product_id != "6" for p in found.products)
    assert "you told us you avoid meat seafood" in found.text
    added = assistant.reply("dee", "add chicken breast", session=said.session)
    assert added.cart.lines == []


def test_bad_input_is_a_named_error(assistant: Assistant) -> None:
    reply = assistant.reply("ann", "hi")
    with pytest.raises(ValidationError) as err:
        assistant.reply("bob", "hi", session=reply.session)
    assert err.value.field == "session"
    with pytest.raises(ValidationError) as err:
        assistant.reply("", "hi")
    assert err.value.field == "user_id"
    with pytest.raises(ValidationError) as err:
        assistant.reply("ann", "x" * 5000)
    assert err.value.field == "message"


def test_sessions_and_carts_outlive_the_assistant(tmp_path: Path) -> None:
    engine = _engine()
    first = Assistant(engine, orders=SQLiteOrders(tmp_path / "o.db"),
                      sessions=SQLiteSessionStore(tmp_path / "s.db"))  # fmt: skip
    reply = first.reply("ann", "add sourdough bread")
    again = Assistant(engine, orders=SQLiteOrders(tmp_path / "o.db"),
                      sessions=SQLiteSessionStore(tmp_path / "s.db"))  # fmt: skip
    later = again.reply("ann", "make it three", session=reply.session)
    assert later.cart.summary() == {"4": 3.0}


def test_forget_user_clears_engine_orders_and_sessions(assistant: Assistant) -> None:
    reply = assistant.reply("ann", "add bananas")
    assistant.forget_user("ann")
    assert assistant.orders.cart("ann").lines == []
    assert assistant.sessions.load(reply.session) is None
    assert "ann" not in assistant.engine.users()


def test_health_reports_every_part(assistant: Assistant) -> None:
    kinds = [h.kind for h in assistant.health()]
    assert kinds == ["llm", "orders", "sessions"]
    assert all(h.ok for h in assistant.health())


def test_llm_routes_the_turn_and_a_broken_llm_falls_back() -> None:
    with fake_llm_server() as server:
        route = {"intent": "add", "text": "one tofu", "products": ["tofu"], "quantity": 4,
                 "unit": None, "max_price": None, "diet": [], "ordinal": None,
                 "refers_to_previous": False}  # fmt: skip
        server.default = lambda body: (200, chat({"routes": [route]}), 0.0)
        llm = OpenAICompatibleLLM(server.url, "fake", timeout=1.0, retries=0)
        assistant = Assistant(_engine(), llm=llm)
        # the model's reading wins: it says four, whatever the local model would guess
        assert assistant.reply("eve", "the usual tofu thing").cart.summary() == {"7": 4.0}
        server.default = lambda body: (500, {"error": "down"}, 0.0)
        reply = assistant.reply("eve", "show my cart")
        assert reply.intent is Intent.SHOW_CART and reply.cart.summary() == {"7": 4.0}
        llm.close()


def test_a_host_replaces_the_agents_and_the_compiler() -> None:
    engine = _engine()

    class Shouting(ResponseCompiler):
        def compile(self, results: Sequence[TurnResult], cart: Cart) -> tuple[str, str | None]:
            text, question = super().compile(results, cart)
            return text.upper(), question

    class NoTofu(CartAgent):
        intents = frozenset({Intent.ADD})

        def handle(self, route: Route, state: SessionState, user_id: str) -> TurnResult:
            return TurnResult(intent=route.intent, said=["We are out of it."])

    assistant = Assistant(engine, compiler=Shouting(engine), order_agent=NoTofu())
    reply = assistant.reply("ann", "add tofu")
    assert reply.text == "WE ARE OUT OF IT." and reply.cart.lines == []
    assert assistant.reply("ann", "show my cart").intent is Intent.OTHER  # not its intent
    with pytest.raises(ConfigError, match="order_agent"):
        Assistant(engine, order_agent=object())  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="search"):
        Assistant(engine, search=LocalSearch(engine.catalog),
                  search_agent=ProductSearchAgent(engine))  # fmt: skip


def test_a_quantity_while_a_question_waits_goes_to_the_answer(assistant: Assistant) -> None:
    first = assistant.reply("newbie", "add milk")
    assert first.clarification is not None
    again = assistant.reply("newbie", "make it two", session=first.session)
    assert again.clarification is not None and again.clarification.startswith("2 of which:")
    assert again.cart.lines == []  # nothing in focus got changed instead
    done = assistant.reply("newbie", "the chocolate one", session=first.session)
    assert done.cart.summary() == {"3": 2.0}


def test_the_cart_is_shown_as_it_was_when_asked(assistant: Assistant) -> None:
    assistant.reply("ann", "add 2 tofu")
    reply = assistant.reply("ann", "show my cart and checkout")
    assert reply.text.index("Your cart: 2 × Tofu") < reply.text.index("Order ")
    assert reply.cart.lines == []


def test_a_search_result_names_only_the_words_it_matched() -> None:
    # the transcript: "oat milk" in a shop without oat milk listed cow's milk as
    # "matches 'oat milk'"; now each result says what it matched and what it did not
    catalog = Catalog(Product(product_id=p, name=n, categories=c, price=2.0)
                      for p, n, c in PRODUCTS if n != "Oat Milk")  # fmt: skip
    engine = GraphitiPersonalizationEngine(catalog, clock=lambda: T0 + timedelta(days=60))
    engine.record_many([Event.purchase("bob", "2", ts=T0 + timedelta(days=7 * week),
                                       basket_id=f"b{week}") for week in range(4)])  # fmt: skip
    assistant = Assistant(engine)
    for shopper in ("newbie", "bob"):
        reply = assistant.reply(shopper, "oat milk")
        assert reply.intent is Intent.SEARCH and reply.products, shopper
        assert {p.name for p in reply.products} == {"Whole Milk", "Chocolate Milk"}
        for product in reply.products:
            first = product.reasons[0]
            assert first.code == "matches_partly", (shopper, product.reasons)
            assert (first.params["query"], first.params["missing"]) == ("milk", "oat")
        assert "matches 'oat milk'" not in reply.text
        assert "matches 'milk' but not 'oat'" in reply.text
    said = assistant.reply("bob", "oat milk").products
    whole = next(p for p in said if p.name == "Whole Milk")
    assert [r.code for r in whole.reasons][:2] == ["matches_partly", "bought_before"]
