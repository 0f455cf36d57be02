"""InMemoryOrders: carts and orders in this process (the default; notebooks, tests, demos)."""

from __future__ import annotations

import time
from collections import OrderedDict
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from leafloaf.health import BackendHealth
from leafloaf.models import Cart, CartLine
from leafloaf.orders.base import CartChange, Op, Order, OrderBackend, next_quantity

if TYPE_CHECKING:
    from leafloaf.catalog import Catalog
    from leafloaf.engine import GraphitiPersonalizationEngine

__all__ = ["InMemoryOrders"]

_REMEMBERED = 100_000
"""Change and order ids remembered for idempotency (oldest forgotten first)."""


class InMemoryOrders(OrderBackend):
    """Carts in a dict; change and order ids remembered for the last 100,000 changes.

    >>> from leafloaf import Catalog, InMemoryOrders, Product
    >>> orders = InMemoryOrders(Catalog([Product(product_id="1", name="Milk")]))
    >>> first = orders.add("ann", "1", change_id="c1")
    >>> orders.add("ann", "1", change_id="c1") == first  # a retry changes nothing
    True
    >>> orders.checkout("ann").lines[0].quantity
    1.0
    """

    name = "memory"

    def __init__(
        self, catalog: Catalog | None = None, engine: GraphitiPersonalizationEngine | None = None
    ) -> None:
        super().__init__(catalog, engine)
        self._carts: dict[str, dict[str, CartLine]] = {}
        self._changes: OrderedDict[str, CartChange] = OrderedDict()
        self._orders: dict[str, Order] = {}

    def cart(self, user_id: str) -> Cart:
        with self._lock:
            return Cart(user_id=user_id, lines=list(self._carts.get(user_id, {}).values()))

    def _apply(
        self, user_id: str, line: CartLine, op: Op, quantity: float, change_id: str
    ) -> CartChange:
        with self._lock:
            seen = self._changes.get(change_id)
            if seen is not None:
                return seen
            lines = self._carts.setdefault(user_id, {})
            current = lines.get(line.product_id)
            before = current.quantity if current is not None else 0.0
            after = next_quantity(before, op, quantity)
            if after > 0:
                lines[line.product_id] = (current or line).model_copy(update={"quantity": after})
            else:
                lines.pop(line.product_id, None)
            change = CartChange(
                change_id=change_id,
                user_id=user_id,
                product_id=line.product_id,
                before=before,
                after=after,
            )
            self._changes[change_id] = change
            while len(self._changes) > _REMEMBERED:
                self._changes.popitem(last=False)
            return change

    def _place_order(self, user_id: str, order_id: str) -> Order | None:
        with self._lock:
            if order_id in self._orders:
                return self._orders[order_id]
            lines = list(self._carts.pop(user_id, {}).values())
            if not lines:
                return None
            order = Order(
                order_id=order_id, user_id=user_id, lines=lines, placed_at=datetime.now(UTC)
            )
            self._orders[order_id] = order
            return order

    def orders(self, user_id: str) -> list[Order]:
        """The shopper's placed orders, oldest first."""
        with self._lock:
            return [o for o in self._orders.values() if o.user_id == user_id]

    def forget_user(self, user_id: str) -> int:
        with self._lock:
            gone = len(self._carts.pop(user_id, {}))
            for order_id in [k for k, o in self._orders.items() if o.user_id == user_id]:
                gone += 1
                del self._orders[order_id]
            for change_id in [k for k, c in self._changes.items() if c.user_id == user_id]:
                del self._changes[change_id]
            return gone

    def health(self) -> BackendHealth:
        start = time.perf_counter()
        with self._lock:
            carts = len(self._carts)
        return BackendHealth(
            backend=self.name,
            kind="orders",
            status="ok",
            latency_ms=(time.perf_counter() - start) * 1000,
            detail=f"{carts} open carts",
        )
