"""Budget/price awareness: where a shopper's prices sit within each category.

Each priced line contributes the z-score of its log unit price within its category (the
category's spread across products), so buying the cheap yoghurt and the mid-price coffee
counts the same everywhere. The shopper's mean z, its standard error and its percentile
among all shoppers give the label; the cut points are the population's terciles.
"""

from __future__ import annotations

import math

import numpy as np

from leafloaf.catalog import Catalog
from leafloaf.learning.population import PopulationModel, price_position
from leafloaf.learning.stats import UserStats
from leafloaf.models import BudgetProfile, Reason

__all__ = ["budget_profile"]

_MIN_LINES = 3
_MIN_SHOPPERS = 10


def budget_profile(
    stats: UserStats, population: PopulationModel, catalog: Catalog
) -> BudgetProfile:
    """Price position, its uncertainty and a population-relative label."""
    z, n = price_position(stats, population, catalog)
    if z is None or n < _MIN_LINES:
        return BudgetProfile(
            user_id=stats.user_id,
            lines_priced=n,
            price_position=z,
            standard_error=None,
            percentile=None,
            sensitivity="unknown",
            reasons=[_why_unknown(stats, n)],
        )
    se = 1.0 / math.sqrt(n)
    positions = population.price_positions
    reasons = [_position(z, n)]
    if len(positions) >= _MIN_SHOPPERS:
        percentile = float(np.searchsorted(positions, z) / len(positions))
        label = (
            "price-sensitive"
            if percentile < 1 / 3
            else "premium"
            if percentile > 2 / 3
            else "mainstream"
        )
        reasons.append(Reason.of("price_percentile", percentile=percentile))
    else:
        percentile = None
        label = (
            "price-sensitive" if z + 2 * se < 0 else "premium" if z - 2 * se > 0 else "mainstream"
        )
    return BudgetProfile(
        user_id=stats.user_id,
        lines_priced=n,
        price_position=z,
        standard_error=se,
        percentile=percentile,
        sensitivity=label,
        reasons=reasons,
    )


def _position(z: float, lines: int) -> Reason:
    # within a tenth of a standard deviation the 1-decimal figure would read "0.0 below"
    if abs(z) < 0.1:
        return Reason.of("price_typical", lines=lines, position=z)
    return Reason.of(
        "price_below" if z < 0 else "price_above", deviations=abs(z), lines=lines, position=z
    )


def _why_unknown(stats: UserStats, comparable: int) -> Reason:
    priced = int(sum(item.priced for item in stats.items.values()))
    if priced == 0:
        return Reason.of("no_prices")
    if comparable == 0:
        return Reason.of("prices_incomparable", priced=priced)
    return Reason.of("few_prices", priced=comparable)
