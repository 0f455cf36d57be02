"""A host application plugs its own product search and cart system into the assistant.

Run from the root of a clone: ``python examples/host_backends.py``. The host here keeps its
catalog search and carts in plain Python objects; a real one would call its search service
and its cart API in the same few methods.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from leafloaf import (
    Assistant,
    BackendHealth,
    Cart,
    CartLine,
    Catalog,
    Event,
    GraphitiPersonalizationEngine,
    Product,
    SearchBackend,
    SearchFilters,
    SearchHealth,
    SearchHit,
)
from leafloaf.orders import CartChange, Order, OrderBackend
from leafloaf.orders.base import Op, next_quantity


class ShopSearch(SearchBackend):
    """The host's search: every query word must appear in the product name."""

    name = "shop"

    def __init__(self) -> None:
        self.products: dict[str, Product] = {}

    def index(self, products: Iterable[Product]) -> int:
        self.products.update({p.product_id: p for p in products})
        return len(self.products)

    def search(
        self, query: str, k: int = 10, filters: SearchFilters | None = None
    ) -> list[SearchHit]:
        words = query.lower().split()
        hits = [
            SearchHit(product_id=pid, score=float(len(words)), retriever="shop")
            for pid, p in sorted(self.products.items())
            if all(w.rstrip("s") in p.name.lower() for w in words)
        ]
        return hits[:k]

    def remove(self, product_ids: Iterable[str]) -> int:
        return sum(self.products.pop(pid, None) is not None for pid in product_ids)

    def health(self) -> SearchHealth:
        return SearchHealth(backend=self.name, ok=True, mode="keyword")


class ShopCarts(OrderBackend):
    """The host's cart service (here a dict; a real one calls its cart API)."""

    name = "shop"

    def __init__(self) -> None:
        super().__init__()
        self.carts: dict[str, dict[str, CartLine]] = {}
        self.changes: dict[str, CartChange] = {}
        self.placed: dict[str, Order] = {}

    def cart(self, user_id: str) -> Cart:
        return Cart(user_id=user_id, lines=list(self.carts.get(user_id, {}).values()))

    def _apply(
        self, user_id: str, line: CartLine, op: Op, quantity: float, change_id: str
    ) -> CartChange:
        if change_id in self.changes:  # the cart API is idempotent on the change id
            return self.changes[change_id]
        lines = self.carts.setdefault(user_id, {})
        before = lines[line.product_id].quantity if line.product_id in lines else 0.0
        after = next_quantity(before, op, quantity)
        if after:
            lines[line.product_id] = line.model_copy(update={"quantity": after})
        else:
            lines.pop(line.product_id, None)
        change = CartChange(change_id=change_id, user_id=user_id,
                            product_id=line.product_id, before=before, after=after)  # fmt: skip
        self.changes[change_id] = change
        return change

    def _place_order(self, user_id: str, order_id: str) -> Order | None:
        if order_id not in self.placed:
            lines = list(self.carts.pop(user_id, {}).values())
            if not lines:
                return None
            self.placed[order_id] = Order(order_id=order_id, user_id=user_id, lines=lines,
                                          placed_at=datetime.now(UTC))  # fmt: skip
        return self.placed[order_id]

    def forget_user(self, user_id: str) -> int:
        return len(self.carts.pop(user_id, {}))

    def health(self) -> BackendHealth:
        return BackendHealth(backend=self.name, kind="orders", status="ok")


def main() -> None:
    rows = [
        ("m1", "Oat Milk", ("dairy eggs", "milk"), 2.9),
        ("m2", "Whole Milk", ("dairy eggs", "milk"), 1.5),
        ("b1", "Sourdough Bread", ("bakery", "bread"), 4.0),
        ("c1", "Chicken Thighs", ("meat seafood", "poultry"), 6.5),
    ]
    catalog = Catalog(
        Product(product_id=pid, name=name, categories=path, price=price)
        for pid, name, path, price in rows
    )
    engine = GraphitiPersonalizationEngine(catalog)
    start = datetime.now(UTC) - timedelta(days=40)
    engine.record_many(  # maya buys two oat milks every week
        Event.purchase("maya", "m1", quantity=2, basket_id=f"o{w}", ts=start + timedelta(weeks=w))
        for w in range(5)
    )
    search, carts = ShopSearch(), ShopCarts()
    search.index(catalog)
    assistant = Assistant(engine, search=search, orders=carts)

    session = None
    for message in ["add milk", "add sourdough bread too", "make it 2", "i'm vegetarian",
                    "show me chicken", "whats in my cart", "checkout"]:  # fmt: skip
        reply = assistant.reply("maya", message, session=session)
        session = reply.session
        print(f"> {message}\n  {reply.text.strip()}  [{reply.intent.value}]")
    print("host cart service holds:", carts.cart("maya").summary())
    print("orders placed:", len(carts.placed))
    print("cart events the engine learned from:",
          sum(e.type.value.endswith("cart") for e in engine.store.events("maya")))  # fmt: skip
    engine.close()  # waits for a background refit the checkout may have started


if __name__ == "__main__":
    main()
