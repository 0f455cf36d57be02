"""Reorder/restock: the probability each product belongs in an order placed at time ``at``.

Per shopper × product the mean interval between purchases is estimated from the purchase
count over the shopper's observed span (``(last order - first purchase + gap) / n``); the
interval distribution around that mean is a gamma whose shape ``κ`` is fitted on the whole
population. A product bought ``n`` times is still "in the repertoire" with the prior
probability learned from everyone (the share of products bought ``n`` times that were bought
again). Shoppers buy what they will need within about half an order gap, so the item is in
the order at ``at`` when the need arises before ``at + gap/2`` — and, if orders were placed
since the last purchase without it, after ``last such order + gap/2``; a long run of orders
without it lowers the repertoire probability by Bayes, a break with no orders does not.
"Due" means a probability of at least one half.
"""

from __future__ import annotations

from leafloaf.catalog import Catalog
from leafloaf.learning.population import PopulationModel
from leafloaf.learning.stats import UserStats, gamma_cdf
from leafloaf.models import Reason, ReorderItem

__all__ = ["reorder_items", "reorder_probabilities"]


def reorder_probabilities(
    stats: UserStats, population: PopulationModel, at_day: float
) -> dict[str, tuple[float, float, float]]:
    """``{product: (probability, typical interval, days since last)}`` at ``at_day``."""
    days = [d for d in stats.basket_days() if d <= at_day] or stats.basket_days()
    if not days:
        return {}
    gap = max(stats.mean_gap() or population.median_gap, 1e-3)
    last_order = days[-1]
    shape = population.interval_shape
    out = {}
    for pid, item in stats.purchased.items():
        n = item.lines
        mean = max((last_order - item.first_day + gap) / n, 1e-3)
        scale = mean / shape
        elapsed = at_day - item.last_day
        # Shoppers buy what they will need within about half an order gap. An order placed
        # after the last purchase without the item says the need had not arisen by then;
        # with no such order (a break), nothing is known about the time in between.
        skipped = [d for d in days if d > item.last_day + 1e-9]
        lo = (skipped[-1] - item.last_day) + gap / 2 if skipped else 0.0
        hi = max(elapsed + gap / 2, 0.0)
        lo = min(lo, hi)
        f_lo = gamma_cdf(lo, shape, scale)
        f_hi = gamma_cdf(hi, shape, scale)
        active = population.repeat_probability(n)
        denominator = active * (1.0 - f_lo) + (1.0 - active)
        p = active * (f_hi - f_lo) / denominator if denominator > 0 else 0.0
        out[pid] = (min(max(p, 0.0), 1.0), mean, elapsed)
    return out


def reorder_items(
    stats: UserStats, population: PopulationModel, catalog: Catalog, at_day: float
) -> list[ReorderItem]:
    """Every purchased product with its probability of being needed at ``at_day``."""
    out = []
    for pid, (p, mean, elapsed) in reorder_probabilities(stats, population, at_day).items():
        n = stats.items[pid].lines
        out.append(
            ReorderItem(
                product_id=pid,
                name=catalog.name(pid),
                probability=p,
                days_since_last=elapsed,
                typical_interval_days=mean,
                due=p >= 0.5,
                reasons=[
                    Reason.of("bought_once_so_far")
                    if n == 1
                    else Reason.of("bought_every", times=n, days=mean),
                    Reason.of("last_bought", days=round(elapsed)),
                    Reason.of("needed_now", probability=p),
                ],
            )
        )
    out.sort(key=lambda r: (-r.probability, r.product_id))
    return out
