"""Validated data models: the products, events and results that cross LeafLoaf's public API."""

from __future__ import annotations

import math
import string
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
    "NextBasketSettings",
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
    "render_reason",
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

    @property
    def reason(self) -> Reason:
        """The citation as a :class:`Reason` (code ``"remembered"``), with the relation, the
        subject and the day the belief began as its params."""
        return Reason.of(
            "remembered",
            citation=self.citation,
            relation=self.relation.value,
            subject=self.subject,
            since=self.valid_at.date().isoformat(),
        )


# --- results -------------------------------------------------------------------------------


class _Result(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- structured reasons ----------------------------------------------------------------------

REASON_TEXTS: dict[str, str] = {
    # what the shopper did with the product
    "bought_before": "you bought it {times} times",
    "bought_once": "you bought it once",
    "interval": "you buy this about every {days:.0f} days",
    "cart_removed": "you took it out of your cart {times:.0f} times",
    "quantity_memory": "you usually take {quantity:g}",
    "remembered": "{citation}",
    # search: the query words the product holds, and what the search left out
    "matches": "matches {query!r}",
    "matches_partly": "matches {query!r} but not {missing!r}",
    "similar": "similar to {query!r}",
    "popular": "bought {times:.0f} times by all shoppers",
    "hiding": "hiding what you avoid: {attribute}",
    "avoided_declared": "skipped: you told us you avoid {attribute}",
    "avoided_declared_since": "skipped: you told us on {since} that you avoid {attribute}",
    "avoided_inferred": "shown lower: you seem to avoid {attribute} (P = {probability:.2f})",
    # re-ranking terms (rerank, explain)
    "category_affinity": "you often buy {category}",
    "price_fits": "priced like what you usually pick",
    "price_differs": "priced unlike what you usually pick",
    "diet_conflict": "conflicts with what you avoid",
    "dismissed": "you dismissed it before",
    "cart_added_before": "you put it in your cart before",
    "cart_removed_before": "you took it out of your cart before",
    "original_position": "original position",
    "original_position_for": "original position for {query!r}",
    # usual order and next basket
    "usual": "in {share:.0%} of your recent orders",
    "usual_weighted": "in {share:.0%} of your recent orders (recency-weighted)",
    "due_by_then": "{probability:.0%} chance it is due by then",
    "similar_shoppers": "in {share:.0%} of similar shoppers' usual orders",
    "no_purchases": "no purchases recorded yet",
    "in_orders": "in {lines:.0f} of your {orders} orders",
    "in_latest_order": "in your latest order",
    "last_bought_before_latest": "last bought {days} {days:|day|days} before your latest order",
    "usual_quantity": "usually {quantity:g} at a time",
    "settings_learned": "learned on {cases} shoppers' held-out latest baskets: Recall@10 "
    "{recall:.3f}, vs {neutral:.3f} for plain personal frequency",
    "settings_neutral": "{cases} held-out latest baskets did not separate settings, so plain "
    "personal frequency stays",
    "settings_configured": "{knobs} set by the host",
    "usual_ranking": "ranked by share of your {orders} orders, recent orders weighted more "
    "(half-life {half_life:g} days)",
    "left_out_declared": "left out {count} {count:|product|products}: "
    "you told us you avoid {attribute}",
    "left_out_inferred": "left out {count} {count:|product|products}: you never buy {attribute}",
    # restock
    "due": "{probability:.0%} chance you need it now (last bought {days_since:.0f} days ago)",
    "bought_once_so_far": "bought once so far",
    "bought_every": "bought {times:.0f} times, about every {days:.0f} days",
    "last_bought": "last bought {days} {days:|day|days} ago",
    "needed_now": "{probability:.0%} chance it is needed in an order now",
    "due_count": "{count} {count:|product is|products are} due (probability at least "
    "{threshold:.0%})",
    "interval_spread": "interval spread learned from all shoppers (gamma shape {shape:.2f})",
    # dietary
    "declared_avoid": "you told us you avoid {attribute}",
    "never_bought_attribute": "none of your {orders:.0f} orders had {attribute}",
    "population_buys": "{share:.0%} of shoppers buy it; a typical one would have had it in "
    "about {expected:.0f} orders by now",
    "taste_gap": "you buy {family} but never {attribute}: a taste, not a diet",
    "family_buys": "{share:.0%} of shoppers who buy {family} buy it; a typical one would "
    "have had it in about {expected:.0f} orders by now",
    "dietary_compared": "compared with {shoppers} shoppers; reported at probability "
    ">= {probability:.0%}",
    "dietary_few_shoppers": "only {shoppers} shoppers to compare with: nothing inferred yet",
    # complements
    "bought_together": "{together:.0f} of the {anchor_count:.0f} shoppers who buy {anchor} "
    "bought it in the same order ({share:.0%}, vs {base_rate:.1%} of all shoppers buying it "
    "at all)",
    "own_share": "you buy it in {share:.0%} of your orders",
    "history_weight": "your {orders} orders weigh {weight:.0%} against what other shoppers "
    "buy together (half weight at {kappa:.3g} orders, learned from all shoppers' baskets)",
    # quantity
    "quantity_default": "nobody has bought it yet, so {quantity:g}, the most common quantity",
    "quantity_near_own": "close to what you take ({low:g} to {high:g})",
    "quantity_similar": "shoppers most often take {quantity:g} of products like it ({share:.0%} "
    "of {lines:.0f} purchases)",
    "quantity_personal": "you took {quantity:g} in {same:.0f} of your {lines:.0f} purchases of it",
    "quantity_shoppers_over_own": "you took {own:g} once or twice, but shoppers most often "
    "take {quantity:g} ({share:.0%} of {lines:.0f} purchases)",
    "quantity_shoppers": "shoppers most often take {quantity:g} ({share:.0%} of {lines:.0f} "
    "purchases)",
    # budget
    "price_typical": "buys at about the typical price per unit that shoppers pay in the "
    "categories bought ({lines} priced lines)",
    "price_below": "buys {deviations:.1f} spreads below the typical price per unit that shoppers "
    "pay in the categories bought ({lines} priced lines)",
    "price_above": "buys {deviations:.1f} spreads above the typical price per unit that shoppers "
    "pay in the categories bought ({lines} priced lines)",
    "price_cheaper_share": "what you pick is cheaper per unit than another shopper's purchase "
    "of the same kind {probability:.0%} of the time (shoppers overall: {typical:.0%}; {lines} "
    "priced lines)",
    "price_percentile": "pays more than {percentile:.0%} of shoppers for the same categories",
    "no_prices": "no prices recorded with purchases yet",
    "prices_incomparable": "{priced} priced purchases, but their categories have too few "
    "priced products to compare",
    # household
    "household_members": "{members} different members placed orders on this account",
    "household_few_orders": "not enough evidence yet: fewer than two orders so far",
    "household_few_shoppers": "not enough evidence yet: only {shoppers} shoppers to compare with",
    "parallel_repertoire": "buys several versions of the same kind of product in {share:.0%} "
    "of repeat categories (more than {percentile:.0%} of shoppers)",
    "repertoire_breadth": "{share:.0%} of purchases are different products (more than "
    "{percentile:.0%} of shoppers)",
    "household_baseline": "compared with accounts made by merging two real shoppers' "
    "histories, which {merged:.0%} of accounts resemble; {prior:.0%} of accounts are assumed "
    "shared",
    # preferences
    "learned_from": "learned from {orders} orders and {lines:.0f} purchased lines",
    # words a host's own component handed over as plain text
    "engine": "{note}",
}
"""English templates of each :class:`Reason` code; a host may render its own from ``params``.

Templates are :meth:`str.format` strings, plus one spec for plurals: ``{n:|one|other}``
renders ``one`` when ``n`` is 1 and ``other`` otherwise (``"{n} {n:|day|days}"``)."""


class _ReasonFormatter(string.Formatter):
    """``str.format`` plus the ``{n:|one|other}`` plural spec."""

    def format_field(self, value: Any, format_spec: str) -> str:
        if format_spec.startswith("|"):
            one, _, other = format_spec[1:].partition("|")
            return one if value == 1 else other
        return str(super().format_field(value, format_spec))


_FORMATTER = _ReasonFormatter()


def render_reason(template: str, params: Mapping[str, str | float | int]) -> str:
    """``template`` filled with ``params``, as :data:`REASON_TEXTS` templates are.

    >>> render_reason("vous l'achetez tous les {days:.0f} {days:|jour|jours}", {"days": 9.2})
    "vous l'achetez tous les 9 jours"
    """
    if not params and "{" not in template:
        return template
    if ":|" not in template:  # the common case, at str.format's speed
        return template.format(**params)
    return _FORMATTER.vformat(template, (), params)


ReasonParam = str | float | int
"""A reason parameter: a name, a count or a statistic (finite, so JSON stays strict)."""


class Reason(_Result):
    """Why something was suggested or skipped: a code, its numbers, and the text made of them.

    Hosts can render, translate or filter reasons by ``code``; ``text`` is the English
    rendering of :data:`REASON_TEXTS`, and ``str(reason)`` is that text. A reason is not
    equal to its text: compare ``reason.text`` (or ``code`` and ``params``).

    >>> Reason.of("interval", days=9.2).text
    'you buy this about every 9 days'
    >>> Reason.of("avoided_declared", attribute="dairy eggs").code
    'avoided_declared'
    >>> print(Reason.of("bought_before", times=3))
    you bought it 3 times
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    code: str
    params: dict[str, ReasonParam]
    text: str

    @classmethod
    def of(cls, code: str, **params: ReasonParam) -> Reason:
        """The reason ``code`` with ``params``, its text rendered from the template."""
        template = REASON_TEXTS.get(code)
        if template is None:
            raise ValidationError("code", code, f"is not one of {sorted(REASON_TEXTS)}")
        for name, value in params.items():
            if isinstance(value, float) and not math.isfinite(value):
                raise ValidationError(f"params.{name}", value, "must be a finite number")
        try:
            text = render_reason(template, params)
        except (KeyError, ValueError, IndexError) as exc:
            raise ValidationError("params", params, f"do not fit reason {code!r}: {exc}") from None
        # every field is checked above, so build the instance as model_construct would,
        # without its per-field bookkeeping: re-ranking 200 candidates builds 200 reasons,
        # and model_construct alone was half of that build's added time
        reason = cls.__new__(cls)
        _set = object.__setattr__
        _set(reason, "__dict__", {"code": code, "params": dict(params), "text": text})
        _set(reason, "__pydantic_fields_set__", {"code", "params", "text"})
        _set(reason, "__pydantic_extra__", None)
        _set(reason, "__pydantic_private__", None)
        return reason

    def render(self, templates: Mapping[str, str]) -> str:
        """The reason in a host's own words: ``templates[code]`` filled with ``params``
        (the English ``text`` when ``templates`` has no entry for the code).

        >>> Reason.of("interval", days=9.2).render({"interval": "alle {days:.0f} Tage"})
        'alle 9 Tage'
        """
        template = templates.get(self.code)
        return self.text if template is None else render_reason(template, self.params)

    def __str__(self) -> str:
        return self.text


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
    reasons: list[Reason]


class UsualOrder(_Result):
    """A shopper's "my usual" basket."""

    user_id: str
    items: list[UsualItem]
    orders_seen: int
    reasons: list[Reason]


class NextBasketSettings(_Result):
    """The next-basket knobs the engine serves with, and where each came from.

    ``source`` maps each knob to ``"learned"`` (fitted by the population refit on held-out
    latest baskets), ``"neutral"`` (the refit's evidence did not separate settings, so plain
    personal frequency stays) or ``"config"`` (the host set it in ``EngineConfig``).
    """

    half_life_days: float
    timing_weight: float
    personal_weight: float
    neighbours: int
    source: dict[str, str]
    cases: int
    """Held-out latest baskets the refit scored settings on."""
    heldout_recall: float
    """Mean held-out Recall@10 of the learned setting."""
    neutral_recall: float
    """Mean held-out Recall@10 of the neutral setting (personal frequency)."""
    reasons: list[Reason]


class ReorderItem(_Result):
    """One product and the probability it belongs in the shopper's order at time ``at``."""

    product_id: str
    name: str
    probability: float
    days_since_last: float
    typical_interval_days: float
    due: bool
    reasons: list[Reason]


class ReorderPrediction(_Result):
    """Restock predictions at one moment; ``items`` sorted by probability."""

    user_id: str
    at: datetime
    items: list[ReorderItem]
    reasons: list[Reason]

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
    """Orders a typical buyer with this shopper's number of orders would have had it in."""
    reasons: list[Reason]
    kind: str = "diet"
    """``"diet"``: a whole family never bought (or declared), which proposals leave out;
    ``"taste"``: one member missing while its family is bought, only reported."""
    family: str | None = None
    """For a taste gap, the family (department) the shopper does buy."""


class DietaryProfile(_Result):
    """Attributes a shopper avoids; ``avoided`` holds the confident ones, strongest first."""

    user_id: str
    lines_seen: int
    avoided: list[DietaryAvoidance]
    """Declared avoidances and inferred diets: what proposals leave out."""
    reasons: list[Reason]
    orders_seen: int = 0
    taste_gaps: list[DietaryAvoidance] = []
    """Inferred taste gaps (``kind="taste"``), strongest first: reported, never filtered."""

    def avoids(self, attribute: str) -> bool:
        """True when ``attribute`` is among the avoided ones."""
        return any(a.attribute == attribute for a in self.avoided)


class Complement(_Result):
    """A product that goes with the basket."""

    product_id: str
    name: str
    score: float
    reasons: list[Reason]


class QuantitySuggestion(_Result):
    """How many of a product to put in the cart."""

    user_id: str
    product_id: str
    quantity: float
    """The posterior mode: the quantity most often exactly right."""
    confidence: float
    source: str
    """``"personal"``, ``"product"`` (population for this product), ``"category"`` (the
    product's category) or ``"default"`` (the most common quantity of all lines)."""
    median: float | None = None
    """The posterior median: the quantity with the smallest expected absolute error."""
    reasons: list[Reason]


class BudgetProfile(_Result):
    """Where a shopper's prices sit within each category, relative to other shoppers."""

    user_id: str
    lines_priced: int
    """Purchased lines of products whose unit price has a place in its comparable group."""
    price_position: float | None
    """Mean position of log price per unit of size within comparable groups, relative to the
    population's typical purchase there and shrunk toward 0 by the learned prior (negative =
    buys cheaper than most, in spreads of what shoppers pay)."""
    standard_error: float | None
    percentile: float | None
    """Share of shoppers whose price position is below this shopper's (0..1)."""
    cheaper_probability: float | None = None
    """Probability that the next comparable purchase is cheaper per unit than a random other
    shopper's purchase of its group (checked on held-out baskets: ``leafloaf evaluate
    budget``)."""
    typical_cheaper_rate: float | None = None
    """The same rate over all shoppers, what ``cheaper_probability`` is compared with."""
    sensitivity: str
    """``"price-sensitive"`` / ``"premium"`` when the shopper's rate is credibly above /
    below ``typical_cheaper_rate`` (at the ``credibility`` asked for), ``"mainstream"``
    otherwise, ``"unknown"`` without comparable priced purchases."""
    reasons: list[Reason]


class HouseholdProfile(_Result):
    """Whether an account looks shared by several people."""

    user_id: str
    shared_probability: float
    """P(more than one person shares the account), averaging ``prior`` over the accounts."""
    members_declared: int
    features: dict[str, float]
    reasons: list[Reason]
    prior: float = 0.71
    """The share of shared accounts assumed before behaviour (``EngineConfig.household_prior``)."""
    threshold: float = 0.5
    """The probability at which ``shared`` is True (``EngineConfig.household_threshold``)."""

    @property
    def shared(self) -> bool:
        """True when the probability reaches the host's threshold (default one half)."""
        return self.shared_probability >= self.threshold


class ScoredProduct(_Result):
    """A candidate after personal re-ranking."""

    product_id: str
    name: str
    score: float
    base_rank: int
    reasons: list[Reason]


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
    reasons: list[Reason]
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
    reasons: list[Reason]


# --- the cart ------------------------------------------------------------------------------


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
