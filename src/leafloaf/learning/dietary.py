"""Dietary avoidance: attribute families a shopper never buys although their orders say they would.

Evidence is counted in **orders**, not lines: ``k`` of a shopper's ``n`` baskets hold the
attribute (``department:meat seafood``, ``aisle:poultry``, ``tag:gluten free`` …), however
many lines of it each basket has — lines of one basket are not independent trials.

Across shoppers, ``k`` follows a zero-inflated beta-binomial: a share ``π`` of shoppers are
structural zeros (they never buy it) and the rest hold it in a beta-distributed share of
their orders (the spread is each shopper's own propensity). EM fits ``π, α, β`` per attribute
over the population; ``π`` is the learned prevalence, so an avoidance shared by half the
shoppers is found like a rare one. For a shopper with ``n`` orders, none with it, the
posterior of being a structural zero is ``π / (π + (1-π)·B(α, β+n)/B(α, β))``.

**Diet or taste.** Attributes come in families from the catalog's own hierarchy: an aisle
(or brand) belongs to the department that holds most of its products, and a department
heads its family; a tag (vegan, gluten free) cuts across departments and is a family of
its own. A department's structural zero is every aisle of it missing
together — a whole family avoided, the shape of a diet (vegetarian: all meat and seafood
aisles). A member's model is fitted only on shoppers who buy its family, so its ``π`` is the
share of family buyers who skip just that aisle: a taste gap (fresh vegetables missing from
a produce buyer), reported apart from diets. The engine lets diets (and what shoppers
declare) filter proposals; taste gaps are only reported.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from leafloaf.catalog import Catalog
from leafloaf.learning.stats import log_beta

__all__ = [
    "AttributeRates",
    "Inferred",
    "attribute_families",
    "fit_attribute_rates",
    "fit_from_columns",
    "infer_avoidances",
    "posterior_avoid",
]


@dataclass(frozen=True)
class AttributeRates:
    """Fitted zero-inflated beta-binomial of every attribute, over orders, per family."""

    attributes: list[str]
    alpha: NDArray[np.float64]
    beta: NDArray[np.float64]
    never: NDArray[np.float64]
    """``π``: share of shoppers (of family buyers, for a member) who structurally never buy it."""
    index: dict[str, int]
    parent: NDArray[np.int64]
    """Index of each attribute's family head (-1 for a head: a department, or no family)."""
    fitted_on: NDArray[np.float64]
    """Shoppers each attribute's model was fitted on (everyone, or the family's buyers)."""

    def buyer_share(self, attribute: str) -> float:
        """Share of shoppers (family buyers, for a member) who buy the attribute (``1 - π``)."""
        i = self.index.get(attribute)
        return 0.0 if i is None else float(1.0 - self.never[i])

    def mean_rate(self, attribute: str) -> float:
        """Mean share of a buyer's orders that hold the attribute."""
        i = self.index.get(attribute)
        return 0.0 if i is None else float(self.alpha[i] / (self.alpha[i] + self.beta[i]))

    def family(self, attribute: str) -> str | None:
        """The family head of a member attribute (None for a head)."""
        i = self.index.get(attribute)
        if i is None or self.parent[i] < 0:
            return None
        return self.attributes[int(self.parent[i])]


def attribute_families(catalog: Catalog, attributes: Sequence[str]) -> NDArray[np.int64]:
    """Family head of each attribute (index into ``attributes``, -1 for a head).

    A product's first category (its department) heads the family of its lower categories
    and brand; such a member belongs to the department that holds most of its products,
    read from the catalog (no attribute is named here). A tag (``tag:vegan``) cuts across
    departments and heads a family of its own.

    >>> from leafloaf import Catalog, Product
    >>> cat = Catalog([Product(product_id="1", name="Ham", categories=("meat", "deli"))])
    >>> attribute_families(cat, ["department:meat", "aisle:deli"]).tolist()
    [-1, 0]
    """
    index = {a: i for i, a in enumerate(attributes)}
    heads: set[str] = set()
    votes: dict[str, Counter[str]] = {}
    for attribute in attributes:
        if attribute.startswith("tag:"):
            continue  # a tag (vegan, gluten free) cuts across departments: a family of its own
        for pid in catalog.products_with(attribute):
            attrs = catalog.attributes(pid)
            if not catalog.get(pid).categories:
                continue
            head = attrs[0]
            heads.add(head)
            if head != attribute:
                votes.setdefault(attribute, Counter())[head] += 1
    parent = np.full(len(attributes), -1, dtype=np.int64)
    for attribute, counter in votes.items():
        if attribute in heads:
            continue  # a department is a head even where it is another product's aisle name
        best = min(counter.items(), key=lambda kv: (-kv[1], kv[0]))[0]
        if best in index:
            parent[index[attribute]] = index[best]
    return parent


def fit_attribute_rates(
    orders: NDArray[np.float64],
    rows: NDArray[np.int64],
    cols: NDArray[np.int64],
    counts: NDArray[np.float64],
    attributes: list[str],
    parent: NDArray[np.int64] | None = None,
    iterations: int = 40,
) -> AttributeRates:
    """EM fit of ``π, α, β`` per attribute from sparse shopper × attribute order counts.

    ``orders[u]`` is shopper ``u``'s number of orders; ``(rows, cols, counts)`` the orders
    of shopper ``rows[i]`` holding attribute ``cols[i]`` (positive counts only). A member
    attribute (``parent >= 0``) is fitted on its family's buyers only.

    >>> import numpy as np
    >>> rates = fit_attribute_rates(
    ...     np.array([10.0, 10.0, 10.0, 10.0]), np.array([0, 1, 3]), np.array([0, 0, 0]),
    ...     np.array([5.0, 4.0, 6.0]), ["department:x"])
    >>> 0.15 < rates.never[0] < 0.35
    True
    """
    n_attr = len(attributes)
    parent = np.full(n_attr, -1, dtype=np.int64) if parent is None else np.asarray(parent)
    orders = np.asarray(orders, dtype=np.float64)
    rows, cols = np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64)
    k = np.minimum(np.asarray(counts, dtype=np.float64), orders[rows])
    # shoppers are grouped by their number of orders: the zeros of an attribute are then a
    # histogram over those values, not one row per shopper
    values, level = np.unique(orders, return_inverse=True)
    n_levels = len(values)
    everyone = np.bincount(level, minlength=n_levels).astype(np.float64)
    buyers = np.zeros((n_attr, n_levels))
    np.add.at(buyers, (cols, level[rows]), 1.0)
    fitted = np.tile(everyone, (n_attr, 1))
    members = np.flatnonzero(parent >= 0)
    if len(members):
        fitted[members] = buyers[parent[members]]
        # a member bought by someone outside its family's buyers (a brand in two departments)
        # counts that shopper among those it was fitted on
        key = rows * max(n_attr, 1) + cols
        own_parent = parent[cols]
        has = own_parent >= 0
        inside = np.zeros(len(rows), dtype=bool)
        inside[has] = np.isin(rows[has] * max(n_attr, 1) + own_parent[has], key)
        outside = has & ~inside
        np.add.at(fitted, (cols[outside], level[rows[outside]]), 1.0)
    zeros = np.maximum(fitted - buyers, 0.0)
    size = np.maximum(fitted.sum(1), 1.0)
    n = orders[rows]
    share = np.bincount(cols, weights=k, minlength=n_attr) / np.maximum(
        (fitted * values).sum(1), 1e-9
    )
    m = np.clip(share, 1e-6, 1 - 1e-6)
    conc = np.full(n_attr, 5.0)
    never = np.full(n_attr, 0.1)
    k_sum = np.bincount(cols, weights=k, minlength=n_attr)
    n_sum = np.bincount(cols, weights=n, minlength=n_attr)
    for _ in range(iterations):
        alpha, beta = m * conc, (1 - m) * conc
        p_zero = np.exp(
            log_beta(alpha[:, None], beta[:, None] + values[None, :])
            - log_beta(alpha, beta)[:, None]
        )
        resp = never[:, None] / (never[:, None] + (1 - never[:, None]) * p_zero)
        never = np.clip((zeros * resp).sum(1) / size, 1e-4, 1 - 1e-4)
        w_zero = zeros * (1.0 - resp)
        m = np.clip(k_sum / np.maximum(n_sum + (w_zero * values).sum(1), 1e-9), 1e-6, 1 - 1e-6)
        # moment estimate of the intra-class correlation ρ = 1/(conc+1) of a beta-binomial
        mm = m[cols]
        var = m * (1 - m)
        num = np.bincount(cols, weights=(k / n - mm) ** 2 - mm * (1 - mm) / n, minlength=n_attr) + (
            w_zero * (m[:, None] ** 2 - var[:, None] / values[None, :])
        ).sum(1)
        den = np.bincount(cols, weights=mm * (1 - mm) * (n - 1) / n, minlength=n_attr) + (
            w_zero * (var[:, None] * (values[None, :] - 1) / values[None, :])
        ).sum(1)
        rho = np.clip(num / np.maximum(den, 1e-12), 1e-3, 0.95)
        conc = 1.0 / rho - 1.0
        # α >= 1: a buyer's rate has no spike at zero. Without it the zero inflation is not
        # identifiable (a beta with α < 1 absorbs the structural zeros as "buys almost never")
        conc = np.maximum(conc, 1.0 / m)
    return AttributeRates(
        attributes=list(attributes),
        alpha=m * conc,
        beta=(1 - m) * conc,
        never=never,
        index={a: i for i, a in enumerate(attributes)},
        parent=parent,
        fitted_on=fitted.sum(1),
    )


def fit_from_columns(
    user: NDArray[np.int64],
    basket: NDArray[np.int64],
    product: NDArray[np.int64],
    product_ids: Sequence[str],
    catalog: Catalog,
) -> AttributeRates | None:
    """Fit from purchase columns (one row per line): orders holding each attribute, counted
    once per basket however many lines of it the basket has."""
    if len(user) == 0:
        return None
    attr_index: dict[str, int] = {}
    starts, codes = [0], []
    for pid in product_ids:
        for attr in catalog.attributes(pid):
            codes.append(attr_index.setdefault(attr, len(attr_index)))
        starts.append(len(codes))
    offsets = np.asarray(starts, dtype=np.int64)
    flat = np.asarray(codes, dtype=np.int64)
    width = np.diff(offsets)[product]
    line = np.repeat(np.arange(len(product)), width)
    position = np.arange(len(line)) - np.repeat(np.cumsum(width) - width, width)
    attr = flat[offsets[product][line] + position]
    n_attr = max(len(attr_index), 1)
    # one (basket, attribute) pair per basket, however many lines of it: baskets are per shopper
    pairs = np.unique(basket[line] * n_attr + attr)
    pair_basket, pair_attr = pairs // n_attr, pairs % n_attr
    basket_user = np.zeros(int(basket.max()) + 1, dtype=np.int64)
    basket_user[basket] = user
    cells, counts = np.unique(basket_user[pair_basket] * n_attr + pair_attr, return_counts=True)
    per_user = np.bincount(user[np.unique(basket, return_index=True)[1]])
    present = np.flatnonzero(per_user > 0)
    row_of = np.full(len(per_user), -1, dtype=np.int64)
    row_of[present] = np.arange(len(present))
    attributes = list(attr_index)
    return fit_attribute_rates(
        per_user[present].astype(np.float64),
        row_of[cells // n_attr],
        cells % n_attr,
        counts.astype(np.float64),
        attributes,
        attribute_families(catalog, attributes),
    )


def posterior_avoid(rates: AttributeRates, orders: float) -> NDArray[np.float64]:
    """Posterior of avoiding each attribute for a shopper with ``orders`` orders, none with it.

    For a member attribute this is the posterior among its family's buyers (a taste gap);
    read it only for shoppers who buy the family.
    """
    n = max(float(orders), 0.0)
    p_zero = np.exp(log_beta(rates.alpha, rates.beta + n) - log_beta(rates.alpha, rates.beta))
    result: NDArray[np.float64] = np.clip(
        rates.never / (rates.never + (1 - rates.never) * p_zero), 0.0, 1.0
    )
    return result


@dataclass(frozen=True)
class Inferred:
    """One inferred avoidance: a diet (whole family never bought) or a taste gap."""

    attribute: str
    probability: float
    kind: str
    """``"diet"`` or ``"taste"``."""
    family: str | None
    """The bought family of a taste gap (None for a diet)."""
    share: float
    """Share of shoppers (of family buyers, for a taste gap) who buy the attribute."""
    expected: float
    """Orders a typical buyer with as many orders would have had it in."""


def infer_avoidances(
    rates: AttributeRates,
    orders: float,
    bought: set[str] | frozenset[str],
    probability: float,
    skip: set[str] | frozenset[str] = frozenset(),
) -> list[Inferred]:
    """Avoidances at posterior ``>= probability`` of a shopper with ``orders`` orders who
    bought the attributes ``bought`` (``skip``: attributes not to infer, e.g. declared).

    A head (department) never bought is a diet. A member never bought is a taste gap when
    its family is bought, and left to its head when the whole family is missing.
    """
    if orders <= 0:
        return []
    posterior = posterior_avoid(rates, orders)
    out: list[Inferred] = []
    for i in np.flatnonzero(posterior >= probability).tolist():
        attribute = rates.attributes[i]
        if attribute in bought or attribute in skip:
            continue
        family = rates.family(attribute)
        if family is not None and family not in bought:
            continue  # the whole family is missing: its head speaks for it
        out.append(
            Inferred(
                attribute=attribute,
                probability=float(posterior[i]),
                kind="diet" if family is None else "taste",
                family=family,
                share=float(1.0 - rates.never[i]),
                expected=float(orders) * rates.mean_rate(attribute),
            )
        )
    return out
