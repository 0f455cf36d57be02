"""ResponseCompiler: turns what the agents did into a short answer that says why."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field

from leafloaf.agents.base import Intent, ReplyCompiler
from leafloaf.models import Cart, Fact, Reason, Relation
from leafloaf.orders.base import CartChange, Order

if TYPE_CHECKING:
    from leafloaf.engine import GraphitiPersonalizationEngine

__all__ = ["ProductSuggestion", "ResponseCompiler", "TurnResult"]

_LISTED = (Intent.SEARCH, Intent.USUAL, Intent.DUE)
"""Intents whose products the reply lists."""
_SHOWN_REASONS = 2
"""Reasons spoken per product; all of them stay in ``ProductSuggestion.reasons``."""
_UNSPOKEN = frozenset({"hiding", "original_position", "original_position_for"})
"""Search reasons a product's line leaves out: ``hiding`` is said once for the whole reply
(``TurnResult.skipped``); an original position says only that nothing was learned."""
_SAME = {
    "bought_once": "bought_before",
    "cart_removed_before": "cart_removed",
}
"""Codes that say what another says (the compiler's counts say it with the number)."""
_LEADING = frozenset({"matches_partly", "similar"})
"""Search reasons that say the product is not quite what was asked: they come first."""


class ProductSuggestion(BaseModel):
    """A product in a reply, with the structured reasons it was chosen."""

    model_config = ConfigDict(extra="forbid")

    product_id: str
    name: str
    quantity: float | None = None
    reasons: list[Reason] = Field(default_factory=list)


class TurnResult(BaseModel):
    """What one agent did for one clause; the compiler joins these into a reply."""

    model_config = ConfigDict(extra="forbid")

    intent: Intent
    said: list[str] = Field(default_factory=list)
    """Sentences already phrased by the agent (confirmations, errors)."""
    products: list[ProductSuggestion] = Field(default_factory=list)
    actions: list[CartChange] = Field(default_factory=list)
    clarification: str | None = None
    order: Order | None = None
    skipped: list[Reason] = Field(default_factory=list)
    """Reasons something was left out ("skipped: you told us you avoid dairy eggs")."""


class ResponseCompiler(ReplyCompiler):
    """Builds :class:`Reason` lists from the engine's statistics and memory, and phrases
    the reply. Remembered beliefs are cited with their dates (code ``"remembered"``), only
    when memory holds them.

    >>> compiler = ResponseCompiler(engine)                       # doctest: +SKIP
    >>> [r.text for r in compiler.reasons("ann", "24852")]        # doctest: +SKIP
    ['you have bought Banana regularly since 2017-03-02', 'you bought it 12 times', ...]
    """

    def __init__(self, engine: GraphitiPersonalizationEngine) -> None:
        self.engine = engine
        self._turn = threading.local()

    @contextmanager
    def turn(self, user_id: str) -> Iterator[None]:
        """Within it (in this thread), the shopper's beliefs are recalled from memory at
        most once: a clause cites them for every product it names. Outside it, each call
        recalls afresh."""
        self._turn.held = (user_id, None)
        try:
            yield
        finally:
            self._turn.held = None

    def beliefs(self, user_id: str) -> list[Fact]:
        """The shopper's current beliefs in memory (recalled once per :meth:`turn`)."""
        memo: tuple[str, list[Fact] | None] | None = getattr(self._turn, "held", None)
        if memo is None or memo[0] != user_id:
            return self.engine.current_beliefs(user_id)
        if memo[1] is None:
            memo = self._turn.held = (user_id, self.engine.current_beliefs(user_id))
        assert memo[1] is not None
        return memo[1]

    def cited(self, user_id: str, product_id: str) -> list[Reason]:
        """The remembered beliefs about a product as reasons, with their dates (oldest
        first); ``[]`` when memory holds none."""
        facts = self.engine.cited_facts(user_id, product_id, self.beliefs(user_id))
        return [f.reason for f in facts]

    def reasons(
        self,
        user_id: str,
        product_id: str,
        notes: Sequence[Reason | str] = (),
        query: str | None = None,
    ) -> list[Reason]:
        """Why ``product_id`` suits this shopper, from memory and statistics (most telling
        first): "you have bought it regularly since <date>" leads when memory holds it, the
        other remembered beliefs follow the statistics.

        ``notes`` are the search result's own reasons (``PersonalizedHit.reasons``); they
        follow the statistics, one per code, except a partial match ("matches 'milk' but
        not 'oat'"), which leads. A plain string (from a host's own component) becomes code
        ``"engine"``.
        """
        stats = self.engine.shopper_stats(user_id)
        item = stats.items.get(product_id)
        out: list[Reason] = []
        if item is not None and item.lines > 0:
            times = int(item.lines)
            out.append(Reason.of("bought_once") if times == 1 else
                       Reason.of("bought_before", times=times))  # fmt: skip
            if item.lines >= 3 and item.last_day > item.first_day:
                days = (item.last_day - item.first_day) / (item.lines - 1)
                out.append(Reason.of("interval", days=days))
        if item is not None and item.removes > 0:
            out.append(Reason.of("cart_removed", times=item.removes))
        said = {_SAME.get(r.code, r.code) for r in out}
        lead: list[Reason] = []
        for note in notes:
            reason = Reason.of("engine", note=note) if isinstance(note, str) else note
            kind = _SAME.get(reason.code, reason.code)
            if reason.code in _UNSPOKEN or (kind in said and kind != "engine") or reason in out:
                continue  # nothing to add, said once for the reply, or said already
            said.add(kind)
            (lead if reason.code in _LEADING else out).append(reason)
        out = lead + out
        if not out and query:
            out.append(Reason.of("matches", query=query))
        cited = self.cited(user_id, product_id)
        regular = [r for r in cited if r.params["relation"] == Relation.BUYS_REGULARLY.value]
        return regular + out + [r for r in cited if r not in regular]

    def compile(self, results: Sequence[TurnResult], cart: Cart) -> tuple[str, str | None]:
        """The reply text and the clarifying question (at most one) for a turn."""
        sentences: list[str] = []
        question = None
        for result in results:
            sentences.extend(result.said)
            sentences.extend(self._unsaid(result))
            if result.products and result.intent in _LISTED:
                sentences.append(_product_list(result))
            sentences.extend(f"({r.text})" for r in result.skipped)
            if result.intent is Intent.SHOW_CART and not result.said:
                sentences.append(cart_text(cart))  # the cart at the end of the turn
            if result.clarification and question is None:
                question = result.clarification
        if question is not None:
            sentences.append(question)
        said = dict.fromkeys(s for s in sentences if s)  # two clauses, one sentence: say it once
        return " ".join(said) or "Sorry, I did not catch that.", question

    def _unsaid(self, result: TurnResult) -> list[str]:
        """A sentence for each cart change the agent did not word itself (a host's agent)."""
        listed = [p.name for p in result.products] if result.intent in _LISTED else []
        said = " ".join([*result.said, *listed])
        out = []
        for change in result.actions:
            catalog = self.engine.catalog
            name = catalog.name(change.product_id) if change.product_id in catalog else None
            if name is None or name not in said:
                out.append(f"{name or change.product_id}: now {change.after:g} in your cart.")
        return out


def _product_list(result: TurnResult) -> str:
    lines = []
    for i, p in enumerate(result.products, 1):
        why = "; ".join(r.text for r in p.reasons[:_SHOWN_REASONS])
        qty = f" ×{p.quantity:g}" if p.quantity and p.quantity != 1 else ""
        lines.append(f"{i}. {p.name}{qty}" + (f" ({why})" if why else ""))
    return "\n" + "\n".join(lines) + "\n"


def cart_text(cart: Cart) -> str:
    """The cart in words ("Your cart: 2 × Oat Milk, 1 × Bread.")."""
    if not cart.lines:
        return "Your cart is empty."
    items = ", ".join(f"{ln.quantity:g} × {ln.name}" for ln in cart.lines)
    total = f" Total {cart.total:.2f}." if cart.total is not None else ""
    return f"Your cart: {items}.{total}"
