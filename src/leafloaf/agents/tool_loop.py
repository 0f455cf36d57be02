"""ToolLoop: the order agent's ReAct-style loop, where an LLM picks cart tools one at a time.

Each step the model answers one tool call under :data:`TOOL_SCHEMA` (JSON-schema-constrained
through the :class:`LLM` seam), sees what it returned, and calls the next, until ``finish``
or ``max_steps``. Cart changes are planned during the loop and applied through the
:class:`OrderBackend` only when the model finishes, so a loop that fails part-way leaves the
cart untouched and the caller's deterministic plan answers instead.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from leafloaf.agents.base import Intent, Route, SearchAgent, SessionState
from leafloaf.llm.base import LLM, LLMError, Message

if TYPE_CHECKING:
    from leafloaf.engine import GraphitiPersonalizationEngine
    from leafloaf.orders.base import OrderBackend

__all__ = ["TOOLS", "TOOL_SCHEMA", "PlannedChange", "ToolCallError", "ToolLoop"]

TOOLS = ("search", "add", "remove", "set_quantity", "show_cart", "usual", "due", "checkout")
"""The tools the model may call; ``finish`` ends the loop."""

_NULLABLE = {"string": {"type": ["string", "null"]}, "number": {"type": ["number", "null"]}}
TOOL_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["thought", "tool", "product_id", "query", "quantity"],
    "properties": {
        "thought": {"type": "string"},
        "tool": {"type": "string", "enum": [*TOOLS, "finish"]},
        "product_id": _NULLABLE["string"],
        "query": _NULLABLE["string"],
        "quantity": _NULLABLE["number"],
    },
}
"""The JSON Schema each step's answer is constrained to: one tool call."""

_SYSTEM = (
    "You operate a grocery shopper's cart with tools, one call per answer. Tools: "
    "search(query) lists products with ids; add(product_id, quantity or null for the "
    "shopper's usual amount); remove(product_id, quantity or null for the whole line); "
    "set_quantity(product_id, quantity); show_cart; usual (their usual order); due (what "
    "they are running out of); checkout (only when they asked to check out); finish (the "
    "request is done). Use only product ids seen in the context or an observation. Do "
    "exactly what the shopper asked, then call finish."
)
_FOUND = 5
"""Products listed per search observation."""


class ToolCallError(LLMError):
    """The model called a tool wrongly (unknown product, missing quantity, too many steps)."""


@dataclass
class PlannedChange:
    """A cart change the model asked for, applied when it finishes."""

    tool: str
    product_id: str
    quantity: float | None


@dataclass
class _Plan:
    cart: dict[str, float]
    known: dict[str, str]
    changes: list[PlannedChange] = field(default_factory=list)
    checkout: bool = False


class ToolLoop:
    """Runs the loop for one clause and returns the planned changes (applied by the caller).

    >>> loop = ToolLoop(llm, engine, orders, search_agent, max_steps=6)  # doctest: +SKIP
    >>> loop.plan(route, state, "ann")                                     # doctest: +SKIP
    ([PlannedChange(tool='add', product_id='24852', quantity=2.0)], False)
    """

    def __init__(
        self,
        llm: LLM,
        engine: GraphitiPersonalizationEngine,
        orders: OrderBackend,
        search: SearchAgent,
        max_steps: int = 6,
    ) -> None:
        self.llm = llm
        self.engine = engine
        self.orders = orders
        self.search = search
        self.max_steps = max_steps
        self.steps: list[dict[str, Any]] = []
        """The last loop's tool calls, in order (for logs and tests)."""

    def plan(
        self, route: Route, state: SessionState, user_id: str
    ) -> tuple[list[PlannedChange], bool]:
        """The cart changes the model settled on, and whether it checks out.

        Raises :class:`LLMError` (a :class:`ToolCallError` for a bad call or no ``finish``
        within ``max_steps``); nothing has been changed then.
        """
        catalog = self.engine.catalog
        cart = self.orders.cart(user_id)
        plan = _Plan(
            cart={ln.product_id: ln.quantity for ln in cart.lines},
            known={pid: catalog.name(pid) for pid in state.last_results if pid in catalog},
        )
        plan.known.update({ln.product_id: ln.name for ln in cart.lines})
        messages: list[Message] = [
            {"role": "system", "content": _SYSTEM},
            {"role": "user", "content": self._context(route, state, plan)},
        ]
        self.steps = []
        for _ in range(self.max_steps):
            call = self.llm.complete_json(messages, TOOL_SCHEMA, name="tool_call")
            self.steps.append(call)
            if call["tool"] == "finish":
                return plan.changes, plan.checkout
            seen = self._observe(call, plan, route, user_id)
            messages += [
                {"role": "assistant", "content": json.dumps(call)},
                {"role": "user", "content": f"Observation: {seen}"},
            ]
        raise ToolCallError(f"no finish after {self.max_steps} tool calls")

    def _context(self, route: Route, state: SessionState, plan: _Plan) -> str:
        slots = route.slots
        parts = [
            f"Shopper ({route.intent.value}): {route.text}",
            f"Products named: {', '.join(slots.products) or 'none'}; quantity: {slots.quantity}",
            "Shown before: " + _listing(state.last_results, plan.known),
            "In focus: " + (_listing([state.focus], plan.known) if state.focus else "none"),
            "Cart: " + _cart_text(plan),
        ]
        return "\n".join(parts)

    def _observe(self, call: dict[str, Any], plan: _Plan, route: Route, user_id: str) -> str:
        tool: str = call["tool"]
        tools: dict[str, Callable[[dict[str, Any], _Plan, Route, str], str]] = {
            "search": self._search,
            "add": self._change,
            "remove": self._change,
            "set_quantity": self._change,
            "show_cart": lambda c, p, r, u: _cart_text(p),
            "usual": self._usual,
            "due": self._due,
            "checkout": self._checkout,
        }
        return tools[tool](call, plan, route, user_id)

    def _search(self, call: dict[str, Any], plan: _Plan, route: Route, user_id: str) -> str:
        query = (call.get("query") or "").strip()
        if not query:
            raise ToolCallError("search without a query")
        hits = self.search.find(user_id, query, k=_FOUND, max_price=route.slots.max_price)
        plan.known.update({h.product_id: h.name for h in hits})
        return _listing([h.product_id for h in hits], plan.known) if hits else "no products"

    def _change(self, call: dict[str, Any], plan: _Plan, route: Route, user_id: str) -> str:
        tool, pid, quantity = call["tool"], call.get("product_id"), call.get("quantity")
        if pid not in plan.known:
            raise ToolCallError(f"{tool}: product_id {pid!r} was not seen in this conversation")
        if quantity is not None and (quantity < 0 or (quantity == 0 and tool != "set_quantity")):
            raise ToolCallError(f"{tool}: quantity {quantity!r} must be positive")
        before = plan.cart.get(pid, 0.0)
        if tool == "add":
            plan.cart[pid] = before + (quantity or 1.0)
        elif tool == "set_quantity":
            if quantity is None:
                raise ToolCallError("set_quantity without a quantity")
            plan.cart[pid] = quantity
        else:
            if before == 0:
                raise ToolCallError(f"remove: {pid!r} is not in the cart")
            plan.cart[pid] = max(0.0, before - quantity) if quantity is not None else 0.0
        if plan.cart[pid] == 0:
            del plan.cart[pid]
        plan.changes.append(PlannedChange(tool, pid, quantity))
        return f"done ({tool} {plan.known[pid]}). Cart: {_cart_text(plan)}"

    def _usual(self, call: dict[str, Any], plan: _Plan, route: Route, user_id: str) -> str:
        items = self.engine.usual_order(user_id, k=6).items
        plan.known.update({i.product_id: i.name for i in items})
        return "; ".join(f"{i.product_id}: {i.name} ×{i.quantity:g}" for i in items) or "none"

    def _due(self, call: dict[str, Any], plan: _Plan, route: Route, user_id: str) -> str:
        prediction = self.engine.reorder_due(user_id, k=24)
        items = prediction.due[:6] or prediction.items[:3]
        plan.known.update({i.product_id: i.name for i in items})
        return "; ".join(
            f"{i.product_id}: {i.name} (due with probability {i.probability:.0%})" for i in items
        ) or "nothing due"  # fmt: skip

    def _checkout(self, call: dict[str, Any], plan: _Plan, route: Route, user_id: str) -> str:
        if route.intent is not Intent.CHECKOUT:  # the one step that cannot be undone
            raise ToolCallError("checkout called but the shopper did not ask to check out")
        plan.checkout = True
        return f"will check out: {_cart_text(plan)}"


def _listing(ids: list[str], known: dict[str, str]) -> str:
    return "; ".join(f"{pid}: {known.get(pid, pid)}" for pid in ids) or "nothing"


def _cart_text(plan: _Plan) -> str:
    lines = [f"{plan.known.get(pid, pid)} ({pid}) ×{q:g}" for pid, q in plan.cart.items()]
    return "; ".join(lines) or "empty"
