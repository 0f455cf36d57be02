"""Household detection: does an account behave like several people shopping together?

Behavioural signs of a shared account, measured per shopper and compared with everyone:
*parallel repertoires* (two or more different products of the same category each bought
repeatedly over overlapping periods — two kinds of milk, two cereals), larger baskets and a
broader repertoire. A two-component Gaussian mixture over the population's standardised
features separates the accounts; the component with more parallel repertoires is the
"shared" one. Declared member ids are direct evidence and override the mixture.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from leafloaf.catalog import Catalog
from leafloaf.learning.stats import UserStats

__all__ = ["FEATURES", "HouseholdMixture", "fit_household_mixture", "household_features"]

FEATURES = ("parallel_repertoire", "repertoire_breadth")
"""Features the mixture is fitted on (basket size is reported but does not separate well)."""


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
            overlap = any(spans[i + 1][0] < spans[i][1] for i in range(len(spans) - 1))
            parallel += overlap
    return {
        "parallel_repertoire": parallel / max(len(by_category), 1),
        "log_basket_size": math.log(lines / orders),
        "repertoire_breadth": len(purchased) / max(lines, 1.0),
    }


@dataclass(frozen=True)
class HouseholdMixture:
    """Two-component diagonal Gaussian mixture over standardised household features."""

    center: NDArray[np.float64]
    scale: NDArray[np.float64]
    weights: NDArray[np.float64]
    means: NDArray[np.float64]
    variances: NDArray[np.float64]
    shared: int
    n_users: int

    def probability(self, features: dict[str, float]) -> float:
        """Posterior probability of the "shared" component."""
        x = (np.array([features[f] for f in FEATURES]) - self.center) / self.scale
        log_p = _log_density(x[None, :], self.weights, self.means, self.variances)[0]
        log_p -= log_p.max()
        p = np.exp(log_p)
        return float(p[self.shared] / p.sum())

    def percentile(self, name: str, value: float, population: NDArray[np.float64]) -> float:
        """Share of shoppers below ``value`` on feature ``name``."""
        column = population[:, FEATURES.index(name)]
        return float((column < value).mean()) if len(column) else 0.5


def _log_density(
    x: NDArray[np.float64],
    weights: NDArray[np.float64],
    means: NDArray[np.float64],
    variances: NDArray[np.float64],
) -> NDArray[np.float64]:
    diff = x[:, None, :] - means[None, :, :]
    ll = -0.5 * ((diff**2) / variances[None] + np.log(2 * np.pi * variances[None])).sum(-1)
    result: NDArray[np.float64] = ll + np.log(weights)[None, :]
    return result


def fit_household_mixture(
    matrix: NDArray[np.float64], iterations: int = 200
) -> HouseholdMixture | None:
    """EM fit on a users × features matrix; None when there are too few shoppers to compare."""
    if len(matrix) < 10:
        return None
    center = matrix.mean(0)
    scale = matrix.std(0) + 1e-9
    x = (matrix - center) / scale
    order = np.argsort(x[:, 0])
    half = len(x) // 2
    means = np.stack([x[order[:half]].mean(0), x[order[half:]].mean(0)])
    variances = np.ones((2, x.shape[1]))
    weights = np.array([0.5, 0.5])
    floor = 0.05
    for _ in range(iterations):
        log_p = _log_density(x, weights, means, variances)
        log_p -= log_p.max(1, keepdims=True)
        resp = np.exp(log_p)
        resp /= resp.sum(1, keepdims=True)
        nk = resp.sum(0) + 1e-9
        weights = np.clip(nk / nk.sum(), 0.02, 0.98)
        weights /= weights.sum()
        means = (resp.T @ x) / nk[:, None]
        variances = np.maximum((resp.T @ (x**2)) / nk[:, None] - means**2, floor)
    shared = int(np.argmax(means[:, 0]))
    return HouseholdMixture(center, scale, weights, means, variances, shared, len(matrix))
