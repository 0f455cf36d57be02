"""Household detection: does an account behave like several people shopping together?

Behavioural signs of a shared account, measured per shopper: *parallel repertoires* (two or
more different products of the same category each bought repeatedly over overlapping
periods — two kinds of milk, two cereals), a broader repertoire, larger baskets and a less
regular order rhythm. Which combination matters is learned without labels by
self-supervision: at fit time the engine pairs random real shoppers into synthetic shared
accounts (their histories merged — half as two people ordering separately, half as one
joint order per week) and fits a logistic regression telling merged accounts from real
ones. ``shared_probability`` is that model's posterior under an even prior.
Declared member ids are direct evidence and override it.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray

from leafloaf.catalog import Catalog
from leafloaf.learning.pacing import paced
from leafloaf.learning.stats import Item, UserStats

__all__ = ["FEATURES", "HouseholdModel", "fit_household_model", "household_features"]

FEATURES = (
    "parallel_repertoire",
    "repertoire_breadth",
    "log_basket_size",
    "gap_irregularity",
)


def household_features(stats: UserStats, catalog: Catalog) -> dict[str, float] | None:
    """The features of one shopper, or None with fewer than two orders."""
    orders = stats.orders
    if orders < 2:
        return None
    purchased = stats.purchased
    lines = sum(it.lines for it in purchased.values())
    by_category: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for pid, item in purchased.items():
        category = catalog.category(pid)
        if category is not None and item.lines >= 2:
            by_category[category].append((item.first_day, item.last_day))
    parallel = 0
    for spans in by_category.values():
        if len(spans) >= 2:
            spans.sort()
            parallel += any(spans[i + 1][0] < spans[i][1] for i in range(len(spans) - 1))
    days = np.asarray(stats.basket_days())
    gaps = np.diff(days)
    irregularity = float(gaps.std() / (gaps.mean() + 1e-9)) if len(gaps) >= 2 else 0.0
    return {
        "parallel_repertoire": parallel / max(len(by_category), 1),
        "repertoire_breadth": len(purchased) / max(lines, 1.0),
        "log_basket_size": math.log(lines / orders),
        "gap_irregularity": irregularity,
    }


def merge_stats(a: UserStats, b: UserStats, joint: bool = False) -> UserStats:
    """Two shoppers' statistics as if one account had made both histories.

    ``joint=False``: each keeps their own orders (two people ordering separately);
    ``joint=True``: their k-th orders become one order at the first shopper's time (a couple
    shopping together), so baskets grow and the order rhythm stays the first shopper's.
    """
    items: dict[str, Item] = dict(a.items)
    for pid, item in b.items.items():
        mine = items.get(pid)
        if mine is None:
            items[pid] = item
        else:
            items[pid] = Item(
                mine.lines + item.lines,
                mine.quantity + item.quantity,
                float(np.logaddexp(mine.log_decayed, item.log_decayed)),
                min(mine.first_day, item.first_day),
                max(mine.last_day, item.last_day),
                mine.log_price_sum + item.log_price_sum,
                mine.priced + item.priced,
                mine.views + item.views,
                mine.carts + item.carts,
                mine.removes + item.removes,
                mine.dismisses + item.dismisses,
            )
    if joint:
        first_orders = sorted(a.baskets.values(), key=lambda v: v[1])
        second_orders = sorted(b.baskets.values(), key=lambda v: v[1])
        baskets: dict[str, Sequence[float]] = {}
        for k in range(max(len(first_orders), len(second_orders))):
            if k < len(first_orders) and k < len(second_orders):
                x, y = first_orders[k], second_orders[k]
                baskets[f"j{k}"] = (x[0] + y[0], x[1], x[2], x[3] + y[3])
            else:
                baskets[f"j{k}"] = first_orders[k] if k < len(first_orders) else second_orders[k]
    else:
        baskets = {f"a{k}": v for k, v in a.baskets.items()}
        baskets.update({f"b{k}": v for k, v in b.baskets.items()})
    return UserStats(f"{a.user_id}+{b.user_id}", items, baskets, {}, {}, {}, {}, {})


@dataclass(frozen=True)
class HouseholdModel:
    """Logistic regression separating synthetic merged accounts from real ones."""

    center: NDArray[np.float64]
    scale: NDArray[np.float64]
    weights: NDArray[np.float64]
    bias: float
    population: NDArray[np.float64]
    """Features of the real shoppers (for percentiles in reasons)."""
    population_users: tuple[str, ...] = ()
    """Whose features each row of ``population`` holds."""

    def without(self, user_id: str) -> HouseholdModel:
        """The model with a forgotten shopper's features dropped from the percentile base."""
        if user_id not in self.population_users:
            return self
        keep = [u != user_id for u in self.population_users]
        users = tuple(u for u in self.population_users if u != user_id)
        return replace(self, population=self.population[keep], population_users=users)

    def probability(self, features: dict[str, float]) -> float:
        """P(shared account | features) under an even prior."""
        x = (np.array([features[f] for f in FEATURES]) - self.center) / self.scale
        return float(1.0 / (1.0 + np.exp(-(x @ self.weights + self.bias))))

    def percentile(self, name: str, value: float) -> float:
        """Share of real shoppers below ``value`` on feature ``name``."""
        column = self.population[:, FEATURES.index(name)]
        return float((column < value).mean()) if len(column) else 0.5


def fit_household_model(
    users: Sequence[UserStats] | Mapping[str, UserStats],
    catalog: Catalog,
    seed: int = 0,
    draws: int = 16,
) -> HouseholdModel | None:
    """Fit on real shoppers vs. synthetic two-shopper merges; None if under 10 shoppers.

    ``draws`` merges per real shopper (capped at 20,000 in all), weighted so both classes
    weigh the same: more draws make the detector depend less on which pairs the seeded
    generator happened to pick. ``users`` may be a mapping that builds each shopper's
    statistics when asked (a population fit never holds them all at once).
    """
    by_id = users if isinstance(users, Mapping) else {s.user_id: s for s in users}
    ids = sorted(by_id)  # the same answers whatever the arrival order
    real, real_ids, eligible = [], [], []
    for user_id in paced(ids):
        stats = by_id[user_id]
        features = household_features(stats, catalog)
        if features is not None:
            real.append(features)
            real_ids.append(user_id)
        if stats.orders >= 2:
            eligible.append(user_id)
    real_users = tuple(real_ids)
    if len(real) < 10:
        return None
    rng = random.Random(seed)
    merged = []
    for n in paced(range(min(len(real) * draws, max(20_000, len(real))))):
        a, b = (by_id[u] for u in rng.sample(eligible, 2))
        # half the synthetic households order separately, half together
        features = household_features(merge_stats(a, b, joint=n % 2 == 1), catalog)
        if features is not None:
            merged.append(features)
    x_real = np.array([[f[k] for k in FEATURES] for f in real])
    x_merged = np.array([[f[k] for k in FEATURES] for f in merged])
    x = np.vstack([x_real, x_merged])
    y = np.concatenate([np.zeros(len(x_real)), np.ones(len(x_merged))])
    weight = np.concatenate(
        [np.ones(len(x_real)), np.full(len(x_merged), len(x_real) / max(len(x_merged), 1))]
    )
    center, scale = x.mean(0), x.std(0) + 1e-9
    z = (x - center) / scale
    w, bias = _logistic(z, y, weight)
    return HouseholdModel(center, scale, w, bias, x_real, real_users)


def _logistic(
    x: NDArray[np.float64],
    y: NDArray[np.float64],
    weight: NDArray[np.float64] | None = None,
    l2: float = 1.0,
) -> tuple[NDArray[np.float64], float]:
    """L2-regularised, sample-weighted logistic regression by Newton's method."""
    weight = np.ones(len(y)) if weight is None else weight
    design = np.hstack([x, np.ones((len(x), 1))])
    beta = np.zeros(design.shape[1])
    penalty = np.eye(design.shape[1]) * l2
    penalty[-1, -1] = 0.0
    for _ in range(50):
        p = 1.0 / (1.0 + np.exp(-(design @ beta)))
        gradient = design.T @ (weight * (p - y)) + penalty @ beta
        hessian = (design * (weight * p * (1 - p))[:, None]).T @ design + penalty
        step = np.linalg.solve(hessian, gradient)
        beta -= step
        if np.abs(step).max() < 1e-8:
            break
    return beta[:-1], float(beta[-1])
