"""Validated data models: the products, events and results that cross LeafLoaf's public API."""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Self, cast, overload

import pydantic
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

from leafloaf.errors import ValidationError

__all__ = [
    "REASON_TEXTS",
    "AttributeAffinity",
    "BudgetProfile",
    "Cart",
    "CartLine",
    "Complement",
    "DietaryAvoidance",
    "DietaryProfile",
    "Event",
    "EventType",
    "Explanation",
    "Fact",
    "HouseholdProfile",
    "Product",
    "QuantitySuggestion",
    "Ranking",
    "Reason",
    "RecordReport",
    "Rejection",
    "Relation",
    "ReorderItem",
    "ReorderPrediction",
    "ScoredProduct",
    "UserPreferences",
    "UsualItem",
    "UsualOrder",
]

SECONDS_PER_DAY = 86_400.0


def _raise_named(exc: pydantic.ValidationError) -> ValidationError:
    """Turn pydantic's error into ours, naming the first offending field and its value."""
    first = exc.errors()[0]
    field = ".".join(str(part) for part in first["loc"]) or "event"
    message = str(first["msg"]).removeprefix("Value error, ")
    return ValidationError(field, first.get("input"), message)


class ValidatedModel(BaseModel):
    """Base for input models: pydantic errors surface as :class:`ValidationError`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    def __init__(self, **data: Any) -> None:
        try:
            super().__init__(**data)
        except pydantic.ValidationError as exc:
            raise _raise_named(exc) from None

    @classmethod
    def model_validate_named(cls, data: Mapping[str, Any]) -> Self:
        """Validate a mapping of field values (any keys, ``"self"`` included).

        >>> Event.model_validate_named({"type": "search", "user_id": "u", "query": "milk",
        ...     "ts": "2026-01-05T09:00:00Z"}).query
        'milk'
        """
        if "self" in data:  # the one key that cannot travel as a keyword argument
            raise ValidationError("self", data["self"], f"not a field of {cls.__name__}")
        return cls(**data)


class Product(ValidatedModel):
    """One catalog item.

    >>> Product(product_id="24852", name="Banana", categories=("produce", "fresh fruits"))
    Product(product_id='24852', name='Banana', ...)
    """

    product_id: str = Field(min_length=1)
    name: str = Field(min_length=1)
    brand: str | None = None
    categories: tuple[str, ...] = ()
    """Category path from broad to narrow, e.g. ``("dairy eggs", "milk")``."""
    price: float | None = None
    size: float | None = None
    unit: str | None = None
    tags: tuple[str, ...] = ()
    """Free-form attributes from the catalog (``"organic"``, ``"gluten free"`` …)."""

    @field_validator("price", "size")
    @classmethod
    def _finite_positive(cls, value: float | None) -> float | None:
        if value is not None and (not math.isfinite(value) or value < 0):
            raise ValueError("must be a finite number >= 0")
        return value

    def __repr__(self) -> str:
        return f"Product(product_id={self.product_id!r}, name={self.name!r}, ...)"

    @property
    def department(self) -> str | None:
        """The broadest category, if any."""
        return self.categories[0] if self.categories else None

    @property
    def aisle(self) -> str | None:
        """The narrowest category, if any."""
        return self.categories[-1] if self.categories else None


class EventType(StrEnum):
    """What the shopper did."""

    SEARCH = "search"
    VIEW = "view"
    ADD_TO_CART = "add_to_cart"
    REMOVE_FROM_CART = "remove_from_cart"
    PURCHASE = "purchase"
    DISMISS = "dismiss"


_NEEDS_PRODUCT = frozenset(EventType) - {EventType.SEARCH}


class Event(ValidatedModel):
    """One thing a shopper did, at a timezone-aware time.

    ``event_id`` is generated when not given; recording an id twice is a no-op, which makes
    at-least-once delivery safe.

    >>> from datetime import datetime, UTC
    >>> e = Event.purchase("u1", "24852", quantity=2, ts=datetime(2026, 1, 5, tzinfo=UTC))
    >>> e.type, e.quantity
    (<EventType.PURCHASE: 'purchase'>, 2.0)
    """

    type: EventType
    user_id: str = Field(min_length=1)
    ts: datetime
    product_id: str | None = None
    quantity: float = 1.0
    unit_price: float | None = None
    query: str | None = None
    basket_id: str | None = None
    member_id: str | None = None
    household_id: str | None = None
    event_id: str = Field(default_factory=lambda: uuid.uuid4().hex, min_length=1)
    # True once every field has passed the checks below: set by validation, cleared by
    # ``model_copy(update=...)``; ``model_construct`` leaves it False. Ingest re-checks only
    # events without it, so a validated event is not checked twice.
    _checked: bool = PrivateAttr(default=False)

    @field_validator("user_id", "product_id", "basket_id", "member_id", "household_id")
    @classmethod
    def _not_blank(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError("must not be empty or blank")
        return value

    @field_validator(
        "user_id", "product_id", "basket_id", "member_id", "household_id", "query", "event_id"
    )
    @classmethod
    def _storable(cls, value: str | None) -> str | None:
        if value is not None and not value.isascii():
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                raise ValueError(
                    "contains a character no store can keep (a lone surrogate)"
                ) from None
        return value

    @field_validator("ts")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("must be timezone-aware, e.g. datetime(..., tzinfo=UTC)")
        try:
            value.astimezone(UTC)
        except OverflowError:
            raise ValueError("is outside the years 1-9999 in UTC") from None
        return value

    @field_validator("quantity")
    @classmethod
    def _positive_quantity(cls, value: float) -> float:
        if not math.isfinite(value) or value <= 0:
            raise ValueError("must be a finite number greater than 0")
        return value

    @field_validator("unit_price")
    @classmethod
    def _price(cls, value: float | None) -> float | None:
        if value is not None and (not math.isfinite(value) or value < 0):
            raise ValueError("must be a finite number >= 0")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.type in _NEEDS_PRODUCT and self.product_id is None:
            raise ValueError(f"product_id is required for a {self.type.value} event")
        if self.type is EventType.SEARCH and not (self.query and self.query.strip()):
            raise ValueError("query text is required for a search event")
        self._checked = True
        return self

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        """A copy; one with ``update`` skips validation, so it is re-checked when recorded."""
        copy = super().model_copy(update=update, deep=deep)
        if update:
            copy._checked = False
        return copy

    def __eq__(self, other: object) -> bool:
        # Field values only: whether an event was validated does not change what it says.
        if isinstance(other, Event):
            return type(self) is type(other) and self.__dict__ == other.__dict__
        return NotImplemented

    def __hash__(self) -> int:
        return hash((type(self), *self.__dict__.values()))

    @property
    def validated(self) -> bool:
        """Whether every field passed validation (False after ``model_construct`` or an update).

        >>> from datetime import datetime, UTC
        >>> e = Event.purchase("u1", "24852", ts=datetime(2026, 1, 5, tzinfo=UTC))
        >>> e.validated, e.model_copy(update={"quantity": 2.0}).validated
        (True, False)
        """
        return bool(self.__pydantic_private__["_checked"])  # type: ignore[index]

    @classmethod
    def trusted(cls, **fields: Any) -> Self:
        """An event from values that already passed validation (read back from a store).

        Nothing is checked: use it only for values LeafLoaf accepted before. Anything else
        goes through the constructor, or ``model_construct`` (checked again when recorded).
        """
        event = cls.model_construct(**fields)
        event.__pydantic_private__["_checked"] = True  # type: ignore[index]  # the fast path
        return cast(Self, event)

    @property
    def day(self) -> float:
        """Event time as days since the Unix epoch (the unit of all learned intervals)."""
        return self.ts.timestamp() / SECONDS_PER_DAY

    # Constructors for the common cases -------------------------------------------------
    @classmethod
    def purchase(
        cls,
        user_id: str,
        product_id: str,
        *,
        quantity: float = 1.0,
        unit_price: float | None = None,
        basket_id: str | None = None,
        ts: datetime | None = None,
        **extra: Any,
    ) -> Event:
        """A bought line: one product in one order/basket."""
        return cls(
            type=EventType.PURCHASE,
            user_id=user_id,
            product_id=product_id,
            quantity=quantity,
            unit_price=unit_price,
            basket_id=basket_id,
            ts=ts or datetime.now(UTC),
            **extra,
        )

    @classmethod
    def search(cls, user_id: str, query: str, *, ts: datetime | None = None, **extra: Any) -> Event:
        """A search the shopper typed."""
        return cls(
            type=EventType.SEARCH, user_id=user_id, query=query, ts=ts or datetime.now(UTC), **extra
        )

    @classmethod
    def view(
        cls, user_id: str, product_id: str, *, ts: datetime | None = None, **extra: Any
    ) -> Event:
        """The shopper opened a product page."""
        return cls._on_product(EventType.VIEW, user_id, product_id, ts, extra)

    @classmethod
    def add_to_cart(
        cls, user_id: str, product_id: str, *, ts: datetime | None = None, **extra: Any
    ) -> Event:
        """The shopper put a product in the cart."""
        return cls._on_product(EventType.ADD_TO_CART, user_id, product_id, ts, extra)

    @classmethod
    def remove_from_cart(
        cls, user_id: str, product_id: str, *, ts: datetime | None = None, **extra: Any
    ) -> Event:
        """The shopper took a product out of the cart."""
        return cls._on_product(EventType.REMOVE_FROM_CART, user_id, product_id, ts, extra)

    @classmethod
    def dismiss(
        cls, user_id: str, product_id: str, *, ts: datetime | None = None, **extra: Any
    ) -> Event:
        """The shopper dismissed a suggestion."""
        return cls._on_product(EventType.DISMISS, user_id, product_id, ts, extra)

    @classmethod
    def _on_product(
        cls,
        kind: EventType,
        user_id: str,
        product_id: str,
        ts: datetime | None,
        extra: dict[str, Any],
    ) -> Event:
        return cls(
            type=kind, user_id=user_id, product_id=product_id, ts=ts or datetime.now(UTC), **extra
        )


# --- memory --------------------------------------------------------------------------------


class Relation(StrEnum):
    """What a remembered belief says about a shopper and its subject."""

    BUYS_REGULARLY = "buys_regularly"
    AVOIDS = "avoids"
    PREFERS_BRAND = "prefers_brand"
    TYPICAL_QUANTITY = "typical_quantity"
    PRICE_SENSITIVITY = "price_sensitivity"
    MEMBER_OF_HOUSEHOLD = "member_of_household"
    SAID = "said"


_RELATION_WORDS = {
    Relation.BUYS_REGULARLY: "buys regularly",
    Relation.AVOIDS: "avoids",
    Relation.PREFERS_BRAND: "prefers the brand",
    Relation.TYPICAL_QUANTITY: "usually takes",
    Relation.PRICE_SENSITIVITY: "shops on price as",
    Relation.MEMBER_OF_HOUSEHOLD: "is a member of household",
    Relation.SAID: "said",
}

_CITES = {
    Relation.BUYS_REGULARLY: "you have bought {object} regularly since {date}",
    Relation.AVOIDS: "you have avoided {object} since {date}",
    Relation.TYPICAL_QUANTITY: "you have usually taken {object} since {date}",
    Relation.PREFERS_BRAND: "you have preferred {object} since {date}",
    Relation.PRICE_SENSITIVITY: "you have shopped as {object} since {date}",
    Relation.MEMBER_OF_HOUSEHOLD: "this has been {object} since {date}",
    Relation.SAID: "you said {object!r} on {date}",
}

SUBJECT_KINDS = ("product", "category", "brand", "diet", "household", "price", "statement")
"""Prefixes a fact's ``subject`` starts with (``"product:24852"``): the graph node's type."""


class Fact(ValidatedModel):
    """One belief about a shopper, with bi-temporal validity.

    ``subject`` names what the belief is about, typed by its prefix (``product:24852``,
    ``diet:dairy``, ``brand:Oatly``, ``household:h1``, ``price:overall``,
    ``statement:<id>``); ``object`` is its value in words (a product name, ``"2"``,
    ``"budget"``). Valid time: the belief held from ``valid_at`` until ``invalid_at``
    (``None``: still holds). Record time: a backend sets ``recorded_at`` when it stores the
    belief and ``expired_at`` when it stores its invalidation; beliefs are never deleted.
    A fact's identity is ``(user_id, subject, relation, valid_at)``: remembering it again
    (with ``invalid_at`` set, say) updates that belief.

    >>> from datetime import datetime, UTC
    >>> f = Fact(user_id="ann", subject="product:1", relation="buys_regularly",
    ...          object="Oat milk", valid_at=datetime(2017, 3, 2, tzinfo=UTC))
    >>> f.text
    'buys regularly Oat milk'
    >>> f.holds_at(datetime(2018, 1, 1, tzinfo=UTC))
    True
    """

    user_id: str = Field(min_length=1)
    subject: str = Field(min_length=3)
    relation: Relation
    object: str
    valid_at: datetime
    invalid_at: datetime | None = None
    source: str = "engine"
    confidence: float = Field(default=1.0, ge=0.0, le=1.0)
    recorded_at: datetime | None = None
    expired_at: datetime | None = None

    @field_validator("subject")
    @classmethod
    def _typed_subject(cls, value: str) -> str:
        kind, sep, rest = value.partition(":")
        if not sep or not rest or kind not in SUBJECT_KINDS:
            raise ValueError(f"must start with one of {list(SUBJECT_KINDS)} and ':'")
        return value

    @field_validator("valid_at", "invalid_at", "recorded_at", "expired_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and (value.tzinfo is None or value.utcoffset() is None):
            raise ValueError("must be timezone-aware")
        return value

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.invalid_at is not None and self.invalid_at < self.valid_at:
            raise ValueError("invalid_at must not be before valid_at")
        return self

    @property
    def kind(self) -> str:
        """The subject's node type (``"product"``, ``"diet"``...)."""
        return self.subject.partition(":")[0]

    @property
    def key(self) -> tuple[str, str, str, float]:
        """The belief's identity: user, subject, relation and when it became valid."""
        return (self.user_id, self.subject, self.relation.value, self.valid_at.timestamp())

    @property
    def text(self) -> str:
        """The belief in words, without the shopper (``"buys regularly Oat milk"``)."""
        return f"{_RELATION_WORDS[self.relation]} {self.object}"

    def holds_at(self, when: datetime) -> bool:
        """True when the belief was valid at ``when`` (``valid_at <= when < invalid_at``)."""
        return self.valid_at <= when and (self.invalid_at is None or when < self.invalid_at)

    @property
    def citation(self) -> str:
        """The belief said to the shopper, with the date it began (``explain`` and the
        assistant cite it): ``"you have bought Oat milk regularly since 2017-03-02"``."""
        return _CITES[self.relation].format(object=self.object, date=self.valid_at.date())


# --- results -------------------------------------------------------------------------------


class _Result(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Rejection(_Result):
    """One input row ``record_many`` did not accept, and why."""

    index: int
    field: str
    value: str
    message: str


class RecordReport(_Result):
    """What ``record_many`` did with a batch: accepted rows are kept even when others fail."""

    accepted: int = 0
    """Rows that passed validation and are kept (learned now, or buffered for replay)."""
    duplicates: int = 0
    """Accepted rows whose ``event_id`` was already recorded (no-ops)."""
    buffered: int = 0
    """Accepted rows held in memory because the store failed; replayed by ``flush()``."""
    rejected: list[Rejection] = Field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when no row was rejected."""
        return not self.rejected


class UsualItem(_Result):
    """One line of a shopper's usual order."""

    product_id: str
    name: str
    score: float
    """Recency-weighted share of the shopper's orders that contain the item (0..1)."""
    quantity: float
    reasons: list[str]


class UsualOrder(_Result):
    """A shopper's "my usual" basket."""

    user_id: str
    items: list[UsualItem]
    orders_seen: int
    reasons: list[str]


class ReorderItem(_Result):
    """One product and the probability it belongs in the shopper's order at time ``at``."""

    product_id: str
    name: str
    probability: float
    days_since_last: float
    typical_interval_days: float
    due: bool
    reasons: list[str]


class ReorderPrediction(_Result):
    """Restock predictions at one moment; ``items`` sorted by probability."""

    user_id: str
    at: datetime
    items: list[ReorderItem]
    reasons: list[str]

    @property
    def due(self) -> list[ReorderItem]:
        """The items whose probability is at least one half."""
        return [item for item in self.items if item.due]


class DietaryAvoidance(_Result):
    """An attribute (department, aisle, tag) the shopper avoids, with its evidence."""

    attribute: str
    probability: float
    source: str
    """``"declared"`` (the shopper said so) or ``"inferred"`` (learned from purchases)."""
    expected_purchases: float
    reasons: list[str]


class DietaryProfile(_Result):
    """Attributes a shopper avoids; ``avoided`` holds the confident ones, strongest first."""

    user_id: str
    lines_seen: int
    avoided: list[DietaryAvoidance]
    reasons: list[str]

    def avoids(self, attribute: str) -> bool:
        """True when ``attribute`` is among the avoided ones."""
        return any(a.attribute == attribute for a in self.avoided)


class Complement(_Result):
    """A product that goes with the basket."""

    product_id: str
    name: str
    score: float
    reasons: list[str]


class QuantitySuggestion(_Result):
    """How many of a product to put in the cart."""

    user_id: str
    product_id: str
    quantity: float
    confidence: float
    source: str
    """``"personal"``, ``"product"`` (population for this product) or ``"default"``."""
    reasons: list[str]


class BudgetProfile(_Result):
    """Where a shopper's prices sit within each category, relative to other shoppers."""

    user_id: str
    lines_priced: int
    price_position: float | None
    """Mean z-score of log unit price within its category (negative = cheaper than usual)."""
    standard_error: float | None
    percentile: float | None
    """Share of shoppers whose price position is below this shopper's (0..1)."""
    sensitivity: str
    """``"price-sensitive"``, ``"mainstream"``, ``"premium"`` or ``"unknown"``."""
    reasons: list[str]


class HouseholdProfile(_Result):
    """Whether an account looks shared by several people."""

    user_id: str
    shared_probability: float
    members_declared: int
    features: dict[str, float]
    reasons: list[str]

    @property
    def shared(self) -> bool:
        """True when the probability is at least one half."""
        return self.shared_probability >= 0.5


class ScoredProduct(_Result):
    """A candidate after personal re-ranking."""

    product_id: str
    name: str
    score: float
    base_rank: int
    reasons: list[str]


class Ranking(Sequence[ScoredProduct]):
    """Re-ranked candidates, best first: a read-only sequence of :class:`ScoredProduct`.

    Scores are computed for every candidate up front; the result objects (with their
    reasons) are built when first accessed, so showing the top 20 of 200 builds 20.

    >>> ranking = engine.rerank("ann", ["p1", "p2"])      # doctest: +SKIP
    >>> ranking.product_ids, ranking[0].reasons           # doctest: +SKIP
    """

    __slots__ = ("_build", "_built", "_entries")

    def __init__(
        self,
        entries: list[tuple[float, int, str]],
        build: Callable[[float, int, str], ScoredProduct],
    ) -> None:
        self._entries = entries
        self._build = build
        self._built: dict[int, ScoredProduct] = {}

    def __len__(self) -> int:
        return len(self._entries)

    @overload
    def __getitem__(self, index: int) -> ScoredProduct: ...
    @overload
    def __getitem__(self, index: slice) -> list[ScoredProduct]: ...
    def __getitem__(self, index: int | slice) -> ScoredProduct | list[ScoredProduct]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self._entries)))]
        if index < 0:
            index += len(self._entries)
        item = self._built.get(index)
        if item is None:
            score, rank, pid = self._entries[index]
            item = self._built[index] = self._build(score, rank, pid)
        return item

    @property
    def product_ids(self) -> list[str]:
        """Candidate ids in the new order."""
        return [pid for _, _, pid in self._entries]

    @property
    def scores(self) -> list[float]:
        """Scores in the new order."""
        return [score for score, _, _ in self._entries]

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence):
            return list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Ranking({self.product_ids[:5]}{'...' if len(self) > 5 else ''})"


class Explanation(_Result):
    """Why a product scores as it does for a shopper: the statistics behind each term."""

    user_id: str
    product_id: str
    name: str
    statistics: dict[str, float]
    contributions: dict[str, float]
    reasons: list[str]
    facts: list[Fact] = Field(default_factory=list)
    """Remembered beliefs the reasons cite, with their dates."""


class AttributeAffinity(_Result):
    """How much more (or less) a shopper buys from an attribute than shoppers do in general."""

    attribute: str
    share: float
    lift: float


class UserPreferences(_Result):
    """The typed, versioned preference schema of one shopper; JSON round-trips exactly.

    >>> prefs = engine.preferences("u1")                     # doctest: +SKIP
    >>> UserPreferences.model_validate_json(prefs.model_dump_json()) == prefs  # doctest: +SKIP
    True
    """

    schema_version: int = 1
    user_id: str
    orders: int
    lines: int
    days_between_orders: float | None
    favourite_products: list[str]
    affinities: list[AttributeAffinity]
    avoided: list[str]
    declared_avoided: list[str]
    budget: str
    price_position: float | None
    household_shared_probability: float
    usual_quantities: dict[str, float]
    updated_at: datetime | None
    reasons: list[str]


# --- structured reasons and the cart ----------------------------------------------------------

REASON_TEXTS: dict[str, str] = {
    "bought_before": "you bought it {times} times",
    "bought_once": "you bought it once",
    "usual": "in {share:.0%} of your recent orders",
    "interval": "you buy this about every {days:.0f} days",
    "due": "{probability:.0%} chance you need it now (last bought {days_since:.0f} days ago)",
    "popular": "bought {times:.0f} times by all shoppers",
    "matches": "matches {query!r}",
    "avoided_declared": "skipped: you told us you avoid {attribute}",
    "avoided_declared_since": "skipped: you told us on {since} that you avoid {attribute}",
    "avoided_inferred": "shown lower: you seem to avoid {attribute}",
    "quantity_memory": "you usually take {quantity:g}",
    "cart_added": "you put it in your cart {times:.0f} times",
    "cart_removed": "you took it out of your cart {times:.0f} times",
    "remembered": "{citation}",
    "engine": "{note}",
}
"""English templates of each :class:`Reason` code; a host may render its own from ``params``."""


class Reason(_Result):
    """Why something was suggested or skipped: a code, its numbers, and the text made of them.

    Hosts can render, translate or filter reasons by ``code``; ``text`` is the English
    rendering of :data:`REASON_TEXTS`.

    >>> Reason.of("interval", days=9.2).text
    'you buy this about every 9 days'
    >>> Reason.of("avoided_declared", attribute="dairy eggs").code
    'avoided_declared'
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    code: str
    params: dict[str, str | float | int]
    text: str

    @classmethod
    def of(cls, code: str, **params: str | float | int) -> Reason:
        """The reason ``code`` with ``params``, its text rendered from the template."""
        template = REASON_TEXTS.get(code)
        if template is None:
            raise ValidationError("code", code, f"is not one of {sorted(REASON_TEXTS)}")
        try:
            text = template.format(**params)
        except (KeyError, ValueError) as exc:
            raise ValidationError("params", params, f"do not fit reason {code!r}: {exc}") from None
        return cls(code=code, params=dict(params), text=text)


class CartLine(_Result):
    """One product in a cart."""

    product_id: str
    name: str
    quantity: float
    unit_price: float | None = None


class Cart(_Result):
    """A shopper's cart: its lines in the order they were first added.

    >>> cart = Cart(user_id="ann", lines=[CartLine(product_id="1", name="Milk", quantity=2,
    ...     unit_price=1.5)])
    >>> cart.quantity("1"), cart.total, cart.items
    (2.0, 3.0, 2.0)
    """

    user_id: str
    lines: list[CartLine] = Field(default_factory=list)

    def quantity(self, product_id: str) -> float:
        """How many of ``product_id`` the cart holds (0 when none)."""
        return next((ln.quantity for ln in self.lines if ln.product_id == product_id), 0.0)

    @property
    def items(self) -> float:
        """Total quantity over all lines."""
        return sum(ln.quantity for ln in self.lines)

    @property
    def total(self) -> float | None:
        """Price of the cart, or None when a line has no price."""
        if any(ln.unit_price is None for ln in self.lines):
            return None
        return round(sum(ln.quantity * (ln.unit_price or 0.0) for ln in self.lines), 2)

    def summary(self) -> dict[str, float]:
        """``{product_id: quantity}`` — handy for comparing carts in tests and logs."""
        return {ln.product_id: ln.quantity for ln in self.lines}
