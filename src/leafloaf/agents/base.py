"""The assistant's seams: intents and slots, the Supervisor that finds them, and SessionStore."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from leafloaf.health import BackendHealth

if TYPE_CHECKING:
    from leafloaf.agents.compiler import TurnResult
    from leafloaf.agents.search_agent import Choice
    from leafloaf.models import Cart, Fact, Reason
    from leafloaf.search.base import PersonalizedHit

__all__ = [
    "CartAgent",
    "Intent",
    "PendingAction",
    "ReplyCompiler",
    "Route",
    "SearchAgent",
    "SessionState",
    "SessionStore",
    "Slots",
    "Supervisor",
]


class Intent(StrEnum):
    """What a message asks for."""

    SEARCH = "search"
    ADD = "add"
    REMOVE = "remove"
    SET_QUANTITY = "set_quantity"
    SHOW_CART = "show_cart"
    USUAL = "usual"
    DUE = "due"
    PREFERENCE = "preference"
    CHECKOUT = "checkout"
    OTHER = "other"


class Slots(BaseModel):
    """What a clause names besides its intent.

    ``reference`` is ``"it"`` (the product in focus: "add that", "make it three"), or
    ``"ordinal"`` with ``ordinal`` the 1-based position in the last results ("the second
    one"; ``-1`` for "the last one"), or None.
    """

    model_config = ConfigDict(extra="forbid")

    products: list[str] = Field(default_factory=list)
    """Product phrases ("oat milk"); several when the clause lists them."""
    quantity: float | None = None
    unit: str | None = None
    brand: str | None = None
    max_price: float | None = None
    diet: list[str] = Field(default_factory=list)
    """Diet words of a preference ("vegetarian", "dairy")."""
    negated: bool = False
    """A preference withdrawn ("I eat meat again")."""
    reference: str | None = None
    ordinal: int | None = None


class Route(BaseModel):
    """One clause of a message: its intent, its slots, and how sure the supervisor is."""

    model_config = ConfigDict(extra="forbid")

    intent: Intent
    slots: Slots = Field(default_factory=Slots)
    confidence: float = 1.0
    text: str = ""
    source: str = "local"
    """``"local"`` (the shipped model) or ``"llm"``."""


class PendingAction(BaseModel):
    """An action waiting for the shopper's answer to a clarifying question."""

    model_config = ConfigDict(extra="forbid")

    intent: Intent
    quantity: float | None = None
    candidates: list[str] = Field(default_factory=list)


class SessionState(BaseModel):
    """Multi-turn context: what was shown, what is in focus, what awaits an answer.

    Plain JSON (``model_dump_json``), so any key-value store can hold it with a TTL.

    >>> s = SessionState(session_id="s1", user_id="ann", last_results=["24852"])
    >>> SessionState.model_validate_json(s.model_dump_json()) == s
    True
    """

    model_config = ConfigDict(extra="forbid")

    session_id: str
    user_id: str
    turns: int = 0
    last_results: list[str] = Field(default_factory=list)
    """Product ids shown last, best first ("the second one" indexes these)."""
    focus: str | None = None
    """The product "it" / "that" refers to (last added, changed or shown first)."""
    pending: PendingAction | None = None
    history: list[str] = Field(default_factory=list)
    """The last few messages and intents, newest last (``"add: add oat milk"``)."""
    updated_at: datetime = Field(default_factory=lambda: datetime.now(UTC))


class SessionStore(ABC):
    """Where sessions live between turns; every store passes tests/contract/test_session_store.

    >>> from leafloaf import InMemorySessionStore, SessionState
    >>> store = InMemorySessionStore()
    >>> store.save(SessionState(session_id="s1", user_id="ann"))
    >>> store.load("s1").user_id, store.forget_user("ann"), store.load("s1")
    ('ann', 1, None)
    """

    name: ClassVar[str]

    @abstractmethod
    def load(self, session_id: str) -> SessionState | None:
        """The session, or None when unknown or expired."""

    @abstractmethod
    def save(self, state: SessionState) -> None:
        """Store the session (replacing the previous state of the same id)."""

    @abstractmethod
    def delete(self, session_id: str) -> None:
        """Drop one session (unknown ids are ignored)."""

    @abstractmethod
    def forget_user(self, user_id: str) -> int:
        """Drop every session of a shopper; returns how many went."""

    @abstractmethod
    def health(self) -> BackendHealth:
        """What the store observes about itself."""


class Supervisor(ABC):
    """Splits a message into clauses and finds each one's intent and slots.

    >>> from leafloaf import LocalSupervisor                      # doctest: +SKIP
    >>> [r.intent for r in LocalSupervisor().route("add milk and show my cart")]  # doctest: +SKIP
    [<Intent.ADD: 'add'>, <Intent.SHOW_CART: 'show_cart'>]
    """

    @abstractmethod
    def route(self, message: str, state: SessionState | None = None) -> list[Route]:
        """The clauses of ``message`` in order, at least one (``other`` when nothing fits)."""

    @abstractmethod
    def health(self) -> BackendHealth:
        """Whether the supervisor can route (a model that failed to load says "down")."""


class SearchAgent(ABC):
    """Finds products for a phrase and settles which one a shopper means.

    The default is :class:`ProductSearchAgent`; every implementation passes
    tests/contract/test_search_agent. ``choose`` asks at most one question, and only when
    neither the shopper's history nor the name settles it.
    """

    @abstractmethod
    def find(
        self, user_id: str, query: str, k: int = 5, max_price: float | None = None
    ) -> list[PersonalizedHit]:
        """The shopper's best ``k`` catalog products for ``query``, each with its reasons."""

    @abstractmethod
    def choose(self, user_id: str, phrase: str | None, slots: Slots, state: SessionState) -> Choice:
        """One product for ``phrase`` (or for a reference to earlier results when it is
        None), or candidates with one ``question``; an empty ``Choice`` when nothing fits."""

    @abstractmethod
    def pick_shown(self, words: set[str], state: SessionState) -> str | None:
        """The first product of ``state.last_results`` named by ``words`` ("the organic
        one"), or None."""


class CartAgent(ABC):
    """Carries out the cart intents (add, remove, set_quantity, show_cart, usual, due,
    checkout, preference) for one clause.

    The default is :class:`OrderAgent`; every implementation passes
    tests/contract/test_cart_agent: each cart change it reports went through the
    :class:`OrderBackend` (so the cart it returns is the backend's cart).
    """

    intents: ClassVar[frozenset[Intent]] = frozenset(
        {Intent.ADD, Intent.REMOVE, Intent.SET_QUANTITY, Intent.SHOW_CART, Intent.USUAL,
         Intent.DUE, Intent.CHECKOUT, Intent.PREFERENCE}
    )  # fmt: skip
    """The intents :meth:`handle` accepts."""

    @abstractmethod
    def handle(self, route: Route, state: SessionState, user_id: str) -> TurnResult:
        """Carry out one clause, updating ``state`` (focus, last results, pending question)."""


class ReplyCompiler(ABC):
    """Says why a product suits a shopper and joins a turn's results into one answer.

    The default is :class:`ResponseCompiler`; every implementation passes
    tests/contract/test_reply_compiler: the text is never empty, mentions every cart
    change, and carries at most one question.
    """

    @abstractmethod
    def reasons(
        self,
        user_id: str,
        product_id: str,
        notes: Sequence[Reason | str] = (),
        query: str | None = None,
    ) -> list[Reason]:
        """Why ``product_id`` suits this shopper, most telling first (``notes``: the search
        result's own reasons, ``PersonalizedHit.reasons``; a host's component may hand
        plain strings)."""

    @abstractmethod
    def compile(self, results: Sequence[TurnResult], cart: Cart) -> tuple[str, str | None]:
        """The reply text and the clarifying question (at most one) for a turn."""

    def turn(self, user_id: str) -> AbstractContextManager[None]:
        """A scope around one clause (the default compiler recalls memory once inside it);
        by default nothing happens."""
        return nullcontext()

    def beliefs(self, user_id: str) -> list[Fact]:
        """The shopper's current remembered beliefs, which the compiler cites (default:
        none)."""
        return []
