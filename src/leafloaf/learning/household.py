"""Household detection: is an account shared by more than one person?

Behavioural signs of a shared account, measured per shopper: *parallel repertoires* (two or
more different products of the same category each bought repeatedly over overlapping
periods — two kinds of milk, two cereals), a broader repertoire, larger baskets and a less
regular order rhythm. Which combination matters is learned without labels by
self-supervision: at fit time the engine pairs random real shoppers into synthetic shared
accounts (their histories merged — half as two people ordering separately, half as one
joint order per week) and fits a logistic regression telling merged accounts from real
ones; its odds are a density ratio, not a probability. How much of the real population
behaves like such merges is learned too (:func:`merged_share`), and the probability is
the host's prior share of shared accounts moved by that evidence (:class:`HouseholdModel`),
so it averages the prior instead of claiming the even odds the training classes had.
Declared member ids are direct evidence and override it.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
from numpy.typing import NDArray

from leafloaf.catalog import Catalog
from leafloaf.learning.pacing import paced
from leafloaf.learning.stats import Item, UserStats

__all__ = ["FEATURES", "MERGE_KINDS", "HouseholdModel", "fit_household_model", "household_features"]

FEATURES = (
    "parallel_repertoire",
    "repertoire_breadth",
    "log_basket_size",
    "gap_irregularity",
)


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
            parallel += any(spans[i + 1][0] < spans[i][1] for i in range(len(spans) - 1))
    days = np.asarray(stats.basket_days())
    gaps = np.diff(days)
    irregularity = float(gaps.std() / (gaps.mean() + 1e-9)) if len(gaps) >= 2 else 0.0
    return {
        "parallel_repertoire": parallel / max(len(by_category), 1),
        "repertoire_breadth": len(purchased) / max(lines, 1.0),
        "log_basket_size": math.log(lines / orders),
        "gap_irregularity": irregularity,
    }


def merge_stats(a: UserStats, b: UserStats, joint: bool = False) -> UserStats:
    """Two shoppers' statistics as if one account had made both histories.

    ``joint=False``: each keeps their own orders (two people ordering separately);
    ``joint=True``: their k-th orders become one order at the first shopper's time (a couple
    shopping together), so baskets grow and the order rhythm stays the first shopper's.
    """
    items: dict[str, Item] = dict(a.items)
    for pid, item in b.items.items():
        mine = items.get(pid)
        if mine is None:
            items[pid] = item
        else:
            items[pid] = Item(
                mine.lines + item.lines,
                mine.quantity + item.quantity,
                float(np.logaddexp(mine.log_decayed, item.log_decayed)),
                min(mine.first_day, item.first_day),
                max(mine.last_day, item.last_day),
                mine.log_price_sum + item.log_price_sum,
                mine.priced + item.priced,
                mine.views + item.views,
                mine.carts + item.carts,
                mine.removes + item.removes,
                mine.dismisses + item.dismisses,
            )
    if joint:
        first_orders = sorted(a.baskets.values(), key=lambda v: v[1])
        second_orders = sorted(b.baskets.values(), key=lambda v: v[1])
        baskets: dict[str, Sequence[float]] = {}
        for k in range(max(len(first_orders), len(second_orders))):
            if k < len(first_orders) and k < len(second_orders):
                x, y = first_orders[k], second_orders[k]
                baskets[f"j{k}"] = (x[0] + y[0], x[1], x[2], x[3] + y[3])
            else:
                baskets[f"j{k}"] = first_orders[k] if k < len(first_orders) else second_orders[k]
    else:
        baskets = {f"a{k}": v for k, v in a.baskets.items()}
        baskets.update({f"b{k}": v for k, v in b.baskets.items()})
    return UserStats(f"{a.user_id}+{b.user_id}", items, baskets, {}, {}, {}, {}, {})


MERGE_KINDS = ("separate", "joint")
"""How a synthetic shared account is made: two people ordering apart, or one joint order."""


@dataclass(frozen=True)
class HouseholdModel:
    """P(account shared by more than one person | features), from a prior and the evidence.

    Learned without labels. A logistic regression telling synthetic merged accounts from
    the real ones gives every account a score (its log odds: how merge-like it looks).
    The real accounts' scores are then deconvolved as a mixture: single shoppers (a normal
    distribution fitted to them) and, per merge kind, a share ``shares[k]`` of accounts
    scoring like merges of two single shoppers made that way (a normal distribution fitted
    to those merges, each weighted by how single-looking both its sources are). EM fits
    the shares and the single component; ``q(x)``, the posterior of the merge components,
    is the probability that the account is one of the merge-like ones. A kind nobody
    shops like ends with no share.

    Shared accounts need not look like merges (one person often shops for the household),
    so the host's ``prior`` share of shared accounts (:attr:`~leafloaf.EngineConfig.
    household_prior`) covers the rest: ``P(shared | x) = q + (1 - q) * (prior - S) / (1 - S)``
    with ``S`` the summed share (scaled down to ``prior`` when it exceeds it). Averaged over
    the fitted accounts this is about the prior: behaviour moves an account from it as far
    as the data support.
    """

    center: NDArray[np.float64]
    scale: NDArray[np.float64]
    weights: NDArray[np.float64]
    bias: float
    shares: NDArray[np.float64]
    """Learned share of real accounts scoring like each merge kind (:data:`MERGE_KINDS`)."""
    means: NDArray[np.float64]
    """Score mean of the single component, then of each merge kind."""
    sds: NDArray[np.float64]
    """Score standard deviation of the single component, then of each merge kind."""
    population: NDArray[np.float64]
    """Features of the real shoppers (for percentiles in reasons)."""
    population_users: tuple[str, ...] = ()
    """Whose features each row of ``population`` holds."""
    _curves: dict[float, tuple[NDArray[np.float64], NDArray[np.float64]]] = field(
        default_factory=dict, compare=False, repr=False
    )
    """Cached non-decreasing posterior curves, by the (scaled) total share."""

    @property
    def merged_share(self) -> float:
        """Learned share of real accounts that behave like two shoppers' histories merged."""
        return float(self.shares.sum())

    def without(self, user_id: str) -> HouseholdModel:
        """The model with a forgotten shopper's features dropped from the percentile base."""
        if user_id not in self.population_users:
            return self
        keep = [u != user_id for u in self.population_users]
        users = tuple(u for u in self.population_users if u != user_id)
        return replace(self, population=self.population[keep], population_users=users)

    def score(self, features: Mapping[str, float]) -> float:
        """How merge-like the features look: the merged-vs-real log odds."""
        x = (np.array([features[f] for f in FEATURES]) - self.center) / self.scale
        return float(x @ self.weights + self.bias)

    def probability(self, features: Mapping[str, float], prior: float) -> float:
        """P(shared account | features) when a share ``prior`` of accounts is shared.

        One account on the read path: the same formula as :meth:`probabilities` in plain
        floats (numpy's per-call overhead on three components is most of the cost).
        """
        x = sum(
            (features[f] - c) / d * w
            for f, c, d, w in zip(
                FEATURES, self.center.tolist(), self.scale.tolist(), self.weights.tolist(),
                strict=True,
            )
        ) + self.bias  # fmt: skip
        shares = _scaled(self.shares, prior)
        key = round(float(shares.sum()), 12)
        curve = self._curves.get(key)
        if curve is None:
            curve = self._curves[key] = _rising(shares, self.means, self.sds)
        total = float(shares.sum())
        weights = [max(1.0 - total, 0.0), *shares.tolist()]
        logs = [
            (math.log(w) - 0.5 * ((x - m) / sd) ** 2 - math.log(sd)) if w > 0 else -math.inf
            for w, m, sd in zip(weights, self.means.tolist(), self.sds.tolist(), strict=True)
        ]
        top = max(logs)
        density = [math.exp(v - top) for v in logs]
        q = 1.0 - density[0] / sum(density)
        grid, rising = curve
        if x >= grid[-1]:
            q = max(q, float(rising[-1]))
        elif x > grid[0]:
            q = max(q, float(np.interp(x, grid, rising)))
        rest = (prior - total) / (1.0 - total) if total < 1 else 0.0
        return min(max(q + (1.0 - q) * rest, 0.0), 1.0)

    def probabilities(self, scores: NDArray[np.float64], prior: float) -> NDArray[np.float64]:
        """P(shared account | score) for many scores at once."""
        shares = _scaled(self.shares, prior)
        key = round(float(shares.sum()), 12)
        curve = self._curves.get(key)
        if curve is None:  # a few per model (one per prior below the learned share)
            curve = self._curves[key] = _rising(shares, self.means, self.sds)
        return _posterior(scores, shares, self.means, self.sds, prior, curve)

    def percentile(self, name: str, value: float) -> float:
        """Share of real shoppers below ``value`` on feature ``name``."""
        column = self.population[:, FEATURES.index(name)]
        return float((column < value).mean()) if len(column) else 0.5


def _responsibilities(
    scores: NDArray[np.float64],
    shares: NDArray[np.float64],
    means: NDArray[np.float64],
    sds: NDArray[np.float64],
) -> NDArray[np.float64]:
    """Posterior of each component (single first, then the merge kinds) for each score."""
    weights = np.concatenate([[max(1.0 - float(shares.sum()), 0.0)], shares])
    with np.errstate(divide="ignore"):
        log_w = np.log(weights)
    z = (scores[:, None] - means[None, :]) / sds[None, :]
    log_density = log_w[None, :] - 0.5 * z**2 - np.log(sds)[None, :]
    log_density -= log_density.max(axis=1, keepdims=True)
    density = np.exp(log_density)
    return np.asarray(density / density.sum(axis=1, keepdims=True), dtype=np.float64)


def _scaled(shares: NDArray[np.float64], prior: float) -> NDArray[np.float64]:
    """The shares, scaled down to ``prior`` when the data hold more merge-like accounts
    than the host expects."""
    total = float(shares.sum())
    return shares * (prior / total) if total > prior else shares


def _rising(
    shares: NDArray[np.float64], means: NDArray[np.float64], sds: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """The merge components' posterior on a score grid, made non-decreasing.

    With a wider single component, its density overtakes the merges' again far above them,
    and the most merge-like accounts would read as less likely shared: the curve is the
    running maximum of the posterior from below.
    """
    grid = np.linspace(float((means - 4 * sds).min()), float((means + 4 * sds).max()), 257)
    q = 1.0 - _responsibilities(grid, shares, means, sds)[:, 0]
    return grid, np.maximum.accumulate(q)


def _posterior(
    scores: NDArray[np.float64],
    shares: NDArray[np.float64],
    means: NDArray[np.float64],
    sds: NDArray[np.float64],
    prior: float,
    curve: tuple[NDArray[np.float64], NDArray[np.float64]] | None = None,
) -> NDArray[np.float64]:
    """P(shared | score) for each score, under the host's prior share."""
    shares = _scaled(shares, prior)
    total = float(shares.sum())
    grid, rising = curve if curve is not None else _rising(shares, means, sds)
    q = 1.0 - _responsibilities(scores, shares, means, sds)[:, 0]
    q = np.maximum(q, np.interp(scores, grid, rising, left=0.0, right=float(rising[-1])))
    rest = (prior - total) / (1.0 - total) if total < 1 else 0.0
    return np.clip(q + (1.0 - q) * rest, 0.0, 1.0)


_ROUNDS = 50
"""EM rounds over the shares and the single component; the merge components are refitted
every round from merges reweighted by their sources' single-ness."""
_START_SHARE = 0.1
"""Each merge kind's share before the first round; EM moves it to what the data hold."""


def fit_household_model(
    users: Sequence[UserStats] | Mapping[str, UserStats],
    catalog: Catalog,
    seed: int = 0,
    draws: int = 16,
) -> HouseholdModel | None:
    """Fit on real shoppers and synthetic two-shopper merges; None if under 10 shoppers.

    ``draws`` merges per real shopper (capped at 20,000 in all), the kinds alternating:
    more draws make the detector depend less on which pairs the seeded generator happened
    to pick. ``users`` may be a mapping that builds each shopper's statistics when asked
    (a population fit never holds them all at once).
    """
    by_id = users if isinstance(users, Mapping) else {s.user_id: s for s in users}
    ids = sorted(by_id)  # the same answers whatever the arrival order
    real, real_ids = [], []
    for user_id in paced(ids):
        features = household_features(by_id[user_id], catalog)
        if features is not None:
            real.append(features)
            real_ids.append(user_id)
    if len(real) < 10:
        return None
    rng = random.Random(seed)
    merged, kinds, sources = [], [], []
    for n in paced(range(min(len(real) * draws, max(20_000, len(real))))):
        i, j = rng.sample(range(len(real_ids)), 2)
        kind = n % len(MERGE_KINDS)
        a, b = by_id[real_ids[i]], by_id[real_ids[j]]
        features = household_features(merge_stats(a, b, joint=kind == 1), catalog)
        if features is not None:
            merged.append(features)
            kinds.append(kind)
            sources.append((i, j))
    x_real = np.array([[f[k] for k in FEATURES] for f in real])
    x_merged = np.array([[f[k] for k in FEATURES] for f in merged]).reshape(-1, len(FEATURES))
    x = np.vstack([x_real, x_merged])
    y = np.concatenate([np.zeros(len(x_real)), np.ones(len(x_merged))])
    weight = np.concatenate(  # both classes weigh the same
        [np.ones(len(x_real)), np.full(len(x_merged), len(x_real) / max(len(x_merged), 1))]
    )
    center, scale = x.mean(0), x.std(0) + 1e-9
    z = (x - center) / scale
    w, bias = _logistic(z, y, weight)
    real_scores = z[: len(x_real)] @ w + bias
    merged_scores = z[len(x_real) :] @ w + bias
    shares, means, sds = _deconvolve(
        real_scores,
        merged_scores,
        np.array(kinds, dtype=np.int64),
        np.array(sources, dtype=np.int64).reshape(-1, 2),
    )
    return HouseholdModel(center, scale, w, bias, shares, means, sds, x_real, tuple(real_ids))


def _deconvolve(
    real: NDArray[np.float64],
    merged: NDArray[np.float64],
    kinds: NDArray[np.int64],
    sources: NDArray[np.int64],
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """EM for the real scores as single shoppers plus merge-like accounts of each kind.

    The merge components are not free: each is the normal distribution of that kind's
    merged scores, every merge weighted by the single-ness of its two sources (a merge of
    a real household with another account is four people, not two). Only the shares and
    the single component are fitted to the real accounts.
    """
    floor = max(float(real.std()), 1e-6) * 1e-3
    shares = np.full(len(MERGE_KINDS), _START_SHARE)
    means = np.zeros(len(MERGE_KINDS) + 1)
    sds = np.ones(len(MERGE_KINDS) + 1)
    means[0], sds[0] = float(real.mean()), max(float(real.std()), floor)
    single = np.ones(len(real))
    for _ in range(_ROUNDS):
        pair = single[sources[:, 0]] * single[sources[:, 1]] if len(sources) else sources
        for k in range(len(MERGE_KINDS)):
            mine = kinds == k
            total = float(pair[mine].sum()) if mine.any() else 0.0
            if total <= 1e-9:
                shares[k] = 0.0
                continue
            means[k + 1] = float(np.average(merged[mine], weights=pair[mine]))
            spread = np.average((merged[mine] - means[k + 1]) ** 2, weights=pair[mine])
            sds[k + 1] = max(math.sqrt(float(spread)), floor)
        responsibility = _responsibilities(real, shares, means, sds)
        shares = responsibility[:, 1:].mean(axis=0)
        single = responsibility[:, 0]
        if single.sum() > 1e-9:
            means[0] = float(np.average(real, weights=single))
            spread = np.average((real - means[0]) ** 2, weights=single)
            sds[0] = max(math.sqrt(float(spread)), floor)
    return shares, means, sds


def _logistic(
    x: NDArray[np.float64],
    y: NDArray[np.float64],
    weight: NDArray[np.float64] | None = None,
    l2: float = 1.0,
) -> tuple[NDArray[np.float64], float]:
    """L2-regularised, sample-weighted logistic regression by Newton's method."""
    weight = np.ones(len(y)) if weight is None else weight
    design = np.hstack([x, np.ones((len(x), 1))])
    beta = np.zeros(design.shape[1])
    penalty = np.eye(design.shape[1]) * l2
    penalty[-1, -1] = 0.0
    for _ in range(50):
        p = 1.0 / (1.0 + np.exp(-(design @ beta)))
        gradient = design.T @ (weight * (p - y)) + penalty @ beta
        hessian = (design * (weight * p * (1 - p))[:, None]).T @ design + penalty
        step = np.linalg.solve(hessian, gradient)
        beta -= step
        if np.abs(step).max() < 1e-8:
            break
    return beta[:-1], float(beta[-1])
