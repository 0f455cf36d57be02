"""Budget/price awareness: how a shopper's unit prices compare with what others buy.

Two figures, both from :mod:`leafloaf.learning.prices`:

* **price position** — the shopper's mean position of log price per unit of size within
  comparable groups (category × mass/volume/count, or per package without a size),
  relative to the population's typical purchase there, shrunk toward 0 by the learned
  prior: negative buys cheaper than most, positive dearer;
* **cheaper probability** — the probability that the shopper's next comparable purchase is
  priced below the typical purchase of its group (a Beta-binomial posterior mean; checked
  for calibration on held-out baskets by ``leafloaf evaluate budget``).

The label compares the shopper's rate with the population's: ``"price-sensitive"`` when the
posterior probability that their rate is above the population's reaches ``credibility``
(the host's choice, 0.9 by default), ``"premium"`` when that of it being below does, else
``"mainstream"`` — so a shopper with three priced lines is not called anything yet.
"""

from __future__ import annotations

import math

import numpy as np

from leafloaf.catalog import Catalog
from leafloaf.errors import ValidationError
from leafloaf.learning.population import PopulationModel
from leafloaf.learning.prices import shopper_prices
from leafloaf.learning.stats import UserStats
from leafloaf.models import BudgetProfile, Reason

__all__ = ["budget_profile"]


def budget_profile(
    stats: UserStats,
    population: PopulationModel,
    catalog: Catalog,
    credibility: float = 0.9,
) -> BudgetProfile:
    """Price position, the probability of picking the cheaper option, and a label.

    ``credibility`` is how sure the engine must be that the shopper picks below-typical
    prices more (or less) often than shoppers overall before labelling them.
    """
    if not (isinstance(credibility, float | int) and 0.5 < credibility < 1):
        raise ValidationError("credibility", credibility, "must be a probability in (0.5, 1)")
    found = shopper_prices(stats, population.prices)
    n = int(found.lines)
    if found.position is None or found.cheaper_probability is None or population.prices is None:
        return BudgetProfile(
            user_id=stats.user_id,
            lines_priced=n,
            price_position=None,
            standard_error=None,
            percentile=None,
            cheaper_probability=None,
            typical_cheaper_rate=None,
            sensitivity="unknown",
            reasons=[_why_unknown(stats)],
        )
    z = found.position
    rate = population.prices.base_rate
    p, sd = found.cheaper_probability, found.cheaper_sd or 0.0
    # posterior P(rate > population rate), normal approximation of the Beta posterior
    above = 0.5 * (1 + math.erf((p - rate) / (sd * math.sqrt(2)))) if sd > 0 else 0.5
    label = (
        "price-sensitive"
        if above >= credibility
        else "premium"
        if above <= 1 - credibility
        else "mainstream"
    )
    reasons = [
        _position(z, n),
        Reason.of("price_cheaper_share", probability=p, typical=rate, lines=n),
    ]
    positions = population.price_positions
    percentile = None
    if len(positions):
        percentile = float(np.searchsorted(positions, z) / len(positions))
        reasons.append(Reason.of("price_percentile", percentile=percentile))
    return BudgetProfile(
        user_id=stats.user_id,
        lines_priced=n,
        price_position=z,
        standard_error=found.standard_error,
        percentile=percentile,
        cheaper_probability=p,
        typical_cheaper_rate=rate,
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


def _why_unknown(stats: UserStats) -> Reason:
    priced = int(sum(item.priced for item in stats.items.values()))
    if priced == 0:
        return Reason.of("no_prices")
    return Reason.of("prices_incomparable", priced=priced)
