"""Price positions per unit of size, centred on what the population buys, and the learned
weight of the re-ranker's price term.

**Comparable groups.** A product's price is compared only with products of its category
measured the same way: its log price per gram, millilitre or item where the catalog gives
a size (:mod:`leafloaf.sizes`), else per package among its category's products without a
size. Within a group, a product's position ``z`` is its log unit price standardised by the
*population's purchases* (their median and scaled median absolute deviation over purchased
lines, not over the shelf), so the typical purchase sits at 0 and being "cheap" is relative
to what people buy, not to what is stocked. ``cheaper`` is, per product, the chance that it
is cheaper per unit than another shopper's purchase drawn at random from its group (ties
count one half): 0.5 on average over the population's purchases, by construction.

**A shopper's position** is the mean ``z`` of their purchased lines, shrunk toward 0 by
``shrinkage`` pseudo-lines: the within- over between-shopper variance ratio, fitted by the
method of moments over all shoppers (empirical Bayes), so a shopper with three lines sits
near the middle and one with three hundred is read at face value.

**Price sensitivity** is a probability: that the shopper's next purchase in a comparable
group is the cheaper of it and a random other purchase there: the mean ``cheaper`` chance of
the shopper's lines, shrunk toward the population's rate (about ½) by pseudo-lines fitted
the same way as the position's, so it is centred on what the population does. ``leafloaf
evaluate budget`` checks it against held-out baskets (calibration report).

**The weight** of the re-ranking term ``weight · position · z`` is fitted by held-out
likelihood: a bounded sample of shoppers each hold out their latest basket, and every
held-out item is a choice among its category's most bought products under the re-ranker's
other terms (own-history affinity and popularity order, as ``rerank`` scores them). The
maximum-likelihood weight (≥ 0) is kept only when, fitted on one half of the shoppers, it
raises the held-out likelihood of the other half (two-fold cross-fit); otherwise the weight
is 0 and the term is off.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from leafloaf.catalog import Catalog
from leafloaf.learning.holdout import basket_table, shopper_signatures
from leafloaf.learning.stats import UserStats
from leafloaf.sizes import product_size

__all__ = [
    "PriceModel",
    "ShopperPrices",
    "fit_price_model",
    "fit_price_weight",
    "shopper_prices",
]

_Z_CLIP = 3.0  # a product 3 spreads from the typical purchase is as far as the term reaches
_MAX_PRIOR = 1e6  # pseudo-counts meaning "no spread between shoppers": all read the same


@dataclass(frozen=True)
class PriceModel:
    """Per-product unit-price positions and the population priors of price sensitivity."""

    z: dict[str, float] = field(default_factory=dict)
    """Product → standardised log unit price within its comparable group (clipped to ±3)."""
    cheaper: dict[str, float] = field(default_factory=dict)
    """Product → chance it is cheaper per unit than a random purchase of its group (ties ½)."""
    group: dict[str, str] = field(default_factory=dict)
    """Product → comparable group, ``"<category>|<mass, volume, count or package>"``."""
    shrinkage: float = 1.0
    """Pseudo-lines pulling a shopper's position toward 0 (within / between variance)."""
    within_variance: float = 1.0
    """Variance of line positions around their shopper's mean (the position's noise)."""
    prior: tuple[float, float] = (1.0, 1.0)
    """Beta prior ``(a, b)`` of a shopper's rate of picking the cheaper option: ``a + b``
    pseudo-lines at the population's rate ``a / (a + b)``."""
    cheaper_variance: float = 0.25
    """Variance of lines' ``cheaper`` chance around their shopper's mean."""
    weight: float = 0.0
    """Learned weight of the re-ranking price term (0: it did not help on held-out baskets)."""
    weight_fit: dict[str, Any] = field(default_factory=dict)
    """How the weight was chosen: cases, shoppers, held-out log-likelihood gain per case."""

    @property
    def base_rate(self) -> float:
        """The population's rate of picking the cheaper option (the prior mean, about ½)."""
        a, b = self.prior
        return a / (a + b)


@dataclass(frozen=True)
class ShopperPrices:
    """What one shopper's comparable purchases say about their prices."""

    lines: float
    """Purchased lines of products with a unit-price position."""
    cheaper_lines: float
    position: float | None
    """Shrunk mean position (None without comparable lines); 0 is the typical purchase."""
    standard_error: float | None
    cheaper_probability: float | None
    """Posterior mean probability that a next comparable purchase is the cheaper per unit
    of it and a random other shopper's purchase in its group."""
    cheaper_sd: float | None
    """Posterior standard deviation of that rate."""


def shopper_prices(stats: UserStats, model: PriceModel | None) -> ShopperPrices:
    """A shopper's price position and sensitivity under a fitted :class:`PriceModel`."""
    n = k = total = 0.0
    if model is not None:
        z, cheaper = model.z, model.cheaper
        for pid, item in stats.items.items():
            zp = z.get(pid)
            if zp is None or item.lines <= 0:
                continue
            n += item.lines
            total += item.lines * zp
            k += item.lines * cheaper[pid]
    if model is None or n <= 0:
        return ShopperPrices(n, k, None, None, None, None)
    a, b = model.prior
    mean = (a + k) / (a + b + n)
    return ShopperPrices(
        lines=n,
        cheaper_lines=k,
        position=total / (n + model.shrinkage),
        standard_error=math.sqrt(model.within_variance / (n + model.shrinkage)),
        cheaper_probability=mean,
        cheaper_sd=math.sqrt(model.cheaper_variance / (a + b + n)),
    )


def _groups(
    catalog: Catalog, item_log_price: Mapping[str, float]
) -> dict[str, list[tuple[str, float]]]:
    """Comparable group → ``(product, log unit price)`` of every priced product in it."""
    groups: dict[str, list[tuple[str, float]]] = defaultdict(list)
    for pid, log_price in item_log_price.items():
        category = catalog.category(pid)
        if category is None or pid not in catalog:
            continue
        size = product_size(catalog.get(pid))
        if size is None:
            groups[f"{category}|package"].append((pid, log_price))
        else:
            groups[f"{category}|{size.dimension}"].append((pid, log_price - math.log(size.amount)))
    return groups


def _weighted_median(values: NDArray[np.float64], weights: NDArray[np.float64]) -> float:
    order = np.argsort(values, kind="stable")
    cumulative = np.cumsum(weights[order])
    return float(values[order][np.searchsorted(cumulative, cumulative[-1] / 2)])


def fit_price_model(
    catalog: Catalog,
    item_log_price: Mapping[str, float],
    item_lines: Mapping[str, float],
    columns: Any | None = None,
) -> tuple[PriceModel, list[float]]:
    """Positions per product and the population priors; also every shopper's position.

    ``item_log_price`` is each product's mean log price per package, ``item_lines`` its
    purchased lines over all shoppers (the weights of "what the population buys"). A group
    needs two or more purchased products with different unit prices to place anything.
    ``columns`` (the log's :class:`~leafloaf.learning.population.PurchaseColumns`) gives
    the shoppers' lines the priors are fitted on; without it they keep neutral defaults.
    """
    z: dict[str, float] = {}
    cheaper: dict[str, float] = {}
    group_of: dict[str, str] = {}
    for group, members in _groups(catalog, item_log_price).items():
        ids = [pid for pid, _ in members]
        values = np.asarray([lu for _, lu in members])
        weights = np.asarray([item_lines.get(pid, 0.0) for pid in ids])
        bought = weights > 0
        if bought.sum() < 2:
            continue
        # the typical purchase and its spread, robustly: a few free or mispriced lines
        # (a price of 0 logs as -20) must not move where everyone else sits; the factors
        # 1.4826 and 1.2533 make both spreads estimate a normal standard deviation
        median = _weighted_median(values[bought], weights[bought])
        spread = np.abs(values[bought] - median)
        scale = 1.4826 * _weighted_median(spread, weights[bought])
        if scale <= 1e-9:  # over half the purchases at one unit price: the mean deviation
            scale = 1.2533 * float(np.average(spread, weights=weights[bought]))
        if scale <= 1e-9:
            continue  # every purchase at one unit price: nothing to position
        # mid-rank of each unit price among the population's purchased lines
        sorted_values = np.sort(values[bought])
        cumulative = np.r_[0.0, np.cumsum(weights[bought][np.argsort(values[bought])])]
        below = cumulative[np.searchsorted(sorted_values, values, side="left")]
        upto = cumulative[np.searchsorted(sorted_values, values, side="right")]
        share_dearer = 1.0 - (below + upto) / 2 / cumulative[-1]
        for pid, lu, q in zip(ids, values.tolist(), share_dearer.tolist(), strict=True):
            z[pid] = max(min((lu - median) / scale, _Z_CLIP), -_Z_CLIP)
            cheaper[pid] = q
            group_of[pid] = group
    rows = _shopper_rows(columns, z, cheaper) if columns is not None else np.zeros((0, 5))
    shrinkage, within = _shrinkage(rows[:, 0], rows[:, 1], rows[:, 2])
    strength, cheaper_within = _shrinkage(rows[:, 0], rows[:, 3], rows[:, 4])
    lines = float(rows[:, 0].sum())
    rate = float(rows[:, 3].sum()) / lines if lines else 0.5
    rate = min(max(rate, 1e-6), 1 - 1e-6)
    prior = (strength * rate, strength * (1 - rate))
    model = PriceModel(z, cheaper, group_of, shrinkage, within, prior, cheaper_within)
    positions = np.sort(rows[:, 1] / (rows[:, 0] + shrinkage)).tolist()
    return model, positions


def _shopper_rows(
    columns: Any, z: Mapping[str, float], cheaper: Mapping[str, float]
) -> NDArray[np.float64]:
    """Per shopper with comparable lines: lines, Σ z, Σ z², Σ cheaper, Σ cheaper² (the same
    lines ``shopper_prices`` reads from a shopper's statistics, summed over the log)."""
    if len(columns.product) == 0:
        return np.zeros((0, 5))
    ids: list[str] = columns.product_ids
    zc = np.asarray([z.get(p, np.nan) for p in ids], dtype=np.float64)
    qc = np.asarray([cheaper.get(p, np.nan) for p in ids], dtype=np.float64)
    line_z, line_q = zc[columns.product], qc[columns.product]
    keep = ~np.isnan(line_z)
    user, line_z, line_q = columns.user[keep], line_z[keep], line_q[keep]
    size = int(columns.user.max()) + 1
    n = np.bincount(user, minlength=size).astype(np.float64)
    sums = [np.bincount(user, weights=w, minlength=size) for w in
            (line_z, line_z * line_z, line_q, line_q * line_q)]  # fmt: skip
    out = np.column_stack([n, *sums])
    return out[n > 0]


def _shrinkage(
    n: NDArray[np.float64], s: NDArray[np.float64], s2: NDArray[np.float64]
) -> tuple[float, float]:
    """``(σ² / τ², σ²)`` from per-shopper lines, Σ value and Σ value²: the variance of
    lines around their shopper's mean over the variance of shoppers' true means (method of
    moments), i.e. the pseudo-lines of the normal-normal posterior mean."""
    several = n >= 2
    if several.sum() < 2:
        return 1.0, 1.0
    n, s, s2 = n[several], s[several], s2[several]
    within = float(np.sum(s2 - s * s / n) / np.sum(n - 1))
    between = float(np.var(s / n, ddof=1) - np.mean(within / n))
    within = max(within, 1e-9)
    if between <= 0:
        return _MAX_PRIOR, within
    return min(within / between, _MAX_PRIOR), within


@dataclass
class _Cases:
    """Held-out choices: candidate rows with an offset and a price feature, per case."""

    case: NDArray[np.int64]
    offset: NDArray[np.float64]
    x: NDArray[np.float64]
    chosen: NDArray[np.int64]
    """Row index of each case's bought product."""
    fold: NDArray[np.int64]
    """Per case: the shopper's cross-fit half (0 or 1)."""


def _log_likelihood(cases: _Cases, w: float, mask: NDArray[np.bool_]) -> tuple[float, float, float]:
    """Log-likelihood of the chosen products, its gradient and curvature in ``w``."""
    rows = mask[cases.case]
    case, u = cases.case[rows], cases.offset[rows] + w * cases.x[rows]
    x = cases.x[rows]
    top = np.full(len(mask), -np.inf)
    np.maximum.at(top, case, u)
    e = np.exp(u - top[case])
    total = np.bincount(case, weights=e, minlength=len(mask))
    ex = np.bincount(case, weights=e * x, minlength=len(mask))
    ex2 = np.bincount(case, weights=e * x * x, minlength=len(mask))
    live = mask & (total > 0)
    chosen = cases.chosen[live]
    mean = ex[live] / total[live]
    ll = float(np.sum(cases.offset[chosen] + w * cases.x[chosen] - top[live] - np.log(total[live])))
    grad = float(np.sum(cases.x[chosen] - mean))
    curvature = float(np.sum(ex2[live] / total[live] - mean * mean))
    return ll, grad, curvature


def _best_weight(cases: _Cases, mask: NDArray[np.bool_]) -> float:
    """Maximum-likelihood ``w ≥ 0`` (the likelihood is concave in ``w``)."""
    _, grad, _ = _log_likelihood(cases, 0.0, mask)
    if grad <= 0:
        return 0.0
    lo, hi = 0.0, 1.0
    while _log_likelihood(cases, hi, mask)[1] > 0 and hi < 1e3:
        lo, hi = hi, hi * 2
    w = (lo + hi) / 2
    for _ in range(40):  # Newton inside the bracket, bisection when it steps out
        _, grad, curvature = _log_likelihood(cases, w, mask)
        if grad > 0:
            lo = w
        else:
            hi = w
        step = w + grad / curvature if curvature > 0 else math.nan
        w = step if lo < step < hi else (lo + hi) / 2
        if hi - lo < 1e-4:
            break
    return w


def fit_price_weight(
    columns: Any,
    catalog: Catalog,
    model: PriceModel,
    item_lines: Mapping[str, float],
    category_lines: Mapping[str, float],
    item_prior: float,
    max_shoppers: int = 2_000,
    max_items: int = 10,
    pool: int = 200,
) -> PriceModel:
    """``model`` with its re-ranking weight fitted on held-out latest baskets (see module).

    ``columns`` is the log's :class:`~leafloaf.learning.population.PurchaseColumns`. At most
    ``max_shoppers`` shoppers (those whose history hashes lowest, so the same events in any
    order give the same sample) and ``max_items`` items of each held-out basket are used,
    each ranked among at most ``pool`` products of its category, as ``leafloaf evaluate
    budget`` ranks them; the fit's cost does not grow with the population.
    """
    user, basket, product, day = columns.user, columns.basket, columns.product, columns.day
    ids: list[str] = columns.product_ids
    if len(product) == 0 or not model.z:
        return _with_weight(model, 0.0, {"cases": 0, "reason": "no priced comparable products"})
    n_products = len(ids)
    table = basket_table(user, basket, product, day, ids)
    owner, per_user, n_baskets = table.owner, table.per_user, len(table.owner)
    p_hash = table.product_hash
    latest = table.latest[per_user[owner[table.latest]] >= 2]
    user_sig = shopper_signatures(table)
    latest = latest[np.lexsort((owner[latest], user_sig[owner[latest]]))][:max_shoppers]
    if len(latest) == 0:
        return _with_weight(model, 0.0, {"cases": 0, "reason": "no shopper with two baskets"})
    chosen_user = np.zeros(len(per_user), dtype=bool)
    chosen_user[owner[latest]] = True
    held = np.zeros(n_baskets, dtype=bool)
    held[latest] = True
    history_rows = chosen_user[user] & ~held[basket]
    held_rows = held[basket]
    # what each sampled shopper bought before their latest basket
    history: dict[int, dict[int, float]] = defaultdict(dict)
    keys, counts = np.unique(
        user[history_rows] * n_products + product[history_rows], return_counts=True
    )
    for key, count in zip(keys.tolist(), counts.tolist(), strict=True):
        u, p = divmod(key, n_products)
        history[u][p] = float(count)
    pools: dict[str, list[str]] = defaultdict(list)
    for pid in sorted(item_lines, key=lambda p: (-item_lines[p], p)):
        category = catalog.category(pid)
        if category is not None and item_lines[pid] > 0:
            pools[category].append(pid)
    held_items: dict[int, list[int]] = defaultdict(list)
    seen: set[tuple[int, int]] = set()
    for b, p in zip(basket[held_rows].tolist(), product[held_rows].tolist(), strict=True):
        if (b, p) not in seen:
            seen.add((b, p))
            held_items[b].append(p)
    z, m = model.z, item_prior
    case_rows: list[NDArray[np.int64]] = []
    offsets: list[NDArray[np.float64]] = []
    features: list[NDArray[np.float64]] = []
    chosen: list[int] = []
    folds: list[int] = []
    shoppers: set[int] = set()
    rows_so_far = 0
    for b in latest.tolist():
        u = int(owner[b])
        own = history.get(u, {})
        n_priced = sum(c for p, c in own.items() if ids[p] in z)
        if n_priced <= 0:
            continue  # no position: the term is 0 for every candidate, no evidence on w
        position = sum(c * z[ids[p]] for p, c in own.items() if ids[p] in z) / (
            n_priced + model.shrinkage
        )
        category_count: dict[str, float] = defaultdict(float)
        own_named: dict[str, float] = {}
        for p, c in own.items():
            own_named[ids[p]] = c
            category = catalog.category(ids[p])
            if category is not None:
                category_count[category] += c
        items = sorted(held_items[b], key=lambda p: (int(p_hash[p]), ids[p]))[:max_items]
        for p in items:
            target = ids[p]
            category = catalog.category(target)
            candidates = pools.get(category, []) if category is not None else []
            if len(candidates) < 2:
                continue
            ranked = candidates[:pool]
            if target not in ranked:  # appended, then in popularity order as evaluated
                ranked = [*candidates[: pool - 1], target]
                ranked.sort(key=lambda q: (-item_lines.get(q, 0.0), q))
            assert category is not None
            k_c = category_count.get(category, 0.0)
            size = max(catalog.count_with(category), 1)
            c_lines = category_lines.get(category, 0.0)
            pi = np.asarray([(item_lines.get(q, 0.0) + 1.0) / (c_lines + size) for q in ranked])
            n_own = np.asarray([own_named.get(q, 0.0) for q in ranked])
            offset = (
                -np.log1p(np.arange(len(ranked)))
                + np.log((n_own + m * pi) / (k_c + m))
                - np.log(pi)
            )
            x = position * np.asarray([z.get(q, 0.0) for q in ranked])
            case_rows.append(np.full(len(ranked), len(chosen), dtype=np.int64))
            offsets.append(offset)
            features.append(x)
            chosen.append(rows_so_far + ranked.index(target))
            folds.append(int(user_sig[u]) % 2)
            shoppers.add(u)
            rows_so_far += len(ranked)
    if not chosen:
        return _with_weight(model, 0.0, {"cases": 0, "reason": "no held-out priced choice"})
    cases = _Cases(
        np.concatenate(case_rows),
        np.concatenate(offsets),
        np.concatenate(features),
        np.asarray(chosen, dtype=np.int64),
        np.asarray(folds, dtype=np.int64),
    )
    everyone = np.ones(len(chosen), dtype=bool)
    halves = [cases.fold == 0, cases.fold == 1]
    gain = 0.0
    for fit_on, judge_on in (halves, halves[::-1]):
        if fit_on.any() and judge_on.any():
            w_half = _best_weight(cases, fit_on)
            gain += (
                _log_likelihood(cases, w_half, judge_on)[0]
                - _log_likelihood(cases, 0.0, judge_on)[0]
            )
    w_all = _best_weight(cases, everyone)
    weight = w_all if gain > 0 else 0.0
    return _with_weight(
        model,
        weight,
        {
            "cases": len(chosen),
            "shoppers": len(shoppers),
            "maximum_likelihood_weight": round(w_all, 4),
            "held_out_gain_per_case": round(gain / len(chosen), 6),
        },
    )


def _with_weight(model: PriceModel, weight: float, fit: dict[str, Any]) -> PriceModel:
    return replace(model, weight=weight, weight_fit=fit)
