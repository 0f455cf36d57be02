"""Next basket: what this shopper will most likely buy in their next order.

Blends three learned signals, each a probability-like share in ``[0, 1]``:
recency-weighted order share (the usual order), restock timing at the order's time (the
reorder model), and the weighted mean usual basket of the shopper's nearest neighbours
(which also proposes products they never bought). The blend weights, the half-life and
the neighbourhood size are global: learned by the population refit on held-out latest
baskets (:mod:`leafloaf.learning.nextbasket_fit`) unless ``EngineConfig`` sets them —
never per product or per data set in code.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np

from leafloaf.config import EngineConfig
from leafloaf.learning.population import PopulationModel
from leafloaf.learning.reorder import reorder_probabilities
from leafloaf.learning.stats import UserStats
from leafloaf.learning.usual import served_half_life, usual_scores

__all__ = ["blend", "next_basket_knobs", "next_basket_scores", "next_basket_top"]

Parts = tuple[float, float, float, float]
"""(score, usual share, restock probability, neighbour share)."""


def next_basket_knobs(
    config: EngineConfig, population: PopulationModel
) -> tuple[float, float, int]:
    """``(timing weight, personal weight, neighbours)`` served: the host's where set in
    ``config``, else the population refit's learned ones."""
    fit = population.next_basket
    return (
        config.timing_weight if config.timing_weight is not None else fit.timing_weight,
        config.personal_weight if config.personal_weight is not None else fit.personal_weight,
        config.neighbours if config.neighbours is not None else fit.neighbours,
    )


def _signals(
    stats: UserStats, population: PopulationModel, config: EngineConfig, at_day: float | None
) -> tuple[dict[str, float], dict[str, float], dict[str, float] | None]:
    """The shopper's usual shares, restock probabilities, and their own share vector (the
    neighbours' query; None when no neighbourhood applies)."""
    days = stats.basket_days()
    ref = days[-1] if days else (at_day or 0.0)
    usual = usual_scores(stats, population, config, ref)
    timing = reorder_probabilities(stats, population, at_day) if at_day is not None else {}
    own = None
    hood = population.neighbourhood
    _, alpha, k = next_basket_knobs(config, population)
    if hood is not None and days and k > 0 and alpha < 1:  # neighbours weigh something
        own = usual_scores(stats, None, config, ref, served_half_life(config, population))
    return usual, {p: v[0] for p, v in timing.items()}, own


def _mix(u: float, r: float, n: float, w_time: float, alpha: float) -> Parts:
    """One product's blend of its usual share, restock probability and neighbour share."""
    return (alpha * ((1 - w_time) * u + w_time * r) + (1 - alpha) * n, u, r, n)


def next_basket_scores(
    stats: UserStats,
    population: PopulationModel,
    config: EngineConfig,
    at_day: float | None,
) -> dict[str, Parts]:
    """``{product: (score, usual share, restock probability, neighbour share)}``."""
    usual, restock, own = _signals(stats, population, config, at_day)
    w_time, alpha, k = next_basket_knobs(config, population)
    neighbours: dict[str, float] = {}
    if own is not None and population.neighbourhood is not None:
        neighbours = population.neighbourhood.scores(own, k, stats.user_id)
    return blend(usual, restock, neighbours, w_time, alpha)


def blend(
    usual: Mapping[str, float],
    timing: Mapping[str, float],
    neighbours: Mapping[str, float],
    timing_weight: float,
    personal_weight: float,
) -> dict[str, Parts]:
    """Combine the three signals: ``{product: (score, usual, timing, neighbours)}``.

    A missing signal gives its weight back to the others (no timing → frequency only,
    no neighbours → personal only).

    >>> blend({"a": 0.5}, {"a": 1.0}, {"b": 0.2}, 0.5, 0.8)["a"][0]
    0.6000000000000001
    """
    w_time = timing_weight if timing else 0.0
    alpha = personal_weight if neighbours else 1.0
    return {
        pid: _mix(usual.get(pid, 0.0), timing.get(pid, 0.0), neighbours.get(pid, 0.0),
                  w_time, alpha)
        for pid in set(usual) | set(neighbours)
    }  # fmt: skip


def next_basket_top(
    stats: UserStats,
    population: PopulationModel,
    config: EngineConfig,
    at_day: float | None,
    k: int,
    keep: Callable[[str], bool],
) -> list[tuple[str, Parts]]:
    """The ``k`` best products that ``keep`` accepts, best first (ties by product id): the
    same list as sorting all of :func:`next_basket_scores`, without building it.

    The shopper's own products (a few dozen) are blended one by one. Every other product
    scores ``(1 - personal_weight) × neighbour share``, so only the best of the dense
    neighbour array are looked at: a partial sort picks them, ties at the cut included,
    and the pick widens only when ``keep`` refuses too many.
    """
    usual, restock, own = _signals(stats, population, config, at_day)
    timing_weight, alpha, k_near = next_basket_knobs(config, population)
    hood = population.neighbourhood
    dense = None
    if own is not None and hood is not None:
        dense = hood.dense_scores(own, k_near, stats.user_id)
    if hood is None or dense is None or not dense.any():
        scores = blend(usual, restock, {}, timing_weight, alpha)
        ranked = sorted(scores.items(), key=lambda kv: (-kv[1][0], kv[0]))
        return [(pid, parts) for pid, parts in ranked if keep(pid)][:k]
    index, items = hood.item_index, hood.items
    w_time = timing_weight if restock else 0.0
    # blend's candidates: the shopper's usual products, and any they are due to restock
    # that a neighbour also bought
    extra = [p for p in restock if p not in usual and p in index and dense[index[p]] != 0]
    mine: dict[str, Parts] = {}
    for pid in [*usual, *extra]:
        i = index.get(pid)
        n = float(dense[i]) if i is not None else 0.0
        mine[pid] = _mix(usual.get(pid, 0.0), restock.get(pid, 0.0), n, w_time, alpha)
    others = dense.copy()
    for pid in mine:
        i = index.get(pid)
        if i is not None:
            others[i] = 0.0  # scored above, with the shopper's own share
    available = int(np.count_nonzero(others))
    personal = sorted(mine.items(), key=lambda kv: (-kv[1][0], kv[0]))
    width = k + 16
    while True:
        take = min(width, available)
        picked: list[tuple[str, Parts]] = []
        if take:
            cut = np.argpartition(-others, take - 1)[:take]
            floor = others[cut].min()
            chosen = np.flatnonzero(others >= floor)  # ties at the cut: the id decides
            picked = [(items[i], _mix(0.0, 0.0, float(others[i]), w_time, alpha))
                      for i in chosen.tolist()]  # fmt: skip
        merged = sorted([*personal, *picked], key=lambda kv: (-kv[1][0], kv[0]))
        top = [(pid, parts) for pid, parts in merged if keep(pid)][:k]
        if len(top) >= k or take >= available:
            return top
        width *= 4
