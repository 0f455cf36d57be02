"""Basket-sequence data for evaluation, from the Instacart, DNNTSP and Complete Journey layouts."""

from __future__ import annotations

import json
import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from leafloaf.catalog import Catalog
from leafloaf.datasets import (
    Dataset,
    check_layout,
    load_completejourney,
    load_completejourney_demographics,
    load_instacart,
)
from leafloaf.errors import ValidationError
from leafloaf.models import Product

__all__ = ["Basket", "BasketData", "check_basket_data", "detect_format", "load_basket_data"]

DNNTSP_START = datetime(2020, 1, 6, tzinfo=UTC)
"""The DNNTSP layout has no timestamps: baskets are placed one week apart from here."""


@dataclass(frozen=True)
class Basket:
    """One order: when, which products (distinct), and quantities/prices where known."""

    at: datetime
    items: tuple[str, ...]
    quantities: dict[str, float] = field(default_factory=dict)
    prices: dict[str, float] = field(default_factory=dict)


@dataclass
class BasketData:
    """Every user's baskets in time order, plus the catalog they refer to."""

    name: str
    catalog: Catalog
    baskets: dict[str, list[Basket]]
    has_quantities: bool = False
    has_prices: bool = False
    households: dict[str, dict[str, str]] = field(default_factory=dict)
    """Real household facts per user where the data carry them (Complete Journey
    demographics: ``household_size``, ``kids_count``, ...); read by evaluations only."""

    def sample_users(self, n: int | None, seed: int) -> BasketData:
        """A reproducible random subset of ``n`` users (all when ``n`` is None)."""
        if n is not None and n < 1:
            raise ValidationError("users", n, "must be at least 1 (or None for all)")
        if n is None or n >= len(self.baskets):
            return self
        users = sorted(self.baskets)
        chosen = random.Random(seed).sample(users, n)
        return BasketData(
            self.name,
            self.catalog,
            {u: self.baskets[u] for u in sorted(chosen)},
            self.has_quantities,
            self.has_prices,
            {u: self.households[u] for u in sorted(chosen) if u in self.households},
        )


def detect_format(path: Path) -> str:
    """``instacart``, ``dnntsp`` or ``completejourney`` from what the path holds."""
    if path.is_file() and path.suffix == ".json":
        return "dnntsp"
    if path.is_dir():
        if any(path.glob("transactions.csv*")):
            return "completejourney"
        if any(path.glob("orders*.csv*")):
            return "instacart"
    raise ValidationError("data", str(path), "is neither an Instacart/Complete Journey folder "
                          "nor a DNNTSP .json file")  # fmt: skip


def check_basket_data(path: str | Path, fmt: str | None = None) -> str:
    """The format of ``path``, checked from file names and header lines (quick).

    Raises :class:`ValidationError` naming what is missing: a wrong path or ``--format`` fails
    here, before anything slow starts.
    """
    path = Path(path)
    if not path.exists():
        raise ValidationError("data", str(path), "does not exist")
    fmt = fmt or detect_format(path)
    if fmt == "dnntsp":
        _dnntsp_sequences(path)  # small files: reading one is the only full check
        return fmt
    if fmt not in ("instacart", "completejourney"):
        raise ValidationError("format", fmt, "choose instacart, dnntsp or completejourney")
    return check_layout(path, fmt)


def _from_dataset(data: Dataset) -> dict[str, list[Basket]]:
    grouped: dict[tuple[str, str], list[tuple[datetime, str, float, float | None]]] = defaultdict(
        list
    )
    for e in data.events:
        key = (e.user_id, e.basket_id or e.ts.date().isoformat())
        grouped[key].append((e.ts, e.product_id or "", e.quantity, e.unit_price))
    per_user: dict[str, list[Basket]] = defaultdict(list)
    for (user, _), lines in grouped.items():
        quantities: dict[str, float] = defaultdict(float)
        prices: dict[str, float] = {}
        for _, pid, qty, price in lines:
            quantities[pid] += qty
            if price is not None:
                prices[pid] = price
        at = min(ts for ts, *_ in lines)
        items = tuple(dict.fromkeys(pid for _, pid, _, _ in lines))
        per_user[user].append(Basket(at, items, dict(quantities), prices))
    for baskets in per_user.values():
        baskets.sort(key=lambda b: b.at)
    return dict(per_user)


def _dnntsp_sequences(path: Path) -> dict[str, list[list[int]]]:
    """``{user: [basket, ...]}`` from a DNNTSP file (or the first ``.json`` in a folder)."""
    if path.is_dir():
        found = sorted(path.glob("*.json"))
        if not found:
            raise ValidationError("data", str(path), "holds no .json file: not DNNTSP data")
        path = found[0]
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ValidationError("data", str(path), f"is not JSON ({err}): not DNNTSP data") from None
    parts = (
        [raw.get(part) for part in ("train", "validate", "test")] if isinstance(raw, dict) else []
    )
    if not any(isinstance(part, dict) for part in parts):
        raise ValidationError(
            "data", str(path), "has no train/validate/test objects of user baskets: not DNNTSP data"
        )
    sequences: dict[str, list[list[int]]] = {}
    for part in parts:
        for user, seq in (part or {}).items():
            sequences[str(user)] = seq
    return sequences


def load_basket_data(path: str | Path, fmt: str | None = None) -> BasketData:
    """Load any supported layout by path (``fmt`` detected when None)."""
    path = Path(path)
    fmt = check_basket_data(path, fmt)
    if fmt == "instacart":
        data = load_instacart(path)
        return BasketData(path.name, data.catalog, _from_dataset(data))
    if fmt == "completejourney":
        data = load_completejourney(path)
        households = load_completejourney_demographics(path)
        return BasketData(path.name, data.catalog, _from_dataset(data), True, True, households)
    if fmt == "dnntsp":
        sequences = _dnntsp_sequences(path)
        items = sorted({i for seq in sequences.values() for b in seq for i in b})
        catalog = Catalog(Product(product_id=str(i), name=f"item {i}") for i in items)
        baskets = {
            user: [
                Basket(DNNTSP_START + timedelta(days=7 * n), tuple(dict.fromkeys(map(str, b))))
                for n, b in enumerate(seq)
                if b
            ]
            for user, seq in sequences.items()
        }
        return BasketData(path.stem, catalog, baskets)
    raise ValidationError("format", fmt, "choose instacart, dnntsp or completejourney")
