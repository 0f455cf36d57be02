"""Next basket: what this shopper will most likely buy in their next order.

Blends three learned signals, each a probability-like share in ``[0, 1]``:
recency-weighted order share (the usual order), restock timing at the order's time (the
reorder model), and the weighted mean usual basket of the shopper's nearest neighbours
(which also proposes products they never bought). The blend weights are global
(``EngineConfig.timing_weight``, ``personal_weight``) and ``leafloaf evaluate`` tunes them
on each user's validation basket — never per product or per data set in code.
"""

from __future__ import annotations

from collections.abc import Mapping

from leafloaf.config import EngineConfig
from leafloaf.learning.population import PopulationModel
from leafloaf.learning.reorder import reorder_probabilities
from leafloaf.learning.stats import UserStats
from leafloaf.learning.usual import usual_scores

__all__ = ["blend", "next_basket_scores"]


def next_basket_scores(
    stats: UserStats,
    population: PopulationModel,
    config: EngineConfig,
    at_day: float | None,
) -> dict[str, tuple[float, float, float, float]]:
    """``{product: (score, usual share, restock probability, neighbour share)}``."""
    days = stats.basket_days()
    ref = days[-1] if days else (at_day or 0.0)
    usual = usual_scores(stats, population, config, ref)
    timing = reorder_probabilities(stats, population, at_day) if at_day is not None else {}
    neighbours: dict[str, float] = {}
    if population.neighbourhood is not None and config.neighbours > 0 and days:
        own = usual_scores(stats, None, config, ref)
        neighbours = population.neighbourhood.scores(own, config.neighbours, stats.user_id)
    return blend(
        usual, {p: v[0] for p, v in timing.items()}, neighbours,
        config.timing_weight, config.personal_weight,
    )  # fmt: skip


def blend(
    usual: Mapping[str, float],
    timing: Mapping[str, float],
    neighbours: Mapping[str, float],
    timing_weight: float,
    personal_weight: float,
) -> dict[str, tuple[float, float, float, float]]:
    """Combine the three signals: ``{product: (score, usual, timing, neighbours)}``.

    A missing signal gives its weight back to the others (no timing → frequency only,
    no neighbours → personal only).

    >>> blend({"a": 0.5}, {"a": 1.0}, {"b": 0.2}, 0.5, 0.8)["a"][0]
    0.6000000000000001
    """
    w_time = timing_weight if timing else 0.0
    alpha = personal_weight if neighbours else 1.0
    out = {}
    for pid in set(usual) | set(neighbours):
        u = usual.get(pid, 0.0)
        r = timing.get(pid, 0.0)
        n = neighbours.get(pid, 0.0)
        personal = (1 - w_time) * u + w_time * r
        out[pid] = (alpha * personal + (1 - alpha) * n, u, r, n)
    return out
