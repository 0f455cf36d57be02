"""Assistant: the embeddable shopping assistant — one call per chat turn, sessions kept."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
import uuid
import weakref
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field

from leafloaf.agents.base import (
    CartAgent,
    Intent,
    ReplyCompiler,
    Route,
    SearchAgent,
    SessionState,
    SessionStore,
    Supervisor,
)
from leafloaf.agents.compiler import ProductSuggestion, ResponseCompiler, TurnResult
from leafloaf.agents.order_agent import OrderAgent
from leafloaf.agents.search_agent import ProductSearchAgent, covers, name_words
from leafloaf.agents.sessions import InMemorySessionStore
from leafloaf.agents.supervisor import LLMSupervisor, LocalSupervisor
from leafloaf.errors import ConfigError, StoreUnavailableError, ValidationError
from leafloaf.health import BackendHealth
from leafloaf.models import Cart, Reason, Relation
from leafloaf.orders.base import CartChange, Order, OrderBackend
from leafloaf.orders.memory import InMemoryOrders

if TYPE_CHECKING:
    from leafloaf.engine import GraphitiPersonalizationEngine
    from leafloaf.llm.base import LLM
    from leafloaf.search.base import PersonalizedHit, SearchBackend

__all__ = ["Assistant", "AssistantReply", "AsyncAssistant", "ReplyPart"]

_log = logging.getLogger(__name__)

_HISTORY = 6
"""Messages kept in a session's history (the LLM supervisor reads them)."""
_SHOWN = 5
"""Search results listed per product phrase."""
_MAX_MESSAGE = 2_000
_ANONYMOUS = "~leafloaf-anonymous"
"""A shopper id no host uses: searching as them shows what filters hid from a shopper."""
_HELP = (
    'I can find products, add or remove them ("add 2 oat milks", "make it three"), show '
    "your cart, your usual order, what you are running out of, note what you avoid, and "
    "check out."
)


class AssistantReply(BaseModel):
    """One turn's answer: text to show plus everything a host needs to render it."""

    model_config = ConfigDict(extra="forbid")

    text: str
    intent: Intent
    """The first clause's intent (``intents`` has all of them)."""
    intents: list[Intent]
    products: list[ProductSuggestion] = Field(default_factory=list)
    actions: list[CartChange] = Field(default_factory=list)
    cart: Cart
    session: str
    """Pass it back with the next message to keep the conversation's context."""
    clarification: str | None = None
    order: Order | None = None
    timings: dict[str, float] = Field(default_factory=dict)
    """Milliseconds per stage: ``route``, ``act``, ``compile``, ``session``, ``total``."""


class ReplyPart(BaseModel):
    """A piece of a streamed reply: the routing, then each clause's result as it is done."""

    model_config = ConfigDict(extra="forbid")

    stage: str
    """``"route"`` or ``"result"``."""
    intents: list[Intent] = Field(default_factory=list)
    text: str = ""
    products: list[ProductSuggestion] = Field(default_factory=list)
    actions: list[CartChange] = Field(default_factory=list)


class Assistant:
    """The shopping assistant a host embeds: ``reply(user_id, message, session)``.

    Every part is a seam: ``search`` (a :class:`SearchBackend`), ``orders`` (the host's
    :class:`OrderBackend`), ``llm`` (routing by a model and the order agent's tool loop,
    the local intent model and the deterministic plan as fallbacks), ``sessions`` (a
    :class:`SessionStore`), ``supervisor``, and the agents themselves: ``search_agent`` (a
    :class:`SearchAgent`), ``order_agent`` (a :class:`CartAgent` over the same ``orders``)
    and ``compiler`` (a :class:`ReplyCompiler`). Safe from many threads; turns of one
    session run one at a time.

    >>> from leafloaf import Assistant, Catalog, GraphitiPersonalizationEngine, Product
    >>> catalog = Catalog([Product(product_id="1", name="Oat Milk", categories=("dairy", "milk")),
    ...                    Product(product_id="2", name="Sourdough Bread")])
    >>> assistant = Assistant(GraphitiPersonalizationEngine(catalog))
    >>> reply = assistant.reply("ann", "add 2 oat milk and show my cart")
    >>> [i.value for i in reply.intents], reply.cart.summary()
    (['add', 'show_cart'], {'1': 2.0})
    >>> assistant.reply("ann", "make it three", session=reply.session).cart.summary()
    {'1': 3.0}
    """

    def __init__(
        self,
        engine: GraphitiPersonalizationEngine,
        search: SearchBackend | None = None,
        orders: OrderBackend | None = None,
        llm: LLM | None = None,
        sessions: SessionStore | None = None,
        supervisor: Supervisor | None = None,
        *,
        search_agent: SearchAgent | None = None,
        order_agent: CartAgent | None = None,
        compiler: ReplyCompiler | None = None,
    ) -> None:
        from leafloaf.engine import GraphitiPersonalizationEngine

        if not isinstance(engine, GraphitiPersonalizationEngine):
            raise ConfigError("engine", type(engine).__name__, "must be an engine")
        if orders is not None and not isinstance(orders, OrderBackend):
            raise ConfigError("orders", type(orders).__name__, "must be an OrderBackend")
        if sessions is not None and not isinstance(sessions, SessionStore):
            raise ConfigError("sessions", type(sessions).__name__, "must be a SessionStore")
        for field, part, kind in (
            ("search_agent", search_agent, SearchAgent),
            ("order_agent", order_agent, CartAgent),
            ("compiler", compiler, ReplyCompiler),
        ):
            if part is not None and not isinstance(part, kind):
                raise ConfigError(field, type(part).__name__, f"must be a {kind.__name__}")
        if search_agent is not None and search is not None:
            raise ConfigError("search", type(search).__name__, "goes to the default search "
                              "agent only; give it to your search_agent instead")  # fmt: skip
        self.engine = engine
        self.orders = orders if orders is not None else InMemoryOrders(engine=engine)
        if self.orders.engine is None:
            self.orders.bind(engine)
        self.sessions = sessions if sessions is not None else InMemorySessionStore()
        if supervisor is None:
            supervisor = LLMSupervisor(llm) if llm is not None else LocalSupervisor()
        self.supervisor = supervisor
        self.compiler: ReplyCompiler = compiler or ResponseCompiler(engine)
        self.search_agent: SearchAgent = search_agent or ProductSearchAgent(engine, search)
        self.order_agent: CartAgent = order_agent or OrderAgent(
            engine, self.orders, self.search_agent, self.compiler, llm=llm
        )
        self._locks: weakref.WeakValueDictionary[str, threading.Lock] = (
            weakref.WeakValueDictionary()
        )
        self._locks_guard = threading.Lock()
        self._aio: AsyncAssistant | None = None

    def warm(self) -> None:
        """Build the search index and train the intent model now, not on the first turn."""
        self.supervisor.route("show my cart")
        self.search_agent.find(_ANONYMOUS, "milk", k=1)

    # --- one turn -----------------------------------------------------------------------
    def reply(self, user_id: str, message: str, session: str | None = None) -> AssistantReply:
        """Answer one message; pass ``reply.session`` back to keep the context."""
        final: AssistantReply | None = None
        for part in self.stream(user_id, message, session):
            if isinstance(part, AssistantReply):
                final = part
        assert final is not None
        return final

    def stream(
        self, user_id: str, message: str, session: str | None = None
    ) -> Iterator[ReplyPart | AssistantReply]:
        """The turn as it happens: a ``route`` part, one ``result`` part per clause, then
        the full :class:`AssistantReply` last."""
        if not isinstance(user_id, str) or not user_id.strip():
            raise ValidationError("user_id", user_id, "must be a non-empty string")
        if not isinstance(message, str):
            raise ValidationError("message", message, "must be a string")
        if len(message) > _MAX_MESSAGE:
            raise ValidationError("message", message[:40] + "…", f"is over {_MAX_MESSAGE} chars")
        session_id = session or uuid.uuid4().hex
        with self._session_lock(session_id):
            yield from self._turn(user_id, message.strip(), session_id)

    def _turn(
        self, user_id: str, message: str, session_id: str
    ) -> Iterator[ReplyPart | AssistantReply]:
        timings: dict[str, float] = {}
        start = clock = time.perf_counter()

        def lap(stage: str) -> None:
            nonlocal clock
            now = time.perf_counter()
            timings[stage] = timings.get(stage, 0.0) + (now - clock) * 1000
            clock = now

        try:
            state = self.sessions.load(session_id)
        except StoreUnavailableError as exc:  # the turn is answered without its context
            _log.warning("session %s not loaded, answering without context: %s", session_id, exc)
            state = None
        if state is None:
            state = SessionState(session_id=session_id, user_id=user_id)
        elif state.user_id != user_id:
            raise ValidationError("session", session_id, "belongs to another shopper")
        lap("session")
        routes = self.supervisor.route(message, state) if message else []
        routes = routes or [Route(intent=Intent.OTHER, text=message)]
        lap("route")
        yield ReplyPart(stage="route", intents=[r.intent for r in routes])
        results = []
        for route in routes:
            with self.compiler.turn(user_id):  # one memory recall cites every product
                result = self._act(self._resolve(route, state), state, user_id)
            results.append(result)
            lap("act")
            yield ReplyPart(stage="result", intents=[result.intent], text=" ".join(result.said),
                            products=result.products, actions=result.actions)  # fmt: skip
        cart = self.orders.cart(user_id)
        text, question = self.compiler.compile(results, cart)
        if question is None:
            state.pending = None
        lap("compile")
        state.turns += 1
        state.history = [*state.history, *(f"{r.intent.value}: {r.text}" for r in routes)]
        state.history = state.history[-_HISTORY:]
        try:
            self.sessions.save(state.model_copy(update={"updated_at": state.updated_at.now()}))
        except StoreUnavailableError as exc:  # the cart changes are made; only context is lost
            _log.warning("session %s not saved: %s", session_id, exc)
        lap("session")
        timings["total"] = (time.perf_counter() - start) * 1000
        yield AssistantReply(
            text=text,
            intent=results[0].intent,
            intents=[r.intent for r in results],
            products=[p for r in results for p in r.products],
            actions=[a for r in results for a in r.actions],
            cart=cart,
            session=session_id,
            clarification=question,
            order=next((r.order for r in results if r.order is not None), None),
            timings=timings,
        )

    def _resolve(self, route: Route, state: SessionState) -> Route:
        """An answer to a pending question ("the organic one", "oat") continues its action."""
        pending = state.pending
        if pending is None or route.intent not in (Intent.SEARCH, Intent.OTHER, Intent.ADD):
            return route
        slots = route.slots
        if slots.reference == "ordinal" or (
            slots.products
            and self.search_agent.pick_shown(name_words(" ".join(slots.products)), state)
        ):
            return route.model_copy(update={"intent": pending.intent})
        return route

    def _act(self, route: Route, state: SessionState, user_id: str) -> TurnResult:
        if route.intent is Intent.SEARCH:
            return self._search(route, state, user_id)
        if route.intent is Intent.OTHER:
            thanked = "thank" in route.text.lower() or "thx" in route.text.lower()
            return TurnResult(intent=Intent.OTHER, said=["You're welcome!" if thanked else _HELP])
        if route.intent not in self.order_agent.intents:
            return TurnResult(intent=Intent.OTHER, said=[_HELP])
        return self.order_agent.handle(route, state, user_id)

    def _search(self, route: Route, state: SessionState, user_id: str) -> TurnResult:
        result = TurnResult(intent=Intent.SEARCH)
        phrases = route.slots.products or ([route.text] if route.text else [])
        if len(phrases) > 1:  # "mac and cheese": one query; "chips and salsa": results of each
            phrases = [" and ".join(phrases), *phrases]
        shown: list[str] = []
        cap = route.slots.max_price
        for phrase in phrases:
            hits = self.search_agent.find(user_id, phrase, k=_SHOWN, max_price=cap)
            if not hits and cap is not None:  # a catalog without prices passes no price cap
                hits = self.search_agent.find(user_id, phrase, k=_SHOWN)
                if hits and all(self.engine.catalog.get(h.product_id).price is None
                                for h in hits):  # fmt: skip
                    result.said.append(f"(I know no prices here, so not capped at {cap:g}.)")
            for hit in hits:
                if hit.product_id in shown or len(shown) >= _SHOWN * 2:
                    continue
                shown.append(hit.product_id)
                reasons = self.compiler.reasons(user_id, hit.product_id, hit.reasons, phrase)
                result.products.append(
                    ProductSuggestion(product_id=hit.product_id, name=hit.name, reasons=reasons)
                )
            if hits and len(phrases) > 1 and phrase == phrases[0] and _one_product(phrase, hits):
                break
        result.skipped = self._skipped(user_id, phrases)
        if not result.products:
            result.said.append(f"I found nothing for {' and '.join(phrases) or 'that'}.")
        else:
            result.said.append(f"Here is what I found for {phrases[0]}:")
            state.last_results = shown
            state.focus = shown[0]
        return result

    def _skipped(self, user_id: str, phrases: list[str]) -> list[Reason]:
        """Declared avoidances that hid matches ("skipped: you told us you avoid dairy eggs",
        with the day it was said when memory holds the declaration)."""
        declared = [a for a, on in self.engine.shopper_model(user_id).declared.items() if on]
        if not declared:
            return []
        hidden: list[str] = []
        catalog = self.engine.catalog
        for phrase in phrases:
            for hit in self.search_agent.find(_ANONYMOUS, phrase, k=_SHOWN):
                hidden.extend(a for a in catalog.attributes(hit.product_id) if a in declared)
        since = {
            f.subject.partition(":")[2]: f.valid_at.date().isoformat()
            for f in self.compiler.beliefs(user_id)
            if f.relation is Relation.AVOIDS and f.source == "declared"
        }
        return [
            Reason.of("avoided_declared_since", attribute=a.partition(":")[2], since=since[a])
            if a in since
            else Reason.of("avoided_declared", attribute=a.partition(":")[2])
            for a in dict.fromkeys(hidden)
        ]

    def _session_lock(self, session_id: str) -> threading.Lock:
        with self._locks_guard:
            lock = self._locks.get(session_id)
            if lock is None:
                lock = threading.Lock()
                self._locks[session_id] = lock
            return lock

    # --- operations ---------------------------------------------------------------------
    def forget_user(self, user_id: str) -> None:
        """Erase the shopper from the engine, the order backend and the session store."""
        self.engine.forget_user(user_id)
        self.orders.forget_user(user_id)
        self.sessions.forget_user(user_id)

    def health(self) -> list[BackendHealth]:
        """Each part's own report: supervisor, orders, sessions."""
        return [self.supervisor.health(), self.orders.health(), self.sessions.health()]

    @property
    def aio(self) -> AsyncAssistant:
        """The same assistant for asyncio servers (turns run in worker threads)."""
        if self._aio is None:
            self._aio = AsyncAssistant(self)
        return self._aio


def _one_product(phrase: str, hits: list[PersonalizedHit]) -> bool:
    """True when the joined phrase names a product ("mac and cheese" → Mac & Cheese)."""
    return any(covers(name_words(phrase), name_words(h.name)) for h in hits)


class AsyncAssistant:
    """:class:`Assistant` for event loops: each turn runs in a worker thread.

    >>> reply = await assistant.aio.reply("ann", "show my cart")   # doctest: +SKIP
    """

    def __init__(self, assistant: Assistant) -> None:
        self.assistant = assistant

    async def reply(self, user_id: str, message: str, session: str | None = None) -> AssistantReply:
        """:meth:`Assistant.reply` without blocking the loop."""
        return await asyncio.to_thread(self.assistant.reply, user_id, message, session)

    async def stream(
        self, user_id: str, message: str, session: str | None = None
    ) -> AsyncIterator[ReplyPart | AssistantReply]:
        """:meth:`Assistant.stream`, each part awaited from a worker thread."""
        parts = self.assistant.stream(user_id, message, session)
        done = object()
        while True:
            part = await asyncio.to_thread(next, parts, done)
            if part is done:
                return
            assert isinstance(part, ReplyPart | AssistantReply)
            yield part
