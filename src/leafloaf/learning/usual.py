""" "My usual": the products a shopper buys in most of their orders, recency-weighted.

Score = recency-weighted share of the shopper's orders containing the product, with each
order weighted ``2^(-age / half-life)`` and a small prior pulling thin histories toward
how often anyone's basket holds the product (personal item frequency with time decay, the
strongest simple baseline in the next-basket literature).
"""

from __future__ import annotations

import math
from collections.abc import Callable

from leafloaf.catalog import Catalog
from leafloaf.config import EngineConfig
from leafloaf.learning.nextbasket_fit import STORAGE_HALF_LIFE_DAYS
from leafloaf.learning.population import PopulationModel
from leafloaf.learning.quantity import suggest_quantity
from leafloaf.learning.stats import Item, UserStats
from leafloaf.models import Reason, UsualItem, UsualOrder

__all__ = ["served_half_life", "storage_half_life", "usual_order", "usual_scores"]


def served_half_life(config: EngineConfig, population: PopulationModel | None) -> float:
    """The recency half-life served: the host's, else the population's learned one."""
    if config.half_life_days is not None:
        return config.half_life_days
    if population is not None:
        return population.next_basket.half_life_days
    return STORAGE_HALF_LIFE_DAYS


def storage_half_life(config: EngineConfig) -> float:
    """The half-life of the decayed sums kept in each shopper's rows."""
    return config.half_life_days if config.half_life_days is not None else STORAGE_HALF_LIFE_DAYS


def _decayed(item: Item, rate: float, stored: float, now_day: float) -> float:
    """``Σ 2^(-age / half-life)`` over a product's purchases, from its stored row.

    At the stored rate it is the stored sum. Otherwise the first and last purchase are
    exact and the ones between are placed at the time their stored sum implies (exact for
    up to two purchases; a product bought on one day is exact at any rate)."""
    if rate == stored:
        return math.exp(item.log_decayed - rate * now_day)
    n, first, last = item.lines, item.first_day, item.last_day
    at_last = math.exp(rate * (last - now_day))
    if n <= 1.0 or first >= last:
        return n * at_last
    earliest = math.exp(stored * (first - last))  # relative to the last purchase, stored rate
    between = n - 2.0
    if between <= 0.0:
        return at_last * (1.0 + math.exp(rate * (first - last)))
    mean = (math.exp(item.log_decayed - stored * last) - earliest - 1.0) / between
    mean = min(max(mean, earliest), 1.0)
    spread: float = mean ** (rate / stored)
    return at_last * (1.0 + math.exp(rate * (first - last)) + between * spread)


def usual_scores(
    stats: UserStats,
    population: PopulationModel | None,
    config: EngineConfig,
    now_day: float,
    half_life: float | None = None,
) -> dict[str, float]:
    """Recency-weighted order share of every product the shopper bought.

    Without a population the shares are raw (no prior), as used for neighbour vectors.
    ``half_life`` defaults to the served one (:func:`served_half_life`).
    """
    h = half_life if half_life is not None else served_half_life(config, population)
    rate = math.log(2) / h
    stored = math.log(2) / storage_half_life(config)
    if h == storage_half_life(config):
        stored = rate
    decayed_orders = sum(math.exp(rate * (b[1] - now_day)) for b in stats.baskets.values())
    # a product is in at most every order (rebuilt sums may overshoot by a little)
    if population is None:
        return {
            pid: min(_decayed(item, rate, stored, now_day), decayed_orders)
            / max(decayed_orders, 1e-12)
            for pid, item in stats.purchased.items()
        }
    prior = config.item_prior
    n_baskets = max(population.n_baskets, 1)
    scores = {}
    for pid, item in stats.purchased.items():
        decayed = min(_decayed(item, rate, stored, now_day), decayed_orders)
        base = population.item_lines.get(pid, 0.0) / n_baskets
        scores[pid] = (decayed + prior * base) / (decayed_orders + prior)
    return scores


def usual_order(
    stats: UserStats,
    population: PopulationModel,
    catalog: Catalog,
    config: EngineConfig,
    now_day: float,
    k: int,
    skip: Callable[[str], bool] | None = None,
) -> UsualOrder:
    """The top ``k`` products of a shopper's usual order, each with a suggested quantity.

    Products for which ``skip`` is true (say, ones the shopper avoids) are left out.
    """
    orders = stats.orders
    if orders == 0:
        return UsualOrder(
            user_id=stats.user_id, items=[], orders_seen=0, reasons=[Reason.of("no_purchases")]
        )
    scores = usual_scores(stats, population, config, now_day)
    if skip is not None:
        scores = {pid: score for pid, score in scores.items() if not skip(pid)}
    top = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))[:k]
    items = []
    for pid, score in top:
        item = stats.items[pid]
        qty = suggest_quantity(stats, population, pid, config, catalog)
        reasons = [
            Reason.of("in_orders", lines=item.lines, orders=orders),
            _last_bought(now_day - item.last_day),
        ]
        if qty.quantity != 1:
            reasons.append(Reason.of("usual_quantity", quantity=qty.quantity))
        items.append(
            UsualItem(
                product_id=pid,
                name=catalog.name(pid),
                score=min(max(score, 0.0), 1.0),
                quantity=qty.quantity,
                reasons=reasons,
            )
        )
    return UsualOrder(
        user_id=stats.user_id,
        items=items,
        orders_seen=orders,
        reasons=[
            Reason.of(
                "usual_ranking", orders=orders, half_life=served_half_life(config, population)
            )
        ],
    )


def _last_bought(days_before_latest: float) -> Reason:
    days = round(max(days_before_latest, 0.0))
    if days == 0:
        return Reason.of("in_latest_order")
    return Reason.of("last_bought_before_latest", days=days)
