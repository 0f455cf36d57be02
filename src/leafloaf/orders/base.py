"""The OrderBackend seam: the host's cart and order system, every change told to the engine."""

from __future__ import annotations

import threading
import uuid
from abc import ABC, abstractmethod
from datetime import datetime
from typing import TYPE_CHECKING, ClassVar, Literal

from pydantic import BaseModel, ConfigDict

from leafloaf.errors import UnknownProductError, ValidationError
from leafloaf.health import BackendHealth
from leafloaf.models import Cart, CartLine, Event, EventType

if TYPE_CHECKING:
    from leafloaf.catalog import Catalog
    from leafloaf.engine import GraphitiPersonalizationEngine

__all__ = ["CartChange", "Order", "OrderBackend", "next_quantity"]

Op = Literal["add", "set"]


class CartChange(BaseModel):
    """One change to one cart line: the quantity before and after, under an idempotent id."""

    model_config = ConfigDict(frozen=True)

    change_id: str
    user_id: str
    product_id: str
    before: float
    after: float

    @property
    def delta(self) -> float:
        """How much the line grew (negative when it shrank)."""
        return self.after - self.before


class Order(BaseModel):
    """A placed order: the cart's lines at checkout."""

    model_config = ConfigDict(frozen=True)

    order_id: str
    user_id: str
    lines: list[CartLine]
    placed_at: datetime


class OrderBackend(ABC):
    """The host's cart and orders. A host implements four storage methods; the public ones
    (``add``, ``remove``, ``set_quantity``, ``checkout``) validate, and record every change
    to the engine as an event whose id derives from the change id, so a retried call (same
    ``change_id`` / ``order_id``) changes nothing twice — in the cart or in the engine.

    >>> from leafloaf import Catalog, InMemoryOrders, Product
    >>> orders = InMemoryOrders(Catalog([Product(product_id="1", name="Milk")]))
    >>> orders.add("ann", "1", 2).after, orders.cart("ann").summary()
    (2.0, {'1': 2.0})
    """

    name: ClassVar[str]

    def __init__(
        self, catalog: Catalog | None = None, engine: GraphitiPersonalizationEngine | None = None
    ) -> None:
        self.engine = engine
        self.catalog = catalog if catalog is not None else (engine.catalog if engine else None)
        self._lock = threading.RLock()

    def bind(self, engine: GraphitiPersonalizationEngine) -> None:
        """Record changes to ``engine`` from now on (the assistant binds its engine)."""
        self.engine = engine
        if self.catalog is None:
            self.catalog = engine.catalog

    # --- what a backend implements ---------------------------------------------------------
    @abstractmethod
    def cart(self, user_id: str) -> Cart:
        """The shopper's current cart (empty when they have none)."""

    @abstractmethod
    def _apply(
        self, user_id: str, line: CartLine, op: Op, quantity: float, change_id: str
    ) -> CartChange:
        """Add ``quantity`` to the line (``op="add"``) or set it (``"set"``); a result of 0
        or less removes the line. A ``change_id`` seen before returns the recorded change and
        changes nothing. Atomic per call."""

    @abstractmethod
    def _place_order(self, user_id: str, order_id: str) -> Order | None:
        """Turn the cart into an order and empty it, atomically; an ``order_id`` seen before
        returns that order. None when the cart is empty."""

    @abstractmethod
    def forget_user(self, user_id: str) -> int:
        """Erase the shopper's cart and orders; returns how many rows went."""

    @abstractmethod
    def health(self) -> BackendHealth:
        """What the backend observes about itself (a probe that can fail)."""

    # --- the public, recorded surface --------------------------------------------------------
    def add(
        self, user_id: str, product_id: str, quantity: float = 1.0, change_id: str | None = None
    ) -> CartChange:
        """Put ``quantity`` more of a product in the cart."""
        return self._change(user_id, product_id, "add", _positive(quantity), change_id)

    def remove(
        self,
        user_id: str,
        product_id: str,
        quantity: float | None = None,
        change_id: str | None = None,
    ) -> CartChange:
        """Take ``quantity`` out of the cart (the whole line when None)."""
        if quantity is None:
            return self._change(user_id, product_id, "set", 0.0, change_id)
        return self._change(user_id, product_id, "add", -_positive(quantity), change_id)

    def set_quantity(
        self, user_id: str, product_id: str, quantity: float, change_id: str | None = None
    ) -> CartChange:
        """Make the line hold exactly ``quantity`` (0 removes it)."""
        if quantity == 0:
            return self._change(user_id, product_id, "set", 0.0, change_id)
        return self._change(user_id, product_id, "set", _positive(quantity), change_id)

    def checkout(self, user_id: str, order_id: str | None = None) -> Order | None:
        """Place the cart as an order (recorded as purchases); None when the cart is empty."""
        _check_user(user_id)
        order = self._place_order(user_id, order_id or uuid.uuid4().hex)
        if order is not None and self.engine is not None:
            self.engine.record_many(
                Event(
                    type=EventType.PURCHASE,
                    user_id=user_id,
                    product_id=line.product_id,
                    quantity=line.quantity,
                    unit_price=line.unit_price,
                    basket_id=order.order_id,
                    ts=order.placed_at,
                    event_id=f"order-{order.order_id}-{line.product_id}",
                )
                for line in order.lines
            )
        return order

    def _change(
        self, user_id: str, product_id: str, op: Op, quantity: float, change_id: str | None
    ) -> CartChange:
        _check_user(user_id)
        line = self._line(product_id)
        change = self._apply(user_id, line, op, quantity, change_id or uuid.uuid4().hex)
        if change.delta and self.engine is not None:
            kind = EventType.ADD_TO_CART if change.delta > 0 else EventType.REMOVE_FROM_CART
            self.engine.record(
                Event(
                    type=kind,
                    user_id=user_id,
                    product_id=product_id,
                    quantity=abs(change.delta),
                    ts=self.engine.clock(),
                    event_id=f"cart-{change.change_id}",
                )
            )
        return change

    def _line(self, product_id: str) -> CartLine:
        if not isinstance(product_id, str) or not product_id:
            raise ValidationError("product_id", product_id, "must be a non-empty string")
        if self.catalog is None:
            return CartLine(product_id=product_id, name=product_id, quantity=0.0)
        if product_id not in self.catalog:
            raise UnknownProductError(product_id)
        product = self.catalog.get(product_id)
        return CartLine(
            product_id=product_id, name=product.name, quantity=0.0, unit_price=product.price
        )


def next_quantity(before: float, op: Op, quantity: float) -> float:
    """The line's quantity after ``op`` (never below zero)."""
    return max(before + quantity if op == "add" else quantity, 0.0)


def _check_user(user_id: object) -> None:
    if not isinstance(user_id, str) or not user_id.strip():
        raise ValidationError("user_id", user_id, "must be a non-empty string")


def _positive(quantity: object) -> float:
    if isinstance(quantity, bool) or not isinstance(quantity, int | float) or not quantity > 0:
        raise ValidationError("quantity", quantity, "must be a number > 0")
    if quantity == float("inf"):
        raise ValidationError("quantity", quantity, "must be finite")
    return float(quantity)
