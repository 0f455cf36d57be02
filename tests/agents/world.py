"""A small shop shared by the assistant tests: seven products, and "ann" who buys oat milk."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from leafloaf import Catalog, Event, GraphitiPersonalizationEngine, Product

T0 = datetime(2026, 1, 5, 9, tzinfo=UTC)
PRODUCTS = [
    ("1", "Oat Milk", ("dairy eggs", "milk")),
    ("2", "Whole Milk", ("dairy eggs", "milk")),
    ("3", "Chocolate Milk", ("dairy eggs", "milk")),
    ("4", "Sourdough Bread", ("bakery", "bread")),
    ("5", "Bananas", ("produce", "fruit")),
    ("6", "Chicken Breast", ("meat seafood", "poultry")),
    ("7", "Tofu", ("deli", "tofu")),
]


def small_engine() -> GraphitiPersonalizationEngine:
    """The shop, where "ann" bought three oat milks and bananas every week for six weeks."""
    catalog = Catalog(
        Product(product_id=p, name=n, categories=c, price=2.0) for p, n, c in PRODUCTS
    )
    engine = GraphitiPersonalizationEngine(catalog, clock=lambda: T0 + timedelta(days=60))
    events = []
    for week in range(6):
        ts = T0 + timedelta(days=7 * week)
        events.append(Event.purchase("ann", "1", quantity=3, ts=ts, basket_id=f"a{week}"))
        events.append(Event.purchase("ann", "5", ts=ts, basket_id=f"a{week}"))
    engine.record_many(events)
    return engine
