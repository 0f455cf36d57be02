"""Supervisors: the shipped intent model (default) and an LLM one that falls back to it."""

from __future__ import annotations

import logging
import time
from typing import Any

from leafloaf.agents.base import Intent, Route, SessionState, Slots, Supervisor
from leafloaf.agents.intent import IntentModel, intent_model
from leafloaf.agents.slots import diet_words, parse_slots
from leafloaf.agents.utterances import product_free_words, tokens
from leafloaf.health import BackendHealth
from leafloaf.llm.base import LLM, LLMError

__all__ = ["ROUTE_SCHEMA", "LLMSupervisor", "LocalSupervisor"]

log = logging.getLogger("leafloaf")

_SPLITTERS = {"and", "then", "also", "plus", ",", ";", "&"}
_LEADING = {"and", "then", "also", "plus", ",", ";", "&", "please"}


class LocalSupervisor(Supervisor):
    """Routes with the shipped intent model and the slot grammar; no network, ~1-2 ms.

    A message is cut into clauses at "and", "then", commas…, but only where the part after
    the cut reads as a request of its own ("add milk and show my cart"), not where it is one
    more product ("add milk and eggs", "mac and cheese").

    >>> routes = LocalSupervisor().route("add 2 oat milks and show my cart")
    >>> [(r.intent.value, r.slots.products, r.slots.quantity) for r in routes]
    [('add', ['oat milks'], 2.0), ('show_cart', [], None)]
    """

    def __init__(self, model: IntentModel | None = None) -> None:
        self._model = model

    @property
    def model(self) -> IntentModel:
        """The intent model (the shipped one, trained on first use)."""
        if self._model is None:
            self._model = intent_model(include_held_out=True)
        return self._model

    def route(self, message: str, state: SessionState | None = None) -> list[Route]:
        words = message.replace(",", " , ").replace(";", " ; ").split()
        if not words:
            return [Route(intent=Intent.OTHER, text=message, confidence=1.0)]
        cuts = [i for i, w in enumerate(words) if w.lower().strip(".!?") in _SPLITTERS and i]
        clauses = [" ".join(words)]
        if cuts:
            tails = [_strip(words[i:]) for i in cuts]
            guesses = self.model.predict([t or "x" for t in tails])
            known = product_free_words()
            start, kept = 0, []
            for cut, tail, (intent, _) in zip(cuts, tails, guesses, strict=True):
                # a cut needs a request word after it ("show", "add"); "eggs and bread"
                # after "add milk," is more of the same request
                own_words = [w for w in tokens(tail) if w in known]
                if own_words and intent is not Intent.OTHER and _strip(words[start:cut]):
                    kept.append(" ".join(words[start:cut]))
                    start = cut
            kept.append(" ".join(words[start:]))
            clauses = [_strip(c.split()) for c in kept if _strip(c.split())]
        guesses = self.model.predict(clauses)
        return [
            Route(intent=intent, slots=parse_slots(clause), confidence=p, text=clause)
            for clause, (intent, p) in zip(clauses, guesses, strict=True)
        ]

    def health(self) -> BackendHealth:
        start = time.perf_counter()
        try:
            self.model.predict(["show my cart"])
        except Exception as exc:
            return BackendHealth(backend="local", kind="llm", status="down", last_error=str(exc))
        return BackendHealth(
            backend="local",
            kind="llm",
            status="ok",
            latency_ms=(time.perf_counter() - start) * 1000,
            detail="shipped intent model",
        )


def _strip(words: list[str]) -> str:
    """The clause without its leading connectors ("and then show my cart" → "show my cart")."""
    i = 0
    while i < len(words) and words[i].lower().strip(".!?") in _LEADING:
        i += 1
    return " ".join(words[i:]).strip(" ,;")


_NULLABLE_NUMBER: dict[str, Any] = {"type": ["number", "null"]}
ROUTE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["routes"],
    "properties": {
        "routes": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["intent", "text", "products", "quantity", "unit", "max_price",
                             "diet", "ordinal", "refers_to_previous"],
                "properties": {
                    "intent": {"type": "string", "enum": [i.value for i in Intent]},
                    "text": {"type": "string"},
                    "products": {"type": "array", "items": {"type": "string"}},
                    "quantity": _NULLABLE_NUMBER,
                    "unit": {"type": ["string", "null"]},
                    "max_price": _NULLABLE_NUMBER,
                    "diet": {"type": "array", "items": {"type": "string"}},
                    "ordinal": {"type": ["integer", "null"]},
                    "refers_to_previous": {"type": "boolean"},
                },
            },
        }
    },
}  # fmt: skip
"""The JSON Schema the LLM's routing answer is constrained to."""

_SYSTEM = (
    "You route a grocery shopper's chat message. Split it into clauses, one per request, "
    "and give each its intent: search (find products), add, remove, set_quantity (change "
    "how many of a product already discussed), show_cart, usual (their usual order), due "
    "(what they are running out of), preference (a diet or allergy statement), checkout, "
    "other. products: product phrases named; quantity: how many; ordinal: 1-based position "
    "in the results just shown ('the second one' = 2, 'the last one' = -1); "
    "refers_to_previous: true when the clause points at a product mentioned before "
    "('it', 'that', 'the organic one'); diet: words of a preference ('vegetarian')."
)


class LLMSupervisor(Supervisor):
    """Routes with an LLM (JSON-schema-constrained); on any error, the local model answers.

    >>> sup = LLMSupervisor(OpenAICompatibleLLM(url, "qwen2.5-7b"))  # doctest: +SKIP
    """

    def __init__(self, llm: LLM, fallback: Supervisor | None = None) -> None:
        self.llm = llm
        self.fallback = fallback or LocalSupervisor()
        self.failures = 0
        """How many messages the fallback answered because the LLM failed."""

    def route(self, message: str, state: SessionState | None = None) -> list[Route]:
        context = []
        if state is not None and state.history:
            context.append({"role": "user", "content": "Earlier: " + " | ".join(state.history)})
        try:
            answer = self.llm.complete_json(
                [{"role": "system", "content": _SYSTEM}, *context,
                 {"role": "user", "content": message}],
                ROUTE_SCHEMA,
                name="routes",
            )  # fmt: skip
            routes = [_route(item) for item in answer["routes"]]
            if not routes:
                raise LLMError("no routes in the answer")
            return routes
        except Exception as exc:  # any failure of the model: the local supervisor answers
            self.failures += 1
            log.warning("LLM routing failed (%s); using the local intent model", exc)
            return self.fallback.route(message, state)

    def health(self) -> BackendHealth:
        return self.llm.health()


def _route(item: dict[str, Any]) -> Route:
    ordinal = item.get("ordinal")
    products = [p for p in item.get("products", []) if isinstance(p, str) and p.strip()]
    reference = "ordinal" if ordinal else None
    if reference is None and item.get("refers_to_previous"):
        reference = "one" if products else "it"
    slots = Slots(
        products=products,
        quantity=item.get("quantity"),
        unit=item.get("unit"),
        max_price=item.get("max_price"),
        diet=diet_words([w for d in item.get("diet", []) for w in str(d).lower().split()]),
        ordinal=ordinal,
        reference=reference,
    )
    return Route(
        intent=Intent(item["intent"]),
        slots=slots,
        confidence=1.0,
        text=str(item.get("text", "")),
        source="llm",
    )
