"""The ``leafloaf demo`` job: learn from a real purchase history and show three shoppers."""

from __future__ import annotations

import math
import random
import re
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from datetime import timedelta
from pathlib import Path

from leafloaf.catalog import attribute_label
from leafloaf.datasets import Dataset, load_completejourney, load_instacart
from leafloaf.engine import GraphitiPersonalizationEngine
from leafloaf.errors import ValidationError
from leafloaf.models import Event
from leafloaf.progress import progress

__all__ = ["find_data", "learn", "run_demo"]

_REPO = Path(__file__).resolve().parents[2]
_CANDIDATES = (
    Path("../shared/data/instacart_1k"),
    Path("examples/data/instacart_sample"),
    _REPO.parent / "shared" / "data" / "instacart_1k",
    _REPO / "examples" / "data" / "instacart_sample",
)
_WORD = re.compile(r"[a-z]{4,}")


def find_data(explicit: str | None = None) -> Path:
    """The data folder to use: ``explicit``, else the shared Instacart set, else the sample."""
    if explicit:
        path = Path(explicit)
        if not path.is_dir():
            raise ValidationError("data", explicit, "is not a folder")
        return path
    for path in _CANDIDATES:
        if (path / "products.csv").is_file():
            return path
    raise ValidationError(
        "data", None, "no data found; pass --data PATH to an Instacart-layout folder"
    )


def load(path: Path, fmt: str | None, max_users: int | None) -> Dataset:
    """Load a data folder in the given (or detected) layout."""
    if fmt is None:
        fmt = "completejourney" if any(path.glob("transactions.csv*")) else "instacart"
    if fmt == "instacart":
        return load_instacart(path, max_users)
    if fmt == "completejourney":
        return load_completejourney(path, max_users)
    raise ValidationError("format", fmt, "choose instacart or completejourney")


def learn(engine: GraphitiPersonalizationEngine, events: Sequence[Event], desc: str) -> None:
    """Record events in batches with a progress bar, then fit the population model."""

    def batches() -> Iterator[list[Event]]:
        for start in range(0, len(events), 5_000):
            yield list(events[start : start + 5_000])

    total = (len(events) + 4_999) // 5_000
    for batch in progress(batches(), total, desc, unit=" batches"):
        engine.record_many(batch)
    engine.fit()


def pick_shoppers(dataset: Dataset, engine: GraphitiPersonalizationEngine, n: int) -> list[str]:
    """``n`` shoppers with long histories, picked reproducibly."""
    orders = {u: engine.usual_order(u, 1).orders_seen for u in dataset.users}
    seasoned = sorted(u for u, o in orders.items() if o >= 8) or sorted(orders)
    return random.Random(7).sample(seasoned, min(n, len(seasoned)))


def search_word(dataset: Dataset, engine: GraphitiPersonalizationEngine, user: str) -> str:
    """A common word from the shopper's own product names that many products share."""
    catalog = dataset.catalog
    counts: Counter[str] = Counter()
    for item in engine.usual_order(user, 50).items:
        counts.update(set(_WORD.findall(item.name.lower())))
    best, best_score = "", -1.0
    for word, count in counts.most_common(30):
        matches = len(_matches(dataset, word))
        score = count * math.log(len(catalog) / max(matches, 1))  # tf-idf: theirs, not everyone's
        if matches >= 30 and score > best_score:
            best, best_score = word, score
    return best or "organic"


def _matches(dataset: Dataset, word: str) -> list[str]:
    pattern = re.compile(rf"\b{re.escape(word)}")
    return [p.product_id for p in dataset.catalog if pattern.search(p.name.lower())]


def run_demo(
    data: str | None = None,
    fmt: str | None = None,
    max_users: int | None = None,
    shoppers: int = 3,
    echo: Callable[[str], None] = print,
) -> None:
    """Load, learn, and print every capability for ``shoppers`` shoppers, with reasons."""
    started = time.perf_counter()
    path = find_data(data)
    echo(f"LeafLoaf demo — learning from {path}")
    dataset = load(path, fmt, max_users)
    last = max(e.ts for e in dataset.events)
    engine = GraphitiPersonalizationEngine(dataset.catalog, clock=lambda: last)
    learn(engine, dataset.events, "learning")
    echo(
        f"learned {len(dataset.events):,} purchases of {len(dataset.users):,} shoppers over "
        f"{len(dataset.catalog):,} products in {time.perf_counter() - started:.1f}s"
    )
    for user in pick_shoppers(dataset, engine, shoppers):
        _show(dataset, engine, user, echo)
    echo(f"\ndone in {time.perf_counter() - started:.1f}s")


def _line(text: str, reasons: Sequence[str]) -> str:
    return f"  {text}  — {'; '.join(reasons)}"


def _show(
    dataset: Dataset,
    engine: GraphitiPersonalizationEngine,
    user: str,
    echo: Callable[[str], None],
) -> None:
    prefs = engine.preferences(user)
    gap = (
        f", an order every ~{prefs.days_between_orders:.0f} days"
        if prefs.days_between_orders
        else ""
    )
    echo(f"\n=== Shopper {user}: {prefs.orders} orders, {prefs.lines} items{gap} ===")

    usual = engine.usual_order(user, 5)
    echo(f"Usual order ({usual.reasons[0]}):")
    for item in usual.items:
        echo(_line(f"{item.quantity:g} × {item.name}", item.reasons))

    at = dataset.next_order_at.get(user) or (
        engine.clock() + timedelta(days=prefs.days_between_orders or 7)
    )
    due = engine.reorder_due(user, at)
    echo(f"Most likely restocks for their next order on {at:%Y-%m-%d} ({len(due.due)} due):")
    for restock in due.items[:5]:
        mark = "due" if restock.due else "not yet"
        text = f"{restock.name} — {restock.probability:.0%}, {mark}"
        echo(_line(text, restock.reasons[:2]))

    word = search_word(dataset, engine, user)
    pop = engine.population
    candidates = sorted(_matches(dataset, word), key=lambda p: -pop.item_lines.get(p, 0.0))[:200]
    ranked = engine.rerank(user, candidates, query=word)
    echo(f'Search "{word}" ({len(candidates)} candidates): personalised  |  unpersonalised')
    for mine, base in zip(ranked[:5], candidates[:5], strict=False):
        echo(f"  {mine.name[:38]:<38} | {dataset.catalog.name(base)[:38]:<38}  — {mine.reasons[0]}")

    diet = engine.dietary_profile(user)
    if diet.avoided:
        echo("Dietary avoidances (inferred):")
        for avoidance in diet.avoided[:4]:
            label = attribute_label(avoidance.attribute)
            echo(_line(f"{label} ({avoidance.probability:.0%})", avoidance.reasons))
    else:
        echo(_line("Dietary avoidances: none confidently inferred", diet.reasons))

    basket = [item.product_id for item in usual.items[:2]]
    names = ", ".join(dataset.catalog.name(p) for p in basket)
    echo(f"Complements for a basket of {names}:")
    for comp in engine.complements(user, basket, 3):
        echo(_line(comp.name, comp.reasons))

    echo("Suggested quantities:")
    for item in usual.items[:3]:
        q = engine.suggest_quantity(user, item.product_id)
        echo(_line(f"{q.quantity:g} × {dataset.catalog.name(item.product_id)}", q.reasons))

    budget = engine.budget_profile(user)
    echo(_line(f"Price sensitivity: {budget.sensitivity}", budget.reasons))

    house = engine.household_profile(user)
    verdict = "looks shared by a household" if house.shared else "looks like one shopper"
    echo(_line(f"Household: {verdict} ({house.shared_probability:.0%})", house.reasons))
