"""OrderAgent: cart changes, "my usual", "what am I running out of", preferences, checkout."""

from __future__ import annotations

import logging
import uuid
from typing import TYPE_CHECKING

from leafloaf.agents.base import (
    CartAgent,
    Intent,
    PendingAction,
    ReplyCompiler,
    Route,
    SearchAgent,
    SessionState,
)
from leafloaf.agents.compiler import ProductSuggestion, ResponseCompiler, TurnResult, cart_text
from leafloaf.agents.search_agent import Choice, covers, name_words
from leafloaf.agents.tool_loop import PlannedChange, ToolLoop
from leafloaf.agents.utterances import tokens
from leafloaf.errors import ConfigError
from leafloaf.llm.base import LLM
from leafloaf.models import Cart, Reason
from leafloaf.orders.base import CartChange, OrderBackend

if TYPE_CHECKING:
    from leafloaf.engine import GraphitiPersonalizationEngine

__all__ = ["OrderAgent"]

log = logging.getLogger(__name__)

_ADD_ALL = {"add", "order", "reorder", "load", "repeat", "put"}
"""First words that turn "my usual" from a list into an order ("add my usual")."""
_EVERYTHING = {"everything", "all", "clear", "empty"}
"""Words of a remove that empties the cart ("clear my cart", "remove everything")."""
_SURE = 0.5
"""Checkout is the one step that cannot be undone: below this confidence, it asks first."""
_LISTED = 6
"""Products listed for "my usual" and "what am I running out of"."""
_CLOSEST = 3
"""Products offered when none is due at even odds."""
_LOOPED = frozenset(
    {Intent.ADD, Intent.REMOVE, Intent.SET_QUANTITY, Intent.USUAL, Intent.DUE, Intent.CHECKOUT}
)
"""Intents the LLM's tool loop handles when ``llm`` is set (the rest stay deterministic)."""


class OrderAgent(CartAgent):
    """Deterministic plans for the cart intents over an :class:`OrderBackend`; with ``llm``,
    a ReAct-style tool loop (:class:`ToolLoop`, at most ``max_steps`` calls) first.

    Any LLM error, timeout, invalid tool call or loop without ``finish`` falls back to the
    deterministic plan (``fallbacks`` counts them); a loop that changes nothing for add,
    remove or set_quantity does too, so the shopper still gets an answer or a question.
    Every change goes through the order backend under a fresh idempotent ``change_id``.

    >>> agent = OrderAgent(engine, orders, ProductSearchAgent(engine))   # doctest: +SKIP
    """

    def __init__(
        self,
        engine: GraphitiPersonalizationEngine,
        orders: OrderBackend,
        search: SearchAgent,
        compiler: ReplyCompiler | None = None,
        llm: LLM | None = None,
        max_steps: int = 6,
    ) -> None:
        if isinstance(max_steps, bool) or not isinstance(max_steps, int) or max_steps < 1:
            raise ConfigError("max_steps", max_steps, "must be a whole number >= 1")
        self.engine = engine
        self.orders = orders
        self.search = search
        self.compiler: ReplyCompiler = compiler or ResponseCompiler(engine)
        self.loop = ToolLoop(llm, engine, orders, search, max_steps) if llm is not None else None
        self.fallbacks = 0
        """How many clauses the deterministic plan answered because the tool loop failed."""

    def handle(self, route: Route, state: SessionState, user_id: str) -> TurnResult:
        """Carry out one clause; cart changes go through the order backend."""
        if self.loop is not None and route.intent in _LOOPED:
            try:
                changes, checkout = self.loop.plan(route, state, user_id)
            except Exception as exc:  # any failure of the model: the deterministic plan
                self.fallbacks += 1
                log.warning("tool loop failed (%s); using the deterministic plan", exc)
            else:
                if changes or checkout:
                    return self._carry_out(route, state, user_id, changes, checkout)
                if route.intent not in (Intent.USUAL, Intent.DUE):  # looking changes nothing
                    self.fallbacks += 1
        return self.plan(route, state, user_id)

    def plan(self, route: Route, state: SessionState, user_id: str) -> TurnResult:
        """The deterministic plan for one clause."""
        handler = {
            Intent.ADD: self.add,
            Intent.REMOVE: self.remove,
            Intent.SET_QUANTITY: self.set_quantity,
            Intent.SHOW_CART: self.show_cart,
            Intent.USUAL: self.usual,
            Intent.DUE: self.due,
            Intent.CHECKOUT: self.checkout,
            Intent.PREFERENCE: self.preference,
        }[route.intent]
        return handler(route, state, user_id)

    def _carry_out(
        self,
        route: Route,
        state: SessionState,
        user_id: str,
        changes: list[PlannedChange],
        checkout: bool,
    ) -> TurnResult:
        """Apply what the tool loop planned, in order, through the order backend."""
        result = TurnResult(intent=route.intent)
        for change in changes:
            cid = f"llm-{uuid.uuid4().hex}"
            pid, quantity = change.product_id, change.quantity
            if change.tool == "add":
                self._put(result, state, user_id, Choice(pid, settled_by="llm"), quantity, cid)
            elif change.tool == "remove":
                self._removed(result, state, self.orders.remove(user_id, pid, quantity, cid))
            else:
                assert quantity is not None
                done = self.orders.set_quantity(user_id, pid, quantity, cid)
                self._quantity_set(result, state, done)
        if checkout:
            placed = self.checkout(route.model_copy(update={"confidence": 1.0}), state, user_id)
            result.said += placed.said
            result.order = placed.order
        return result

    # --- cart changes ---------------------------------------------------------------------
    def add(self, route: Route, state: SessionState, user_id: str) -> TurnResult:
        """Put the named (or referred-to) products in the cart, asking when one is unclear."""
        result = TurnResult(intent=Intent.ADD)
        slots = route.slots
        quantity = slots.quantity
        if state.pending is not None and quantity is None:
            quantity = state.pending.quantity
        phrases: list[str | None] = list(slots.products) or [None]
        if len(phrases) > 1:  # "mac and cheese" is one product, "milk and eggs" two
            joined = " and ".join(p for p in phrases if p)
            choice = self.search.choose(user_id, joined, slots, state)
            if choice.product_id and covers(
                name_words(joined), name_words(self.engine.catalog.name(choice.product_id))
            ):
                phrases = [joined]
        for phrase in phrases:
            choice = self.search.choose(user_id, phrase, slots, state)
            if choice.product_id is None:
                self._unresolved(result, state, choice, phrase, quantity)
                continue
            self._put(result, state, user_id, choice, quantity)
        return result

    def _unresolved(
        self,
        result: TurnResult,
        state: SessionState,
        choice: Choice,
        phrase: str | None,
        quantity: float | None,
    ) -> None:
        if choice.question and result.clarification is None:
            result.clarification = choice.question
            state.pending = PendingAction(
                intent=Intent.ADD,
                quantity=quantity,
                candidates=[h.product_id for h in choice.candidates],
            )
            state.last_results = [h.product_id for h in choice.candidates]
        elif choice.question and phrase:
            result.said.append(f"Tell me which {phrase} you want after this.")
        elif phrase:
            result.said.append(f"I could not find {phrase}.")
        else:
            result.said.append("Which product do you mean? Search for it first.")

    def _put(
        self,
        result: TurnResult,
        state: SessionState,
        user_id: str,
        choice: Choice,
        quantity: float | None,
        change_id: str | None = None,
    ) -> None:
        pid = choice.product_id
        assert pid is not None
        reasons = self.compiler.reasons(user_id, pid)
        if quantity is None:
            memory = self.engine.suggest_quantity(user_id, pid)
            quantity = memory.quantity if memory.source == "personal" else 1.0
            if memory.source == "personal" and quantity != 1:
                reasons.insert(0, Reason.of("quantity_memory", quantity=quantity))
        change = self.orders.add(user_id, pid, quantity, change_id)
        result.actions.append(change)
        name = self.engine.catalog.name(pid)
        result.products.append(
            ProductSuggestion(product_id=pid, name=name, quantity=quantity, reasons=reasons)
        )
        why = f" ({'; '.join(r.text for r in reasons[:2])})" if reasons else ""
        result.said.append(f"Added {quantity:g} × {name}{why}.")
        state.focus = pid
        state.pending = None

    def _in_cart(self, cart: Cart, phrase: str | None, state: SessionState) -> str | None:
        if phrase:
            words = name_words(phrase)
            hits = [ln.product_id for ln in cart.lines if covers(words, name_words(ln.name))]
            return hits[-1] if hits else None
        if state.focus is not None:  # "actually two" right after removing it puts it back
            return state.focus
        return cart.lines[-1].product_id if cart.lines else None

    def remove(self, route: Route, state: SessionState, user_id: str) -> TurnResult:
        """Take a named (or referred-to) product out of the cart."""
        result = TurnResult(intent=Intent.REMOVE)
        cart = self.orders.cart(user_id)
        slots = route.slots
        if not slots.products and _EVERYTHING & set(tokens(route.text)):
            for line in cart.lines:  # "clear my cart", "remove everything"
                result.actions.append(self.orders.remove(user_id, line.product_id))
            result.said.append("Your cart is now empty.")
            state.focus = None
            return result
        targets: list[str | None] = list(slots.products) or [None]
        if slots.reference == "ordinal" and slots.ordinal and cart.lines:
            index = slots.ordinal - 1 if slots.ordinal > 0 else len(cart.lines) + slots.ordinal
            if 0 <= index < len(cart.lines):
                targets = [cart.lines[index].name]
        for phrase in targets:
            pid = self._in_cart(cart, phrase, state)
            if pid is None:
                what = phrase or "that"
                result.said.append(f"{what.capitalize()} is not in your cart.")
                continue
            self._removed(result, state, self.orders.remove(user_id, pid, slots.quantity))
        return result

    def _removed(self, result: TurnResult, state: SessionState, change: CartChange) -> None:
        result.actions.append(change)
        name = self.engine.catalog.name(change.product_id)
        left = f" ({change.after:g} left)" if change.after else ""
        result.said.append(f"Removed {change.before - change.after:g} × {name}{left}.")
        state.focus = change.product_id

    def set_quantity(self, route: Route, state: SessionState, user_id: str) -> TurnResult:
        """Make a cart line hold a number of units ("make it three", "actually two")."""
        result = TurnResult(intent=Intent.SET_QUANTITY)
        slots = route.slots
        if slots.quantity is None:
            result.clarification = "How many would you like?"
            return result
        cart = self.orders.cart(user_id)
        phrase = slots.products[0] if slots.products else None
        pending = state.pending
        if phrase is None and pending is not None and pending.candidates:
            # "make it two" while a question waits: the answer to come gets two
            pending.quantity = slots.quantity
            names = [self.engine.catalog.name(p) for p in pending.candidates
                     if p in self.engine.catalog]  # fmt: skip
            listed = " or ".join([", ".join(names[:-1]), names[-1]] if len(names) > 1 else names)
            result.clarification = f"{slots.quantity:g} of which: {listed}?"
            return result
        pid = self._in_cart(cart, phrase, state)
        if pid is None and (phrase or state.focus):
            choice = self.search.choose(user_id, phrase, slots, state)
            pid = choice.product_id
        if pid is None:
            result.said.append("Which product should I change?")
            return result
        self._quantity_set(result, state, self.orders.set_quantity(user_id, pid, slots.quantity))
        return result

    def _quantity_set(self, result: TurnResult, state: SessionState, change: CartChange) -> None:
        result.actions.append(change)
        result.said.append(f"{self.engine.catalog.name(change.product_id)}: now {change.after:g}.")
        state.focus = change.product_id

    def show_cart(self, route: Route, state: SessionState, user_id: str) -> TurnResult:
        """The cart as it is now (later clauses of the message may change it)."""
        cart = self.orders.cart(user_id)
        state.last_results = [ln.product_id for ln in cart.lines]
        return TurnResult(intent=Intent.SHOW_CART, said=[cart_text(cart)])

    # --- what the engine knows ------------------------------------------------------------
    def usual(self, route: Route, state: SessionState, user_id: str) -> TurnResult:
        """The shopper's usual order; "add my usual" puts it in the cart."""
        result = TurnResult(intent=Intent.USUAL)
        usual = self.engine.usual_order(user_id, k=_LISTED)
        if not usual.items:
            result.said.append("I don't know your usual order yet: you have no orders with us.")
            return result
        adding = tokens(route.text)[:1] in ([w] for w in _ADD_ALL)
        for item in usual.items:
            reasons = [Reason.of("usual", share=item.score), *self._history(user_id, item)]
            if item.quantity != 1:
                reasons.append(Reason.of("quantity_memory", quantity=item.quantity))
            result.products.append(
                ProductSuggestion(product_id=item.product_id, name=item.name,
                                  quantity=item.quantity, reasons=reasons)
            )  # fmt: skip
            if adding:
                result.actions.append(self.orders.add(user_id, item.product_id, item.quantity))
        state.last_results = [p.product_id for p in result.products]
        state.focus = state.last_results[0]
        result.said.append("I added your usual:" if adding else "Your usual order:")
        return result

    def _history(self, user_id: str, item: object) -> list[Reason]:
        pid = getattr(item, "product_id", "")
        reasons = self.compiler.reasons(user_id, pid)
        return [r for r in reasons if r.code in ("interval", "remembered")]

    def due(self, route: Route, state: SessionState, user_id: str) -> TurnResult:
        """What the shopper is probably running out of (restock timing)."""
        result = TurnResult(intent=Intent.DUE)
        prediction = self.engine.reorder_due(user_id, k=_LISTED * 4)
        due = prediction.due[:_LISTED]
        heading = "You may be running low on:"
        if not due:  # nothing at even odds: the likeliest, with their odds, beats a bare "no"
            due = prediction.items[:_CLOSEST]
            heading = "Nothing is clearly due yet; the most likely:"
        if not due:
            result.said.append("Nothing looks due yet: you have no orders with us.")
            return result
        for item in due:
            reasons = [
                Reason.of("due", probability=item.probability, days_since=item.days_since_last),
                Reason.of("interval", days=item.typical_interval_days),
            ]
            result.products.append(
                ProductSuggestion(product_id=item.product_id, name=item.name, reasons=reasons)
            )
        state.last_results = [p.product_id for p in result.products]
        state.focus = state.last_results[0]
        result.said.append(heading)
        return result

    def checkout(self, route: Route, state: SessionState, user_id: str) -> TurnResult:
        """Hand the cart to the host's checkout: it becomes an order."""
        result = TurnResult(intent=Intent.CHECKOUT)
        if route.confidence < _SURE:
            result.clarification = 'Do you want to check out now? Say "checkout" to confirm.'
            return result
        order = self.orders.checkout(user_id)
        if order is None:
            result.said.append("Your cart is empty, so there is nothing to check out.")
            return result
        result.order = order
        count = sum(line.quantity for line in order.lines)
        result.said.append(
            f"Order {order.order_id[:8]} placed with {count:g} item{'' if count == 1 else 's'}; "
            "payment and delivery continue at checkout."
        )
        state.focus = None
        state.pending = None
        return result

    def preference(self, route: Route, state: SessionState, user_id: str) -> TurnResult:
        """Record a stated diet ("I'm vegetarian", "no dairy") as declared avoidances."""
        result = TurnResult(intent=Intent.PREFERENCE)
        attributes = self.attributes_for(route.slots.diet)
        if not attributes:
            words = ", ".join(route.slots.diet) or route.text
            result.said.append(f"I can't tell which products are {words} in this catalog.")
            return result
        avoid = not route.slots.negated
        for attribute in attributes:
            self.engine.declare_avoidance(user_id, attribute, avoid=avoid)
        labels = " and ".join(a.partition(":")[2] for a in attributes)
        result.said.append(
            f"Got it: I'll leave out {labels} from now on."
            if avoid
            else f"Got it: {labels} can show up again."
        )
        return result

    def attributes_for(self, words: list[str]) -> list[str]:
        """Catalog departments (else aisles) whose names contain the diet words."""
        catalog = self.engine.catalog
        found: list[str] = []
        for word in words:
            stem = next(iter(name_words(word)), word)
            for level in ("department:", "aisle:"):
                hits = [
                    a
                    for a in catalog.all_attributes()
                    if a.startswith(level) and stem in name_words(a.partition(":")[2])
                ]
                if hits:
                    found.extend(hits)
                    break
        return list(dict.fromkeys(found))
