"""Small catalogs and histories whose right answers are known by construction.

Every helper returns plain :class:`Event` lists (or an engine), so each test states its
own history in a line or two and the answer follows from how the history was built.
Times are fixed and timezone-aware; ``T0`` is a Monday morning in UTC.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from leafloaf import Catalog, EngineConfig, Event, GraphitiPersonalizationEngine, Product

T0 = datetime(2026, 1, 5, 10, tzinfo=UTC)


def _p(pid: str, name: str, department: str, aisle: str, price: float) -> Product:
    return Product(product_id=pid, name=name, categories=(department, aisle), price=price)


PRODUCTS = [
    _p("banana", "Bananas", "produce", "fresh fruits", 0.3),
    _p("apple", "Apples", "produce", "fresh fruits", 0.6),
    _p("berries", "Berries", "produce", "fresh fruits", 4.0),
    _p("kale", "Kale", "produce", "fresh vegetables", 2.0),
    _p("carrots", "Carrots", "produce", "fresh vegetables", 1.0),
    _p("chicken", "Chicken Breast", "meat seafood", "poultry", 7.0),
    _p("turkey", "Turkey Mince", "meat seafood", "poultry", 8.0),
    _p("beef", "Beef Steak", "meat seafood", "beef", 12.0),
    _p("salmon", "Salmon Fillet", "meat seafood", "seafood", 15.0),
    _p("milk", "Milk", "dairy eggs", "milk", 1.2),
    _p("oatmilk", "Oat Milk", "dairy eggs", "milk", 3.5),
    _p("cheapmilk", "Value Milk", "dairy eggs", "milk", 0.8),
    _p("eggs", "Eggs", "dairy eggs", "eggs", 3.0),
    _p("freerange", "Free Range Eggs", "dairy eggs", "eggs", 5.0),
    _p("yogurt", "Yogurt", "dairy eggs", "yogurt", 1.0),
    _p("greek", "Greek Yogurt", "dairy eggs", "yogurt", 2.5),
    _p("pasta", "Spaghetti", "dry goods pasta", "dry pasta", 1.0),
    _p("sauce", "Pasta Sauce", "dry goods pasta", "pasta sauce", 2.5),
    _p("rice", "Rice", "dry goods pasta", "grains rice", 2.0),
    _p("coffee", "Coffee", "beverages", "coffee", 8.0),
    _p("cheapcoffee", "Value Coffee", "beverages", "coffee", 4.0),
    _p("finecoffee", "Single Origin Coffee", "beverages", "coffee", 14.0),
    _p("bread", "Sourdough", "bakery", "bread", 3.0),
    _p("rye", "Rye Bread", "bakery", "bread", 4.0),
    _p("whitebread", "White Bread", "bakery", "bread", 1.5),
    _p("cereal", "Muesli", "breakfast", "cereal", 3.0),
    _p("granola", "Granola", "breakfast", "cereal", 5.0),
    _p("cornflakes", "Corn Flakes", "breakfast", "cereal", 2.0),
    _p("diapers", "Diapers", "babies", "diapers wipes", 12.0),
    Product(product_id="loose", name="Loose Item"),  # no categories, no price
]
PRICE = {p.product_id: p.price for p in PRODUCTS}

MEAT = ["chicken", "turkey", "beef", "salmon"]
NOT_MEAT = ["banana", "apple", "kale", "carrots", "milk", "eggs", "yogurt", "bread", "rice"]
SHELF = {
    "milk": ["cheapmilk", "milk", "oatmilk"],
    "bread": ["whitebread", "bread", "rye"],
    "cereal": ["cornflakes", "cereal", "granola"],
    "coffee": ["cheapcoffee", "coffee", "finecoffee"],
}
"""Aisles with three products each, cheapest first."""


def catalog() -> Catalog:
    """The shared test catalog."""
    return Catalog(PRODUCTS)


def wide_catalog(aisles: int, per_aisle: int) -> Catalog:
    """``aisles`` aisles of ``per_aisle`` products each: ids ``a<aisle>p<n>``, no prices."""
    return Catalog(
        Product(
            product_id=f"a{a}p{n}", name=f"Product {a}.{n}", categories=("grocery", f"aisle{a}")
        )
        for a in range(aisles)
        for n in range(per_aisle)
    )


def engine(
    now: datetime | None = None, products: Catalog | None = None, **config: Any
) -> GraphitiPersonalizationEngine:
    """An in-memory engine over ``products`` (default: the shared catalog) whose clock
    always reads ``now`` (default ``T0``); ``config`` are :class:`EngineConfig` fields."""
    when = now or T0
    return GraphitiPersonalizationEngine(
        products or catalog(), clock=lambda: when, config=EngineConfig(**config)
    )


def day(n: float) -> datetime:
    """``T0`` plus ``n`` days."""
    return T0 + timedelta(days=n)


def order(user: str, items: Iterable[str], ts: datetime, basket_id: str, **kw: Any) -> list[Event]:
    """One basket: every product in ``items`` bought once at ``ts``."""
    return [Event.purchase(user, pid, basket_id=basket_id, ts=ts, **kw) for pid in items]


def history(
    user: str,
    baskets: Sequence[Iterable[str]],
    start: datetime = T0,
    every_days: float = 7,
    basket_prefix: str | None = None,
    **kw: Any,
) -> list[Event]:
    """Consecutive baskets, one every ``every_days`` from ``start``."""
    prefix = basket_prefix or user
    return [
        event
        for n, items in enumerate(baskets)
        for event in order(
            user, items, start + timedelta(days=every_days * n), f"{prefix}-{n}", **kw
        )
    ]


def weekly(
    user: str,
    items: Sequence[str],
    weeks: int,
    start: datetime = T0,
    every_days: float = 7,
    basket_prefix: str | None = None,
    **kw: Any,
) -> list[Event]:
    """``user`` buys every product in ``items`` once per order, one order every ``every_days``."""
    return history(user, [items] * weeks, start, every_days, basket_prefix, **kw)


def background(
    eng: GraphitiPersonalizationEngine,
    rng: random.Random,
    users: int = 20,
    orders: int = 8,
    prefix: str = "bg",
) -> list[str]:
    """Record ordinary shoppers with slightly irregular weekly orders; return their ids.

    Each has a few staples bought in most orders plus random extras, so population
    statistics (interval spread, repeat rates, base rates) look like real data.
    """
    pool = [p.product_id for p in PRODUCTS if p.categories]
    ids = []
    for u in range(users):
        user = f"{prefix}{u}"
        ids.append(user)
        staples = rng.sample(pool, 3)
        t = rng.uniform(0, 6)
        events: list[Event] = []
        for n in range(orders):
            items = [p for p in staples if rng.random() < 0.8] + rng.sample(pool, 2)
            events += order(user, dict.fromkeys(items), day(t), f"{user}-{n}")
            t += rng.uniform(5, 9)
        eng.record_many(events)
    return ids
