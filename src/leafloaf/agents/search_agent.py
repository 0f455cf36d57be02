"""ProductSearchAgent: finds products for a phrase and picks one, asking only when it must."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from leafloaf.agents.base import SearchAgent, SessionState, Slots
from leafloaf.search.base import PersonalizedHit, SearchBackend, SearchFilters

if TYPE_CHECKING:
    from leafloaf.engine import GraphitiPersonalizationEngine

__all__ = ["Choice", "ProductSearchAgent", "covers", "name_words"]

_WORD = re.compile(r"[a-z0-9]+")
_CHOICES = 3
"""Products offered in a clarifying question."""
_POOL = 50
"""Candidates re-ranked per search: a chat shows five, so a quarter of the engine's default
pool keeps the shopper's own products (retrieved first) at a quarter of the cost."""


def _stem(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith(("ches", "shes", "oes", "xes")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def name_words(text: str) -> set[str]:
    """Lower-cased, plural-folded words of a name or phrase.

    >>> sorted(name_words("Organic Bananas & Berries"))
    ['banana', 'berry', 'organic']
    """
    return {_stem(w) for w in _WORD.findall(text.lower())}


_JOINERS = {"and", "of", "the", "with", "a", "an", "in", "n"}


def covers(phrase: set[str], name: set[str]) -> bool:
    """True when every word of ``phrase`` is in ``name``, allowing a typo after the third
    letter ("banannas" covers "banana"); joining words ("and", "of") need not appear.

    >>> covers(name_words("mac and cheese"), name_words("Vegan Mac & Cheese"))
    True
    >>> covers(name_words("oat milk"), name_words("Organic Whole Milk"))
    False
    """
    for word in phrase - _JOINERS:
        if word in name:
            continue
        if len(word) < 4 or not any(len(n) >= 4 and n[:3] == word[:3] for n in name):
            return False
    return True


@dataclass
class Choice:
    """What a phrase resolved to: one product, or candidates and a question."""

    product_id: str | None = None
    candidates: list[PersonalizedHit] = field(default_factory=list)
    question: str | None = None
    settled_by: str = ""
    """``"history"``, ``"exact"``, ``"reference"``, ``"only"`` or ``"clarified"``."""


class ProductSearchAgent(SearchAgent):
    """Searches with ``engine.search`` (the host's backend when given) and picks products.

    A phrase names one product when the shopper has bought one of the matches (history
    settles it), when a match is named exactly, or when only one product matches; otherwise
    it asks one question offering the best three ("Which milk: …?").

    >>> agent = ProductSearchAgent(engine)                    # doctest: +SKIP
    >>> agent.choose("ann", "milk", Slots(), state).question  # doctest: +SKIP
    'Which milk: Organic Whole Milk, Reduced Fat Milk or Oat Milk?'
    """

    def __init__(
        self, engine: GraphitiPersonalizationEngine, search: SearchBackend | None = None
    ) -> None:
        self.engine = engine
        self.search = search

    def find(
        self, user_id: str, query: str, k: int = 5, max_price: float | None = None
    ) -> list[PersonalizedHit]:
        """The shopper's best ``k`` products for ``query`` (declared avoidances filtered)."""
        filters = SearchFilters(max_price=max_price) if max_price is not None else None
        return self.engine.search(
            user_id, query, k=k, filters=filters, backend=self.search, pool=max(_POOL, k)
        )

    def pick_shown(self, words: set[str], state: SessionState) -> str | None:
        """The first product shown last whose name has all ``words`` ("the organic one")."""
        for pid in state.last_results:
            if pid in self.engine.catalog and covers(
                words, name_words(self.engine.catalog.name(pid))
            ):
                return pid
        return None

    def choose(self, user_id: str, phrase: str | None, slots: Slots, state: SessionState) -> Choice:
        """Resolve a phrase (or a reference to earlier results) to one product."""
        shown = state.last_results
        if slots.reference == "ordinal" and slots.ordinal and shown:
            index = slots.ordinal - 1 if slots.ordinal > 0 else len(shown) + slots.ordinal
            if 0 <= index < len(shown):
                return Choice(shown[index], settled_by="reference")
        if not phrase:
            if state.focus is not None:
                return Choice(state.focus, settled_by="reference")
            if shown:
                return Choice(shown[0], settled_by="reference")
            return Choice()
        words = name_words(phrase)
        if shown and (slots.reference == "one" or state.pending is not None):
            picked = self.pick_shown(words, state)
            if picked is not None:
                return Choice(picked, settled_by="clarified" if state.pending else "reference")
        hits = self.find(user_id, phrase, k=8, max_price=slots.max_price)
        if not hits:
            return Choice()
        model = self.engine.shopper_model(user_id)
        bought = [h for h in hits if model.item_lines.get(h.product_id)]
        if bought:  # what they buy settles it: the one they buy most among the matches
            best = max(bought, key=lambda h: model.item_lines[h.product_id])
            return Choice(best.product_id, hits, settled_by="history")
        exact = [h for h in hits if name_words(h.name) == words]
        if exact:
            return Choice(exact[0].product_id, hits, settled_by="exact")
        matching = [h for h in hits[:_CHOICES] if covers(words, name_words(h.name))]
        if len(matching) == 1:
            return Choice(matching[0].product_id, hits, settled_by="only")
        options = hits[:_CHOICES]
        names = " or ".join([", ".join(h.name for h in options[:-1]), options[-1].name])
        if matching:
            question = f"Which {phrase}: {names}?"
        else:  # nothing named like that: offer the nearest rather than guess
            question = f"I found no {phrase}. Did you mean {names}?"
        return Choice(None, options, question=question)
