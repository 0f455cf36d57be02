"""Quickstart: every LeafLoaf capability on a small made-up shop, using the public API only.

Forty background shoppers and two spelled-out ones (Maya, a thrifty vegetarian who shops
weekly, and the Parks, two people sharing one account) buy from a 15-product catalog for
twelve weeks. The history is generated deterministically, so every run prints the same.

Run:  python examples/quickstart.py
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta

from leafloaf import Catalog, Event, GraphitiPersonalizationEngine, Product

# id, name, department, aisle, unit price. Several aisles hold a cheap and a dear option,
# which is what the budget capability compares a shopper's choices against.
PRODUCTS: list[tuple[str, str, str, str, float]] = [
    ("bananas", "Bananas", "produce", "fresh fruits", 0.25),
    ("apples", "Gala Apples", "produce", "fresh fruits", 0.60),
    ("spinach", "Baby Spinach", "produce", "fresh vegetables", 2.50),
    ("wholemilk", "Whole Milk", "dairy eggs", "milk", 1.20),
    ("organicmilk", "Organic Whole Milk", "dairy eggs", "milk", 2.90),
    ("oatmilk", "Oat Milk", "dairy eggs", "milk", 3.50),
    ("eggs", "Free Range Eggs", "dairy eggs", "eggs", 3.20),
    ("chicken", "Chicken Breast", "meat seafood", "poultry", 7.90),
    ("steak", "Sirloin Steak", "meat seafood", "beef", 12.50),
    ("pasta", "Spaghetti", "pantry", "dry pasta", 1.10),
    ("sauce", "Tomato Pasta Sauce", "pantry", "pasta sauce", 2.40),
    ("bread", "Sourdough Bread", "bakery", "bread", 3.80),
    ("instant", "Instant Coffee", "beverages", "coffee", 4.00),
    ("coffee", "Ground Coffee", "beverages", "coffee", 8.50),
    ("espresso", "Espresso Beans", "beverages", "coffee", 14.00),
]
PRICE = {pid: price for pid, _, _, _, price in PRODUCTS}
START = datetime(2026, 1, 5, 10, tzinfo=UTC)
WEEKS = 12


def purchase(user: str, pid: str, week: int, day: int = 0, quantity: float = 1.0) -> Event:
    """One bought line, with a deterministic event id (so a replay is recognised)."""
    return Event.purchase(
        user,
        pid,
        quantity=quantity,
        unit_price=PRICE[pid],
        basket_id=f"{user}-w{week}",
        ts=START + timedelta(weeks=week, days=day),
        event_id=f"{user}-w{week}-{pid}",
    )


def background(rng: random.Random, shoppers: int = 40) -> Iterator[Event]:
    """Everyone else: a few staples each week plus one impulse buy."""
    ids = list(PRICE)
    for n in range(shoppers):
        user = f"shopper{n}"
        staples = rng.sample(ids, 4)
        for week in range(WEEKS):
            basket = set(rng.sample(staples, 3)) | {rng.choice(ids)}
            if "pasta" in basket:
                basket.add("sauce")  # the co-occurrence that complements should discover
            if rng.random() < 0.5:
                basket.add(rng.choice(["chicken", "steak"]))  # most shoppers buy meat
            for pid in sorted(basket):
                quantity = 2.0 if pid == "eggs" and rng.random() < 0.7 else 1.0
                yield purchase(user, pid, week, quantity=quantity)


def maya() -> Iterator[Event]:
    """Weekly: six bananas, the cheapest milk, spinach, two packs of spaghetti; never meat.

    Pasta sauce every fourth week; bread every third week, last bought in her latest order.
    """
    for week in range(WEEKS):
        for pid, quantity in (("bananas", 6), ("wholemilk", 1), ("spinach", 1), ("pasta", 2)):
            yield purchase("maya", pid, week, quantity=quantity)
        if week % 4 == 0:
            yield purchase("maya", "sauce", week)
        if week % 3 == 2:
            yield purchase("maya", "bread", week)


def parks(rng: random.Random) -> Iterator[Event]:
    """Two people on one account: two milks, two coffees, two fruits, in irregular orders."""
    day = 0
    for week in range(WEEKS):
        for pid in ("organicmilk", "oatmilk", "coffee", "espresso", "bananas", "apples", "eggs"):
            yield purchase("parks", pid, week, day=day % 7)
        for pid in rng.sample(["bread", "pasta", "sauce", "chicken", "spinach"], 3):
            yield purchase("parks", pid, week, day=day % 7)
        day += rng.choice([0, 3, 5])


def history() -> list[Event]:
    """The whole made-up history, in a fixed order."""
    rng = random.Random(3)
    return [*background(rng), *maya(), *parks(rng)]


def show(lines: Iterable[object]) -> None:
    """Print lines (text, or reasons: a ``Reason`` prints as its text) indented under a
    section header."""
    for line in lines:
        print(f"  {line}")


def main() -> None:
    """Learn from the made-up history and ask every question."""
    catalog = Catalog(
        Product(product_id=pid, name=name, categories=(department, aisle), price=price)
        for pid, name, department, aisle, price in PRODUCTS
    )
    now = START + timedelta(weeks=WEEKS)  # a week after the last orders
    engine = GraphitiPersonalizationEngine(catalog, clock=lambda: now)

    print("== recording")
    events = history()
    report = engine.record_many(events)
    print(f"  {report.accepted} events accepted, {len(report.rejected)} rejected")
    replay = engine.record_many(events)  # at-least-once delivery: the same events again
    print(f"  replayed: {replay.duplicates} duplicates ignored")
    bad = engine.record_many(
        [{"type": "purchase", "user_id": "maya", "product_id": "caviar", "ts": now}]
    )
    show(f"rejected row {r.index}: {r.field}={r.value} {r.message}" for r in bad.rejected)

    print("\n== usual order (Maya)")
    show(
        f"{item.quantity:g} x {item.name}: {'; '.join(map(str, item.reasons))}"
        for item in engine.usual_order("maya", k=5).items
    )

    print("\n== reorder a week after the last order (Maya)")
    restock = engine.reorder_due("maya", at=now)
    show(
        f"{'due    ' if item.due else 'not due'} {item.name} ({item.probability:.0%}): "
        f"{item.reasons[0]}"
        for item in restock.items
    )
    show(restock.reasons)

    print("\n== dietary profile (Maya)")
    show(
        f"{a.attribute} [{a.source}, {a.probability:.0%}]: {'; '.join(map(str, a.reasons))}"
        for a in engine.dietary_profile("maya").avoided
    )
    engine.declare_avoidance("maya", "department:meat seafood")  # "I'm vegetarian"
    show(
        f"after she says so: {a.attribute} [{a.source}]"
        for a in engine.dietary_profile("maya").avoided
    )

    print("\n== complements for a basket with spaghetti (Maya, then a new shopper)")
    # Maya's own habits weigh in (she has 12 orders); a new shopper gets what others buy
    show(f"{c.name}: {c.reasons[0]}" for c in engine.complements("maya", ["pasta"], k=3))
    show(f"{c.name}: {c.reasons[0]}" for c in engine.complements("newcomer", ["pasta"], k=3))

    print("\n== suggested quantity (Maya)")
    for pid in ("bananas", "eggs"):
        suggestion = engine.suggest_quantity("maya", pid)
        show([f"{pid}: {suggestion.quantity:g} [{suggestion.source}] {suggestion.reasons[0]}"])

    print("\n== budget")
    for user in ("maya", "parks"):
        budget = engine.budget_profile(user)
        show([f"{user}: {budget.sensitivity}: {'; '.join(map(str, budget.reasons))}"])

    print("\n== household")
    for user in ("maya", "parks"):
        house = engine.household_profile(user)
        show([f"{user}: shared probability {house.shared_probability:.0%}"])
        show(f"  {reason}" for reason in house.reasons)

    print("\n== search results re-ranked for Maya")
    for query, candidates in (
        ("milk", ["organicmilk", "oatmilk", "wholemilk"]),
        ("coffee", ["espresso", "coffee", "instant"]),
    ):
        ranking = engine.rerank("maya", candidates, query=query)
        show(f"{query}: {hit.name}: {'; '.join(map(str, hit.reasons))}" for hit in ranking)

    print("\n== explain Espresso Beans for Maya")
    explanation = engine.explain("maya", "espresso")
    terms = {term: round(value, 2) for term, value in explanation.contributions.items()}
    show([f"score terms: {terms}", *explanation.reasons])

    print("\n== preferences (JSON)")
    prefs = engine.preferences("maya").model_dump(mode="json")
    prefs["affinities"] = prefs["affinities"][:2]
    print(json.dumps(prefs, indent=2))


if __name__ == "__main__":
    main()
