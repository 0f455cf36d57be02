"""The ``leafloaf demo`` job: learn from a real purchase history and show all ten capabilities.

The default data is The Complete Journey (real quantities and prices, so quantity memory and
budget awareness have something to say): ``../shared/data/completejourney_1k`` when it is
beside the clone, else the sample bundled in ``examples/data/``. The shoppers shown are
picked so that, between them, every capability has a non-empty answer; a line that is still
empty says why.
"""

from __future__ import annotations

import math
import random
import re
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime, timedelta
from pathlib import Path

from leafloaf.catalog import attribute_label
from leafloaf.datasets import Dataset, check_layout, load_completejourney, load_instacart
from leafloaf.engine import GraphitiPersonalizationEngine
from leafloaf.errors import ValidationError
from leafloaf.models import Event, Reason
from leafloaf.progress import progress, step

__all__ = ["DATA_CANDIDATES", "find_data", "learn", "load", "pick_shoppers", "run_demo"]

_REPO = Path(__file__).resolve().parents[2]
DATA_CANDIDATES = (
    Path("../shared/data/completejourney_1k"),
    Path("examples/data/completejourney_sample"),
    _REPO.parent / "shared" / "data" / "completejourney_1k",
    _REPO / "examples" / "data" / "completejourney_sample",
)
"""Where ``demo`` and ``bench`` look for data when no ``--data`` is given, in order."""

_NO_DATA = (
    "no data found. The demo learns from real purchase histories, which are not in the "
    "package: run it from the root of a clone (it ships examples/data/), or pass --data PATH "
    "to a Complete Journey or Instacart-layout folder (see README, 'Where the data comes from')"
)
_WORD = re.compile(r"[a-z]{4,}")
_CANDIDATE_POOL = 60  # shoppers examined when picking who to show


def find_data(explicit: str | None = None) -> Path:
    """The data folder to use: ``explicit``, else the first of :data:`DATA_CANDIDATES`."""
    if explicit:
        path = Path(explicit)
        if not path.is_dir():
            what = "does not exist" if not path.exists() else "is a file, not a data folder"
            raise ValidationError("data", explicit, what)
        return path
    for path in DATA_CANDIDATES:
        if any(path.glob("transactions.csv*")) or (path / "orders_demo.csv").is_file():
            return path
    raise ValidationError("data", None, _NO_DATA)


def load(path: Path, fmt: str | None, max_users: int | None) -> Dataset:
    """Load a data folder in the given (or detected) layout; at least one purchase."""
    fmt = check_layout(path, fmt)
    loader = load_instacart if fmt == "instacart" else load_completejourney
    dataset = loader(path, max_users)
    if not dataset.events:
        raise ValidationError("data", str(path), f"holds no purchases in the {fmt} layout")
    return dataset


def learn(engine: GraphitiPersonalizationEngine, events: Sequence[Event], desc: str) -> None:
    """Record events in batches with a progress bar, then fit the population model."""

    def batches() -> Iterator[list[Event]]:
        for start in range(0, len(events), 5_000):
            yield list(events[start : start + 5_000])

    total = (len(events) + 4_999) // 5_000
    for batch in progress(batches(), total, desc, unit=" batches"):
        engine.record_many(batch)
    with step("fitting the population model"):
        engine.fit()


def _next_order(dataset: Dataset, engine: GraphitiPersonalizationEngine, user: str) -> datetime:
    """When the shopper's next order is: known for Instacart, else one usual gap ahead."""
    known = dataset.next_order_at.get(user)
    if known is not None:
        return known
    gap = engine.preferences(user).days_between_orders or 7.0
    return engine.clock() + timedelta(days=gap)


def _shows(dataset: Dataset, engine: GraphitiPersonalizationEngine, user: str) -> set[str]:
    """What this shopper would show: the capabilities with a non-empty, telling answer."""
    shown = set()
    if engine.dietary_profile(user).avoided:
        shown.add("dietary")
    if engine.reorder_due(user, _next_order(dataset, engine, user)).due:
        shown.add("restock")
    if any(item.quantity > 1 for item in engine.usual_order(user, 5).items):
        shown.add("quantity")
    shown.add(f"budget:{engine.budget_profile(user).sensitivity}")
    house = engine.household_profile(user)
    shown.add(f"household:{house.shared_probability > house.prior}")
    return shown


def pick_shoppers(dataset: Dataset, engine: GraphitiPersonalizationEngine, n: int) -> list[str]:
    """``n`` shoppers with long histories who, between them, show every capability.

    Reproducible: a seeded sample of shoppers with at least 8 orders, then a greedy cover of
    what each would show (an inferred avoidance, a due restock, a quantity above 1, each
    budget verdict, an account above and one below the household prior).
    """
    orders = {u: engine.usual_order(u, 1).orders_seen for u in dataset.users}
    seasoned = sorted(u for u, o in orders.items() if o >= 8) or sorted(orders)
    pool = random.Random(7).sample(seasoned, min(_CANDIDATE_POOL, len(seasoned)))
    shows = {u: _shows(dataset, engine, u) for u in pool}
    covered: set[str] = set()
    chosen: list[str] = []
    while len(chosen) < min(n, len(pool)):
        best = max(
            (u for u in pool if u not in chosen),
            key=lambda u: (len(shows[u] - covered), len(shows[u])),
        )
        chosen.append(best)
        covered |= shows[best]
    return chosen


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
    """Load, learn, and print all ten capabilities for ``shoppers`` shoppers, with reasons."""
    if shoppers < 1:
        raise ValidationError("shoppers", shoppers, "must be at least 1")
    started = time.perf_counter()
    path = find_data(data)
    check_layout(path, fmt)  # a wrong folder or format fails here, in one line, before any output
    echo(f"LeafLoaf demo — learning from {path}")
    with step(f"loading {path}"):
        dataset = load(path, fmt, max_users)
    last = max(e.ts for e in dataset.events)
    engine = GraphitiPersonalizationEngine(dataset.catalog, clock=lambda: last)
    learn(engine, dataset.events, "learning")
    echo(
        f"learned {len(dataset.events):,} purchases of {len(dataset.users):,} shoppers over "
        f"{len(dataset.catalog):,} products in {time.perf_counter() - started:.1f}s"
    )
    notes = _data_notes(dataset)
    for note in notes:
        echo(f"note: {note}")
    with step("picking shoppers who show every capability"):
        chosen = pick_shoppers(dataset, engine, shoppers)
    for user in chosen:
        _show(dataset, engine, user, echo, notes)
    echo(f"\ndone in {time.perf_counter() - started:.1f}s")


def _data_notes(dataset: Dataset) -> list[str]:
    """What the data cannot show, said once: no quantities, no prices."""
    notes = []
    if all(e.quantity == 1 for e in dataset.events):
        notes.append(
            "this data records no quantities (every line is 1), so quantity memory can only "
            "say 1; The Complete Journey data (the default) has them"
        )
    if all(e.unit_price is None for e in dataset.events):
        notes.append(
            "this data has no prices, so price sensitivity stays 'unknown'; The Complete "
            "Journey data (the default) has them"
        )
    return notes


def _line(text: str, reasons: Sequence[Reason]) -> str:
    return f"  {text}  — {'; '.join(r.text for r in reasons)}" if reasons else f"  {text}"


def _show(
    dataset: Dataset,
    engine: GraphitiPersonalizationEngine,
    user: str,
    echo: Callable[[str], None],
    notes: Sequence[str] = (),
) -> None:
    catalog = dataset.catalog
    prefs = engine.preferences(user)
    gap = (
        f", an order every ~{prefs.days_between_orders:.0f} days"
        if prefs.days_between_orders
        else ""
    )
    echo(f"\n=== Shopper {user}: {prefs.orders} orders, {prefs.lines} items{gap} ===")

    # 1. preference schema
    liked = ", ".join(f"{attribute_label(a.attribute)} ×{a.lift:.1f}" for a in prefs.affinities[:3])
    echo(
        f"Preferences (schema v{prefs.schema_version}, {len(prefs.model_dump_json()):,} bytes "
        f"of JSON): budget {prefs.budget}; likes more than most: {liked or 'nothing yet'}"
    )

    # 3. my usual
    usual = engine.usual_order(user, 5)
    echo(f"Usual order ({usual.reasons[0]}):")
    for item in usual.items:
        echo(_line(f"{item.quantity:g} × {item.name}", item.reasons))

    # 4. restock
    at = _next_order(dataset, engine, user)
    due = engine.reorder_due(user, at)
    echo(f"Restocks for their next order on {at:%Y-%m-%d} ({len(due.due)} due):")
    if not due.due:
        echo(
            "  none due: no product reaches a 50% chance of being needed by then "
            "(most likely below)"
        )
    for restock in due.items[:5]:
        mark = "due" if restock.due else "not yet"
        echo(_line(f"{restock.name} — {restock.probability:.0%}, {mark}", restock.reasons[:2]))

    # 5. next basket
    basket = engine.next_basket(user, 5, at=at)
    echo(f"Next basket predicted for {at:%Y-%m-%d}:")
    for scored in basket:
        echo(_line(scored.name, scored.reasons[:2]))

    # 2. smart re-ranking of search results
    _show_search(dataset, engine, user, echo)

    # 6. dietary
    diet = engine.dietary_profile(user)
    if diet.avoided:
        echo("Dietary avoidances (inferred, never told):")
        for avoidance in diet.avoided[:4]:
            label = attribute_label(avoidance.attribute)
            echo(_line(f"{label} ({avoidance.probability:.0%})", avoidance.reasons))
    else:
        echo(_line("Dietary avoidances: none confidently inferred", diet.reasons))

    # 7. complements
    pair = [item.product_id for item in usual.items[:2]]
    names = " + ".join(catalog.name(p) for p in pair)
    complements = engine.complements(user, pair, 3)
    echo(f"Complements for a basket of {names}:")
    if not complements:
        echo("  none: no product is bought with these more often than on its own")
    for comp in complements:
        echo(_line(comp.name, comp.reasons))

    # 8. quantity memory
    echo("Suggested quantities:")
    for item in usual.items[:3]:
        q = engine.suggest_quantity(user, item.product_id)
        echo(_line(f"{q.quantity:g} × {catalog.name(item.product_id)}", q.reasons))

    # 9. budget
    budget = engine.budget_profile(user)
    echo(_line(f"Price sensitivity: {budget.sensitivity}", budget.reasons))

    # 10. household
    house = engine.household_profile(user)
    # the probability averages the host's prior: say which side of it this account is on
    side = "more" if house.shared_probability > house.prior else "less"
    verdict = f"{side} likely shared than a typical account"
    echo(_line(f"Household: {verdict} ({house.shared_probability:.0%} vs. {house.prior:.0%})",
               house.reasons))  # fmt: skip


def _show_search(
    dataset: Dataset,
    engine: GraphitiPersonalizationEngine,
    user: str,
    echo: Callable[[str], None],
) -> None:
    """Top five before and after personalising, each reason beside the item it explains."""
    word = search_word(dataset, engine, user)
    pop = engine.population
    candidates = sorted(_matches(dataset, word), key=lambda p: -pop.item_lines.get(p, 0.0))[:200]
    ranked = engine.rerank(user, candidates, query=word)
    width = 42
    echo(f'Search "{word}", {len(candidates)} matches re-ranked for this shopper:')
    echo(f"  {'everyone (most bought)':<{width}} | {'this shopper':<{width}}   why")
    for n, (base, mine) in enumerate(zip(candidates[:5], ranked[:5], strict=False), start=1):
        left = _fit(f"{n}. {dataset.catalog.name(base)}", width)
        right = _fit(f"{n}. {mine.name}", width)
        why = mine.reasons[0].text if mine.reasons else ""
        echo(f"  {left:<{width}} | {right:<{width}} — {why}")


def _fit(text: str, width: int) -> str:
    """``text`` cut to ``width`` characters, keeping a trailing ``#<product_id>`` whole.

    >>> _fit("Ramen Noodles/Ramen Cups 2.25 OZ #981946", 30)
    'Ramen Noodles/Ramen C… #981946'
    """
    if len(text) <= width:
        return text
    head, sep, pid = text.rpartition(" #")
    tail = f"{sep}{pid}" if sep and len(pid) < width // 2 else ""
    body = head if tail else text
    return f"{body[: width - len(tail) - 1]}…{tail}"
