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
from leafloaf.learning.population import PopulationModel
from leafloaf.learning.quantity import suggest_quantity
from leafloaf.learning.stats import UserStats
from leafloaf.models import Reason, UsualItem, UsualOrder

__all__ = ["usual_order", "usual_scores"]


def usual_scores(
    stats: UserStats,
    population: PopulationModel | None,
    config: EngineConfig,
    now_day: float,
) -> dict[str, float]:
    """Recency-weighted order share of every product the shopper bought.

    Without a population the shares are raw (no prior), as used for neighbour vectors.
    """
    rate = math.log(2) / config.half_life_days
    decayed_orders = sum(math.exp(rate * (b[1] - now_day)) for b in stats.baskets.values())
    if population is None:
        return {
            pid: math.exp(item.log_decayed - rate * now_day) / max(decayed_orders, 1e-12)
            for pid, item in stats.purchased.items()
        }
    prior = config.item_prior
    n_baskets = max(population.n_baskets, 1)
    scores = {}
    for pid, item in stats.purchased.items():
        decayed = math.exp(item.log_decayed - rate * now_day)
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
        reasons=[Reason.of("usual_ranking", orders=orders, half_life=config.half_life_days)],
    )


def _last_bought(days_before_latest: float) -> Reason:
    days = round(max(days_before_latest, 0.0))
    if days == 0:
        return Reason.of("in_latest_order")
    return Reason.of("last_bought_before_latest", days=days)
