"""Reorder/restock: the probability each product belongs in an order placed at time ``at``.

Per shopper × product the mean interval between purchases is estimated from the purchase
count over the shopper's observed span (``(last order - first purchase + gap) / n``); the
interval around that mean is log-normal with a log-variance learned per shopper × product,
shrunk toward the product's and the population's (:mod:`leafloaf.learning.regularity`). A
product bought ``n`` times is still "in the repertoire" with the prior probability learned
from everyone (the share of products bought ``n`` times that were bought again). Shoppers
buy what they will need within about half an order gap, so the item is in the order at
``at`` when the need arises before ``at + gap/2``; orders placed since the last purchase
without it are evidence that the need had not arisen yet, weighed by the learned
probability that a need is met at the next order (a break with no orders says nothing).
The result is recalibrated on held-out baskets in the refit. "Due" means a probability of
at least the host's ``EngineConfig.due_probability`` (one half by default).
"""

from __future__ import annotations

from leafloaf.catalog import Catalog
from leafloaf.learning.population import PopulationModel
from leafloaf.learning.regularity import (
    SKIP_WINDOW,
    IntervalRegularity,
    restock_probability,
    typical_interval,
)
from leafloaf.learning.stats import UserStats
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
    fit = population.regularity or IntervalRegularity.pooled(population.interval_shape)
    own = fit.shopper.get(stats.user_id, {})
    products, prior = fit.product_log_var, fit.global_log_var
    nu, rho, calibration = fit.nu_shopper, fit.reliability, fit.calibration
    half = gap / 2
    lookback = SKIP_WINDOW + 1
    out = {}
    for pid, item in stats.purchased.items():
        n = item.lines
        last = item.last_day
        mean = typical_interval(n, item.first_day, last_order, gap)
        elapsed = at_day - last
        log_var = products.get(pid, prior)
        mine = own.get(pid)
        if mine is not None:
            log_var = (nu * log_var + mine[1]) / (nu + mine[0])
        # orders since the last purchase without the item (the latest few decide; see
        # restock_probability), as offsets from that purchase shifted by the half-gap
        skipped = [d - last + half for d in days[-lookback:] if d > last + 1e-9]
        out[pid] = (
            restock_probability(
                mean,
                log_var,
                population.repeat_probability(n),
                rho,
                skipped,
                elapsed + half,
                calibration,
            ),
            mean,
            elapsed,
        )
    return out


def reorder_items(
    stats: UserStats,
    population: PopulationModel,
    catalog: Catalog,
    at_day: float,
    threshold: float = 0.5,
) -> list[ReorderItem]:
    """Every purchased product with its probability of being needed at ``at_day``; those
    at ``threshold`` or above are due."""
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
                due=p >= threshold,
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
