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

import numpy as np

from leafloaf.catalog import Catalog
from leafloaf.learning.population import PopulationModel
from leafloaf.learning.regularity import (
    SKIP_WINDOW,
    IntervalRegularity,
    restock_probabilities,
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
    fit = population.regularity or IntervalRegularity.pooled(population.interval_shape)
    own = fit.shopper.get(stats.user_id, {})
    products, prior = fit.product_log_var, fit.global_log_var
    nu = fit.nu_shopper
    half = gap / 2
    lookback = SKIP_WINDOW + 1
    items = stats.purchased
    n_items = len(items)
    if not n_items:
        return {}
    pids = list(items)
    lines = np.empty(n_items)
    first = np.empty(n_items)
    last = np.empty(n_items)
    log_var = np.empty(n_items)
    for i, pid in enumerate(pids):
        item = items[pid]
        lines[i], first[i], last[i] = item.lines, item.first_day, item.last_day
        v = products.get(pid, prior)
        mine = own.get(pid)
        log_var[i] = v if mine is None else (nu * v + mine[1]) / (nu + mine[0])
    order_days = np.asarray(days, dtype=np.float64)
    # typical_interval, for every product at once
    mean = np.maximum((order_days[-1] - first + gap) / np.maximum(lines, 1.0), 1e-3)
    elapsed = at_day - last
    repeat = population.repeat_after or [0.5]
    active = np.asarray(repeat)[np.minimum(np.maximum(lines.astype(np.int64), 1), len(repeat)) - 1]
    # orders since the last purchase without the item (the latest few decide; see
    # restock_probability), as offsets from that purchase shifted by the half-gap
    count = len(order_days) - np.searchsorted(order_days, last + 1e-9, side="right")
    recent = order_days[-lookback:]
    offsets = np.full((n_items, lookback), np.nan)
    after = recent[None, :] > last[:, None] + 1e-9  # only orders after the purchase
    offsets[:, lookback - len(recent) :] = np.where(
        after, recent[None, :] - last[:, None] + half, np.nan
    )
    p = restock_probabilities(
        mean, log_var, active, fit.reliability, offsets, count.astype(np.float64),
        elapsed + half, fit.calibration,
    )  # fmt: skip
    return {pid: (float(p[i]), float(mean[i]), float(elapsed[i])) for i, pid in enumerate(pids)}


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
