"""Quickstart: every LeafLoaf capability on a small made-up shop, using the public API only.

Run:  python examples/quickstart.py
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from leafloaf import Catalog, Event, GraphitiPersonalizationEngine, Product

PRODUCTS = [
    ("bananas", "Bananas", "produce", "fresh fruits", 0.25),
    ("apples", "Gala Apples", "produce", "fresh fruits", 0.60),
    ("spinach", "Baby Spinach", "produce", "fresh vegetables", 2.50),
    ("oatmilk", "Oat Milk", "dairy eggs", "milk", 3.50),
    ("wholemilk", "Whole Milk", "dairy eggs", "milk", 1.20),
    ("organicmilk", "Organic Whole Milk", "dairy eggs", "milk", 2.90),
    ("eggs", "Free Range Eggs", "dairy eggs", "eggs", 3.20),
    ("chicken", "Chicken Breast", "meat seafood", "poultry", 7.90),
    ("steak", "Sirloin Steak", "meat seafood", "beef", 12.50),
    ("pasta", "Spaghetti", "pantry", "dry pasta", 1.10),
    ("sauce", "Tomato Pasta Sauce", "pantry", "pasta sauce", 2.40),
    ("bread", "Sourdough Bread", "bakery", "bread", 3.80),
    ("coffee", "Ground Coffee", "beverages", "coffee", 8.50),
]
START = datetime(2026, 1, 5, 10, tzinfo=UTC)


def history(rng: random.Random) -> list[Event]:
    """Twelve weeks of orders by 40 shoppers; two of them are spelled out."""
    events: list[Event] = []
    ids = [p[0] for p in PRODUCTS]
    price = {p[0]: p[4] for p in PRODUCTS}
    for n in range(40):
        user = f"shopper{n}"
        staples = rng.sample(ids, 4)
        for week in range(12):
            basket = set(rng.sample(staples, 3)) | {rng.choice(ids)}
            if "pasta" in basket:
                basket.add("sauce")  # people who buy pasta tend to buy sauce
            if rng.random() < 0.5:
                basket.add(rng.choice(["chicken", "steak"]))  # most shoppers buy meat
            for pid in basket:
                events.append(Event.purchase(user, pid, unit_price=price[pid],
                                             basket_id=f"{user}-{week}",
                                             ts=START + timedelta(weeks=week)))  # fmt: skip
    # Maya: weekly bananas (6 at a time), oat milk, never any meat, the cheaper options
    for week in range(12):
        for pid, qty in (("bananas", 6), ("oatmilk", 1), ("spinach", 1), ("pasta", 2)):
            events.append(Event.purchase("maya", pid, quantity=qty, unit_price=price[pid],
                                         basket_id=f"maya-{week}",
                                         ts=START + timedelta(weeks=week)))  # fmt: skip
    return events


def main() -> None:
    """Learn from the made-up history and ask every question."""
    catalog = Catalog(
        Product(product_id=pid, name=name, categories=(dept, aisle), price=price)
        for pid, name, dept, aisle, price in PRODUCTS
    )
    engine = GraphitiPersonalizationEngine(catalog, clock=lambda: START + timedelta(weeks=12))
    report = engine.record_many(history(random.Random(3)))
    print(f"== recorded {report.accepted} events ({len(report.rejected)} rejected)")

    print("\n== usual order")
    for item in engine.usual_order("maya", 4).items:
        print(f"  {item.quantity:g} x {item.name}: {'; '.join(item.reasons)}")

    print("\n== due for reorder a week after the last order")
    for item in engine.reorder_due("maya", at=START + timedelta(weeks=12)).due:
        print(f"  {item.name} ({item.probability:.0%}): {item.reasons[0]}")

    print("\n== dietary profile")
    engine.declare_avoidance("maya", "aisle:beef")
    for avoidance in engine.dietary_profile("maya").avoided:
        print(f"  {avoidance.attribute} [{avoidance.source}]: {'; '.join(avoidance.reasons)}")

    print("\n== complements for a basket with spaghetti")
    for comp in engine.complements("maya", ["pasta"], 3):
        print(f"  {comp.name}: {comp.reasons[0]}")

    print("\n== suggested quantity")
    print("  bananas:", engine.suggest_quantity("maya", "bananas").reasons[0])

    print("\n== budget")
    budget = engine.budget_profile("maya")
    print(f"  {budget.sensitivity}: {'; '.join(budget.reasons)}")

    print("\n== household")
    house = engine.household_profile("maya")
    print(f"  shared probability {house.shared_probability:.0%}")

    print("\n== search 'milk', re-ranked for Maya")
    for hit in engine.rerank("maya", ["wholemilk", "organicmilk", "oatmilk"], query="milk"):
        print(f"  {hit.name}: {'; '.join(hit.reasons)}")

    print("\n== explain oat milk")
    print(" ", engine.explain("maya", "oatmilk").contributions)

    print("\n== preferences (JSON)")
    print(" ", engine.preferences("maya").model_dump_json()[:300], "...")


if __name__ == "__main__":
    main()
