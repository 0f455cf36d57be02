"""Small catalogs and histories whose right answers are known by construction."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from leafloaf import Catalog, Event, GraphitiPersonalizationEngine, Product

T0 = datetime(2026, 1, 5, 10, tzinfo=UTC)

PRODUCTS = [
    Product(product_id="banana", name="Bananas", categories=("produce", "fruit"), price=0.3),
    Product(product_id="apple", name="Apples", categories=("produce", "fruit"), price=0.6),
    Product(product_id="kale", name="Kale", categories=("produce", "vegetables"), price=2.0),
    Product(product_id="milk", name="Milk", categories=("dairy", "milk"), price=1.2),
    Product(product_id="oatmilk", name="Oat Milk", categories=("dairy", "milk"), price=3.5),
    Product(product_id="cheapmilk", name="Value Milk", categories=("dairy", "milk"), price=0.8),
    Product(product_id="eggs", name="Eggs", categories=("dairy", "eggs"), price=3.0),
    Product(product_id="chicken", name="Chicken", categories=("meat", "poultry"), price=7.0),
    Product(product_id="beef", name="Beef", categories=("meat", "beef"), price=12.0),
    Product(product_id="pasta", name="Pasta", categories=("pantry", "pasta"), price=1.0),
    Product(product_id="sauce", name="Pasta Sauce", categories=("pantry", "sauce"), price=2.5),
    Product(product_id="rice", name="Rice", categories=("pantry", "grains"), price=2.0),
    Product(product_id="bread", name="Bread", categories=("bakery", "bread"), price=3.0),
    Product(product_id="rye", name="Rye Bread", categories=("bakery", "bread"), price=4.0),
]


def catalog() -> Catalog:
    """The shared test catalog."""
    return Catalog(PRODUCTS)


def engine(now: datetime | None = None) -> GraphitiPersonalizationEngine:
    """An in-memory engine whose clock reads ``now``."""
    return GraphitiPersonalizationEngine(catalog(), clock=lambda: now or T0)


def weekly(
    user: str,
    items: list[str],
    weeks: int,
    start: datetime = T0,
    every_days: int = 7,
    basket_prefix: str | None = None,
    **kw: object,
) -> list[Event]:
    """``user`` buys every product in ``items`` once per order, one order every ``every_days``."""
    return [
        Event.purchase(
            user,
            pid,
            basket_id=f"{basket_prefix or user}-{n}",
            ts=start + timedelta(days=every_days * n),
            **kw,
        )  # type: ignore[arg-type]
        for n in range(weeks)
        for pid in items
    ]
