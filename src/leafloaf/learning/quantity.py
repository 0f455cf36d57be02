"""Quantity memory: how many of a product this shopper usually takes.

Quantities are read on an ordered scale, not as unrelated labels: a shopper who took 2 and 3
is evidence for "two or three", not for "2" and "3" apart. The suggestion is the mode of

``S(q) = Σ_j own(j)·w^|log₂ q − log₂ j|  +  α·P(q)``

over the candidate quantities (the shopper's own, the product's, and the most common ones of
its category and of all lines), where ``own`` is the shopper's histogram for the product and
``w`` spreads each own line over the neighbouring quantities (``w = 0``: unordered counts).
``P`` is the product's population distribution shrunk hierarchically, product → category →
all lines, each level by ``β`` pseudo-lines: ``P(q) = (H_i(q) + β·C(q)) / (N_i + β)``,
``C(q) = (H_c(q) + β·G(q)) / (N_c + β)``. A product the shopper never bought therefore
follows its own population, a rarely bought one leans on its category's habit.

``α``, ``β`` and ``w`` are not set by hand: the population refit holds out one line at a
time of the shopper × product histograms of a bounded, deterministic sample of shoppers
(leave-one-out, the exact cross-validation for order-free counts, and what the stored
statistics allow: they keep counts per quantity, not per basket) and keeps the values under
which the held-out quantities are most likely (:func:`fit_quantity_strengths`). A host can
still pin any of them in :class:`~leafloaf.EngineConfig`.

The API's ``quantity`` is the posterior **mode**: a pre-filled cart line is right or wrong,
and the mode is the choice most often exactly right. ``median`` (the smallest quantity with
half the posterior mass at or below it) is given too: it is the choice that minimises the
absolute error, for a host that would rather be close on average.
"""

from __future__ import annotations

import zlib
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from leafloaf.config import EngineConfig
from leafloaf.learning.stats import UserStats
from leafloaf.models import QuantitySuggestion, Reason

if TYPE_CHECKING:
    from leafloaf.catalog import Catalog
    from leafloaf.learning.population import PopulationModel

__all__ = [
    "QuantityModel",
    "QuantityStrengths",
    "fit_quantity_model",
    "fit_quantity_strengths",
    "quantity_posterior",
    "suggest_quantity",
]

Histogram = Mapping[float, float]

POOL_SUPPORT = 12
"""Quantities kept per category and for all lines: the most common ones. A budget on the
read path (candidates per suggestion), not a tuned value: rarer quantities stay reachable
through the product's own histogram."""

PRIOR_GRID = tuple(2.0**k for k in range(-3, 7))
POOL_GRID = tuple(2.0**k for k in range(-2, 9))
SMOOTHING_GRID = (0.0, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8)


@dataclass(frozen=True)
class QuantityStrengths:
    """Fitted ``α`` (pseudo-lines of the population prior), ``β`` (pseudo-lines of each
    level of the product → category → global pooling) and ``w`` (ordinal spread)."""

    prior: float = 1.0
    pool: float = 1.0
    smoothing: float = 0.0
    cases: int = 0
    """Held-out lines the values were chosen on (0: defaults, nothing to fit on)."""
    log_likelihood: float | None = None
    """Mean log probability of the held-out quantities under the chosen values."""

    def as_dict(self) -> dict[str, float | int | None]:
        """The values as a JSON-ready dict."""
        return {
            "prior": self.prior,
            "pool": self.pool,
            "smoothing": self.smoothing,
            "cases": self.cases,
            "log_likelihood": self.log_likelihood,
        }


@dataclass(frozen=True)
class QuantityModel:
    """Population side of quantity memory: pooled histograms and the fitted strengths."""

    category: dict[str, dict[float, float]] = field(default_factory=dict)
    """Per category: lines by quantity, its :data:`POOL_SUPPORT` most common quantities."""
    category_lines: dict[str, float] = field(default_factory=dict)
    """Per category: all its lines (the truncated histogram's shares are out of these)."""
    overall: dict[float, float] = field(default_factory=dict)
    overall_lines: float = 0.0
    strengths: QuantityStrengths = field(default_factory=QuantityStrengths)

    def without(
        self, histograms: Mapping[str, Histogram], catalog: Catalog | None
    ) -> QuantityModel:
        """The model less one shopper's lines (``histograms``: product → their histogram),
        subtracted from the pools at once; the strengths wait for the next refit."""
        category = {c: dict(h) for c, h in self.category.items()}
        category_lines = dict(self.category_lines)
        overall = dict(self.overall)
        overall_lines = self.overall_lines
        for pid, hist in histograms.items():
            name = catalog.category(pid) if catalog is not None else None
            for q, c in hist.items():
                overall_lines -= c
                if q in overall:
                    overall[q] = max(overall[q] - c, 0.0)
                if name is not None and name in category:
                    category_lines[name] = max(category_lines.get(name, 0.0) - c, 0.0)
                    if q in category[name]:
                        category[name][q] = max(category[name][q] - c, 0.0)
        return QuantityModel(
            category, category_lines, overall, max(overall_lines, 0.0), self.strengths
        )


def _top(hist: Histogram) -> dict[float, float]:
    kept = sorted(hist.items(), key=lambda kv: (-kv[1], kv[0]))[:POOL_SUPPORT]
    return {q: c for q, c in kept if c > 0}


def _pools(
    product_quantities: Mapping[str, Histogram], catalog: Catalog | None
) -> tuple[dict[str, dict[float, float]], dict[str, float], dict[float, float], float]:
    per_category: dict[str, dict[float, float]] = defaultdict(lambda: defaultdict(float))
    overall: dict[float, float] = defaultdict(float)
    for pid in sorted(product_quantities):  # a fixed order: float sums are order-sensitive
        hist = product_quantities[pid]
        category = catalog.category(pid) if catalog is not None else None
        for q in sorted(hist):
            c = hist[q]
            overall[q] += c
            if category is not None:
                per_category[category][q] += c
    lines = {c: sum(h.values()) for c, h in per_category.items()}
    return (
        {c: _top(h) for c, h in per_category.items()},
        lines,
        _top(overall),
        float(sum(overall.values())),
    )


def fit_quantity_model(
    product_quantities: Mapping[str, Histogram],
    catalog: Catalog | None,
    histograms: Iterable[Mapping[str, Histogram]] = (),
    config: EngineConfig | None = None,
) -> QuantityModel:
    """Pool the product histograms by category and overall, and fit the strengths on the
    shopper × product ``histograms`` given (one mapping per sampled shopper)."""
    category, category_lines, overall, overall_lines = _pools(product_quantities, catalog)
    strengths = fit_quantity_strengths(
        histograms, product_quantities, catalog, category, category_lines, overall,
        overall_lines, config,
    )  # fmt: skip
    return QuantityModel(category, category_lines, overall, overall_lines, strengths)


def sample_shoppers(user_ids: Iterable[str], limit: int) -> set[str]:
    """The ``limit`` shoppers whose ids hash lowest: a sample that does not depend on the
    order events arrived in, and whose size does not grow with the population."""
    return set(sorted(user_ids, key=lambda u: (zlib.crc32(u.encode()), u))[:limit])


def _candidates(
    own: Histogram,
    product: Histogram,
    category: Histogram,
    overall: Histogram,
) -> list[float]:
    return sorted(set(own) | set(product) | set(category) | set(overall))


def _prior_part(
    product: NDArray[np.float64],
    n_product: NDArray[np.float64],
    category: NDArray[np.float64],
    n_category: NDArray[np.float64],
    overall: NDArray[np.float64],
    n_overall: NDArray[np.float64],
    pool: float,
) -> NDArray[np.float64]:
    """``P(q)`` over the last axis (the candidates): product → category → all lines."""
    g = overall / np.maximum(n_overall, 1e-12)[..., None]
    c = (category + pool * g) / (n_category + pool)[..., None]
    result: NDArray[np.float64] = (product + pool * c) / (n_product + pool)[..., None]
    return result


def _spread(
    own: NDArray[np.float64], logq: NDArray[np.float64], valid: NDArray[np.bool_], smoothing: float
) -> NDArray[np.float64]:
    """Each own line's unit of evidence spread over its neighbours: column ``j`` of
    ``K_w(q, j) ∝ w^|log₂ q − log₂ j|`` sums to one over the valid candidates ``q``
    (``w = 0``: each line stays on its own quantity). The first axes are cases."""
    if smoothing <= 0:
        return own
    # only the (few) quantities the shopper took send evidence: the kernel's other columns
    # are never needed
    width = max(int((own > 0).sum(axis=-1).max(initial=0)), 1)
    idx = np.argsort(-(own > 0).astype(np.int8), axis=-1, kind="stable")[..., :width]
    sent = np.take_along_axis(own, idx, axis=-1)
    at = np.take_along_axis(logq, idx, axis=-1)
    kernel = np.where(valid[..., :, None],
                      np.exp(np.abs(logq[..., :, None] - at[..., None, :]) * np.log(smoothing)),
                      0.0)  # fmt: skip
    kernel = kernel / np.maximum(kernel.sum(axis=-2, keepdims=True), 1e-300)
    result: NDArray[np.float64] = np.einsum("...kj,...j->...k", kernel, sent)
    return result


def fit_quantity_strengths(
    histograms: Iterable[Mapping[str, Histogram]],
    product_quantities: Mapping[str, Histogram],
    catalog: Catalog | None,
    category: Mapping[str, Histogram],
    category_lines: Mapping[str, float],
    overall: Histogram,
    overall_lines: float,
    config: EngineConfig | None = None,
    max_cases: int = 4_000,
) -> QuantityStrengths:
    """Choose ``α``, ``β``, ``w`` by leave-one-line-out likelihood on sampled histograms.

    Each line of each sampled shopper × product histogram is held out in turn (weighted by
    how many lines share its quantity): it leaves the shopper's histogram and the product's,
    category's and overall counts, and the probability of its quantity under the posterior
    of the rest is taken. The grid values maximising the mean log probability win
    (coordinate ascent from the defaults, ties to the earlier grid value). Lines whose
    quantity no candidate covers once held out carry no information and are left out;
    at most ``max_cases`` (shopper, product, quantity) cases are used, in a fixed order.
    Values pinned in ``config`` are kept as given.
    """
    fixed_prior = config.quantity_prior if config is not None else None
    fixed_pool = config.quantity_pool if config is not None else None
    fixed_smoothing = config.quantity_smoothing if config is not None else None
    default = QuantityStrengths()
    prior = fixed_prior if fixed_prior is not None else default.prior
    pool = fixed_pool if fixed_pool is not None else default.pool
    smoothing = fixed_smoothing if fixed_smoothing is not None else default.smoothing
    rows: list[tuple[list[float], int, float, Histogram, Histogram, Histogram, float]] = []
    for shopper in histograms:
        for pid in sorted(shopper):
            own = shopper[pid]
            prod = product_quantities.get(pid, {})
            cat_name = catalog.category(pid) if catalog is not None else None
            cat = category.get(cat_name, {}) if cat_name is not None else {}
            n_cat = category_lines.get(cat_name, 0.0) if cat_name is not None else 0.0
            for q in sorted(own):
                weight = own[q]
                if weight <= 0:
                    continue
                cands = _candidates(own, prod, cat, overall)
                rows.append((cands, int(weight), q, own, prod, cat, n_cat))
        if len(rows) >= max_cases:
            break
    rows = rows[:max_cases]
    if not rows:
        return QuantityStrengths(prior, pool, smoothing, 0, None)
    width = max(len(r[0]) for r in rows)
    n = len(rows)
    own_a, prod_a, cat_a, all_a = (np.zeros((n, width)) for _ in range(4))
    logq = np.zeros((n, width))
    valid = np.zeros((n, width), dtype=bool)
    n_prod, n_cat_a = np.zeros(n), np.zeros(n)
    n_all = np.full(n, overall_lines - 1.0)
    target = np.zeros(n, dtype=np.int64)
    weights = np.zeros(n)
    for i, (cands, weight, q, own, prod, cat, n_c) in enumerate(rows):
        k = cands.index(q)
        target[i] = k
        weights[i] = weight
        valid[i, : len(cands)] = True
        logq[i, : len(cands)] = np.log2(np.asarray(cands))
        own_a[i, : len(cands)] = [own.get(c, 0.0) for c in cands]
        prod_a[i, : len(cands)] = [prod.get(c, 0.0) for c in cands]
        cat_a[i, : len(cands)] = [cat.get(c, 0.0) for c in cands]
        all_a[i, : len(cands)] = [overall.get(c, 0.0) for c in cands]
        n_prod[i] = sum(prod.values()) - 1.0
        n_cat_a[i] = n_c - 1.0 if n_c > 0 else 0.0
        # the held-out line leaves every count it was part of
        own_a[i, k] -= 1.0
        prod_a[i, k] = max(prod_a[i, k] - 1.0, 0.0)
        if n_c > 0 and cat.get(q, 0.0) > 0:
            cat_a[i, k] -= 1.0
        if overall.get(q, 0.0) > 0:
            all_a[i, k] -= 1.0
    n_prod = np.maximum(n_prod, 0.0)
    n_cat_a = np.maximum(n_cat_a, 0.0)
    n_all = np.maximum(n_all, 0.0)
    # cases the held-out quantity is still possible for, under any strengths
    explained = (own_a[np.arange(n), target] > 0) | (prod_a[np.arange(n), target] > 0)
    explained |= (cat_a[np.arange(n), target] > 0) | (all_a[np.arange(n), target] > 0)
    if not explained.any():
        return QuantityStrengths(prior, pool, smoothing, 0, None)
    sel = np.flatnonzero(explained)
    arrays = (own_a[sel], prod_a[sel], n_prod[sel], cat_a[sel], n_cat_a[sel], all_a[sel],
              n_all[sel])  # fmt: skip
    logq_s = logq[sel]
    tgt, wts, mask = target[sel], weights[sel], valid[sel]

    rows_at = np.arange(len(tgt))
    spreads: dict[float, NDArray[np.float64]] = {}  # the costly part depends on w alone

    def objective(a: float, b: float, w: float) -> float:
        if w not in spreads:
            spreads[w] = _spread(arrays[0], logq_s, mask, w)
        s = np.where(mask, spreads[w] + a * _prior_part(*arrays[1:7], b), 0.0)
        p = s[rows_at, tgt] / np.maximum(s.sum(axis=1), 1e-300)
        return float(np.sum(wts * np.log(np.maximum(p, 1e-300))) / wts.sum())

    best = objective(prior, pool, smoothing)
    for _ in range(3):
        moved = False
        for name, grid, pinned in (
            ("prior", PRIOR_GRID, fixed_prior),
            ("pool", POOL_GRID, fixed_pool),
            ("smoothing", SMOOTHING_GRID, fixed_smoothing),
        ):
            if pinned is not None:
                continue
            for value in grid:
                a, b, w = prior, pool, smoothing
                if name == "prior":
                    a = value
                elif name == "pool":
                    b = value
                else:
                    w = value
                score = objective(a, b, w)
                if score > best + 1e-12:
                    best, prior, pool, smoothing, moved = score, a, b, w, True
        if not moved:
            break
    return QuantityStrengths(prior, pool, smoothing, int(wts.sum()), best)


def quantity_posterior(
    own: Histogram,
    product: Histogram,
    category: Histogram,
    category_lines: float,
    overall: Histogram,
    overall_lines: float,
    strengths: QuantityStrengths,
) -> list[tuple[float, float]]:
    """``(quantity, posterior share)`` over the candidates, ascending in quantity."""
    cands = _candidates(own, product, category, overall)
    if not cands:
        return []
    logq = np.log2(np.asarray(cands))
    prior = _prior_part(
        np.asarray([product.get(c, 0.0) for c in cands]),
        np.asarray(sum(product.values())),
        np.asarray([category.get(c, 0.0) for c in cands]),
        np.asarray(category_lines),
        np.asarray([overall.get(c, 0.0) for c in cands]),
        np.asarray(overall_lines),
        strengths.pool,
    )
    own_part = _spread(
        np.asarray([own.get(c, 0.0) for c in cands]),
        logq,
        np.ones(len(cands), dtype=bool),
        strengths.smoothing,
    )
    s = own_part + strengths.prior * prior
    total = float(s.sum())
    if not total > 0:
        return []
    return [(c, float(v) / total) for c, v in zip(cands, s.tolist(), strict=True)]


def _served_strengths(model: QuantityModel, config: EngineConfig) -> QuantityStrengths:
    fitted = model.strengths
    return QuantityStrengths(
        config.quantity_prior if config.quantity_prior is not None else fitted.prior,
        config.quantity_pool if config.quantity_pool is not None else fitted.pool,
        config.quantity_smoothing if config.quantity_smoothing is not None else fitted.smoothing,
        fitted.cases,
        fitted.log_likelihood,
    )


def suggest_quantity(
    stats: UserStats,
    population: PopulationModel,
    product_id: str,
    config: EngineConfig,
    catalog: Catalog | None = None,
) -> QuantitySuggestion:
    """Suggested quantity of ``product_id`` for this shopper, with where it came from."""
    own = stats.quantity_histogram(product_id)
    others = population.product_quantities.get(product_id, {})
    others_total = sum(others.values())
    model = population.quantity
    category = catalog.category(product_id) if catalog is not None else None
    cat_hist = model.category.get(category, {}) if category is not None else {}
    cat_lines = model.category_lines.get(category, 0.0) if category is not None else 0.0
    posterior = quantity_posterior(
        own, others, cat_hist, cat_lines, model.overall, model.overall_lines,
        _served_strengths(model, config),
    )  # fmt: skip
    if not posterior:  # nobody has bought anything yet
        return QuantitySuggestion(
            user_id=stats.user_id,
            product_id=product_id,
            quantity=1.0,
            median=1.0,
            confidence=0.0,
            source="default",
            reasons=[Reason.of("quantity_default", quantity=1.0)],
        )
    # ties go to what this shopper did, then to the smaller quantity
    quantity, confidence = max(posterior, key=lambda kv: (kv[1], own.get(kv[0], 0.0), -kv[0]))
    cumulative = 0.0
    median = posterior[-1][0]
    for q, share in posterior:
        cumulative += share
        if cumulative >= 0.5 - 1e-12:
            median = q
            break
    own_lines = sum(own.values())
    same = own.get(quantity, 0.0)
    if own_lines > 0 and same > 0:
        reasons = [Reason.of("quantity_personal", quantity=quantity, same=same, lines=own_lines)]
        source = "personal"
    elif others_total > 0 and others.get(quantity, 0.0) > 0:
        share = others.get(quantity, 0.0) / others_total
        if own_lines > 0:
            mine = max(own, key=lambda q: (own[q], -q))
            reasons = [
                Reason.of("quantity_shoppers_over_own", own=mine, quantity=quantity,
                          share=share, lines=others_total)
            ]  # fmt: skip
        else:
            reasons = [
                Reason.of("quantity_shoppers", quantity=quantity, share=share, lines=others_total)
            ]
        source = "product"
    elif own_lines > 0:  # between the quantities the shopper took (the ordinal spread)
        reasons = [Reason.of("quantity_near_own", quantity=quantity, low=min(own), high=max(own))]
        source = "personal"
    elif cat_hist.get(quantity, 0.0) > 0:
        reasons = [
            Reason.of("quantity_similar", quantity=quantity,
                      share=cat_hist[quantity] / cat_lines, lines=cat_lines)
        ]  # fmt: skip
        source = "category"
    else:
        reasons = [Reason.of("quantity_default", quantity=quantity)]
        source = "default"
    return QuantitySuggestion(
        user_id=stats.user_id,
        product_id=product_id,
        quantity=quantity,
        median=median,
        confidence=confidence,
        source=source,
        reasons=reasons,
    )


def own_histograms(stats: UserStats) -> dict[str, dict[float, float]]:
    """Every purchased product's quantity histogram of one shopper (what the fit samples)."""
    return {pid: stats.quantity_histogram(pid) for pid in stats.purchased}
