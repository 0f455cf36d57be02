"""PopulationModel: what the learners know about shoppers in general, refit in batch.

Per-shopper statistics are updated online with every event; the population side (base
rates, co-occurrence, interval shape, price scales, mixtures) is a batch fit over all
shoppers that the engine refreshes lazily as the log grows.
"""

from __future__ import annotations

import math
from array import array
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
from numpy.typing import NDArray

from leafloaf.catalog import Catalog
from leafloaf.config import EngineConfig
from leafloaf.learning.complements import (
    CoOccurrence,
    HistoryStrength,
    fit_cooccurrence,
    fit_cooccurrence_columns,
    fit_history_strength,
)
from leafloaf.learning.dietary import AttributeRates, fit_from_columns
from leafloaf.learning.household import HouseholdModel, fit_household_model
from leafloaf.learning.neighbours import Neighbourhood, fit_neighbourhood
from leafloaf.learning.nextbasket_fit import NextBasketFit, fit_next_basket
from leafloaf.learning.pacing import paced
from leafloaf.learning.prices import PriceModel, fit_price_model, fit_price_weight, shopper_prices
from leafloaf.learning.quantity import QuantityModel, fit_quantity_model, sample_shoppers
from leafloaf.learning.regularity import IntervalRegularity, fit_interval_regularity
from leafloaf.learning.stats import UserStats
from leafloaf.models import Event
from leafloaf.stores.base import EventRecord, event_to_record

__all__ = ["PopulationModel", "PurchaseColumns", "Removal", "fit_population", "remove_shopper"]


@dataclass
class PopulationModel:
    """Population statistics every capability compares a shopper against."""

    n_users: int = 0
    n_lines: float = 0.0
    n_baskets: int = 0
    events_at_fit: int = 0
    item_lines: dict[str, float] = field(default_factory=dict)
    item_users: dict[str, int] = field(default_factory=dict)
    category_lines: dict[str, float] = field(default_factory=dict)
    attribute_rates: AttributeRates | None = None
    cooccurrence: CoOccurrence = field(default_factory=lambda: fit_cooccurrence([]))
    complement_history: HistoryStrength = field(
        default_factory=lambda: fit_history_strength(
            *(np.zeros(0, dtype=np.int64),) * 3, np.zeros(0), [], 0.0
        )
    )
    """Fitted κ of complements' own-history weight ``n / (n + κ)`` (learning/complements)."""
    interval_shape: float = 2.0
    """Gamma shape κ of inter-purchase intervals relative to their mean (pooled)."""
    regularity: IntervalRegularity | None = None
    """Interval regularity per product and shopper × product, shrunk (learning/regularity);
    None (the SQL fit): the pooled shape alone."""
    median_gap: float = 7.0
    repeat_after: list[float] = field(default_factory=lambda: [0.5])
    """``repeat_after[n-1]``: share of products bought ``n`` times that were bought again."""
    item_log_price: dict[str, float] = field(default_factory=dict)
    category_price: dict[str, tuple[float, float]] = field(default_factory=dict)
    price_positions: NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))
    """Every shopper's shrunk unit-price position, sorted (the percentile base)."""
    prices: PriceModel | None = None
    """Unit-price positions, sensitivity priors and the learned price weight (learning/prices)."""
    product_quantities: dict[str, dict[float, float]] = field(default_factory=dict)
    quantity: QuantityModel = field(default_factory=QuantityModel)
    """Category and overall quantity histograms and the fitted quantity strengths."""
    household: HouseholdModel | None = None
    neighbourhood: Neighbourhood | None = None
    next_basket: NextBasketFit = field(default_factory=NextBasketFit)
    """Next-basket knobs learned on held-out latest baskets (learning/nextbasket_fit)."""
    _log_priors: dict[str, tuple[str | None, float, float]] = field(
        default_factory=dict, repr=False
    )

    def repeat_probability(self, times: float) -> float:
        """Probability a product bought ``times`` times is bought again (learned, smoothed)."""
        n = max(int(times), 1)
        return self.repeat_after[min(n, len(self.repeat_after)) - 1]

    def log_priors(self, product_id: str, catalog: Catalog) -> tuple[str | None, float, float]:
        """``(category, log P(category), log P(product | category))``, memoised per product.

        Without a category the second value is 0 and the third ``log P(product)``.
        """
        hit = self._log_priors.get(product_id)
        if hit is None:
            category = catalog.category(product_id)
            if category is None:
                pi = (self.item_lines.get(product_id, 0.0) + 1.0) / (self.n_lines + len(catalog))
                hit = (None, 0.0, math.log(pi))
            else:
                hit = (
                    category,
                    math.log(self.category_share(category)),
                    math.log(self.item_share_in_category(product_id, category, catalog)),
                )
            self._log_priors[product_id] = hit
        return hit

    def category_share(self, category: str) -> float:
        """Share of all purchased lines falling in a category (add-one smoothed)."""
        total = self.n_lines + len(self.category_lines) + 1
        return (self.category_lines.get(category, 0.0) + 1.0) / total

    def item_share_in_category(self, product_id: str, category: str, catalog: Catalog) -> float:
        """Share of a category's lines that are this product (add-one over its products)."""
        size = max(catalog.count_with(category), 1)
        return (self.item_lines.get(product_id, 0.0) + 1.0) / (
            self.category_lines.get(category, 0.0) + size
        )


def _baskets(
    records: Iterable[EventRecord],
) -> tuple[dict[tuple[str, str], list[str]], dict[tuple[str, str], list[float]]]:
    baskets: dict[tuple[str, str], list[str]] = defaultdict(list)
    days: dict[tuple[str, str], list[float]] = defaultdict(list)
    for kind, user, ts, product, _q, _p, _query, basket, *_ in paced(records, 2048):
        if kind != "purchase" or product is None:
            continue
        day = ts / 86_400.0
        baskets[(user, basket or f"day{math.floor(day)}")].append(product)
        days[(user, product)].append(day)
    return baskets, days


@dataclass
class PurchaseColumns:
    """Every purchased line of the log as integer columns (what population fits scan).

    ``basket`` codes are distinct per shopper (a basket id reused by two shoppers is two
    baskets); a line without a basket id belongs to its shopper's basket of that day.
    """

    user: NDArray[np.int64]
    basket: NDArray[np.int64]
    product: NDArray[np.int64]
    day: NDArray[np.float64]
    product_ids: list[str]
    user_ids: list[str] | None = None
    """``user_ids[code]`` names each user code (None: unknown, no per-shopper fits)."""

    @classmethod
    def from_records(cls, records: Iterable[EventRecord]) -> PurchaseColumns:
        """Build the columns in one streaming pass (codes only: no per-line objects kept)."""
        users: dict[str, int] = {}
        baskets: dict[tuple[int, str], int] = {}
        products: dict[str, int] = {}
        user, basket, product, day = array("q"), array("q"), array("q"), array("d")
        for kind, who, ts, pid, _q, _p, _query, bid, *_ in paced(records, 4096):
            if kind != "purchase" or pid is None:
                continue
            d = ts / 86_400.0
            u = users.setdefault(who, len(users))
            user.append(u)
            basket.append(baskets.setdefault((u, bid or f"day{math.floor(d)}"), len(baskets)))
            product.append(products.setdefault(pid, len(products)))
            day.append(d)
        return cls(
            np.frombuffer(user, dtype=np.int64).copy(),
            np.frombuffer(basket, dtype=np.int64).copy(),
            np.frombuffer(product, dtype=np.int64).copy(),
            np.frombuffer(day, dtype=np.float64).copy(),
            list(products),
            list(users),
        )

    @property
    def n_baskets(self) -> int:
        """Distinct baskets."""
        return len(np.unique(self.basket))


def _interval_shape_columns(columns: PurchaseColumns) -> float:
    """The pooled gamma shape of inter-purchase intervals (1 / variance of intervals over their
    own mean), vectorised over shopper × product."""
    if len(columns.day) == 0:
        return 2.0
    key = columns.user * max(len(columns.product_ids), 1) + columns.product
    order = np.lexsort((columns.day, key))
    k, d = key[order], columns.day[order]
    group_start = np.r_[True, k[1:] != k[:-1]]
    raw_count = np.diff(np.r_[np.flatnonzero(group_start), len(k)])
    group_of = np.cumsum(group_start) - 1
    first_day = np.r_[True, (k[1:] != k[:-1]) | (d[1:] != d[:-1])]
    ku, du, gu = k[first_day], d[first_day], group_of[first_day]
    same = ku[1:] == ku[:-1]
    gaps, gap_group = (du[1:] - du[:-1])[same], gu[1:][same]
    n_gaps = np.bincount(gap_group, minlength=len(raw_count))
    total = np.bincount(gap_group, weights=gaps, minlength=len(raw_count))
    mean = np.divide(total, n_gaps, out=np.zeros(len(raw_count)), where=n_gaps > 0)
    eligible = (raw_count >= 3) & (n_gaps >= 2) & (mean > 0)
    use = eligible[gap_group]
    if not use.any():
        return 2.0
    ratios = gaps[use] / mean[gap_group[use]]
    var = float(ratios.var())
    return float(np.clip(1.0 / max(var, 1e-6), 0.5, 50.0))


def _repeat_after(
    times_bought: tuple[Sequence[int], Sequence[int]], horizon: int = 30
) -> list[float]:
    """``P(bought again | bought n times)`` for n = 1..horizon, Beta(1, 1)-smoothed.

    ``times_bought`` holds, per shopper × product, the purchase count and (1/0) whether its last
    purchase was in the shopper's latest order (right-censored: no chance yet to see a
    repeat, so that count is not evidence of stopping). Where no product was observed at
    some ``n``, the estimate of ``n - 1`` carries on.
    """
    counts = np.minimum(np.asarray(times_bought[0], dtype=np.int64), horizon + 1)
    stopped = np.asarray(times_bought[1], dtype=np.int8) == 0
    out: list[float] = []
    previous = 0.5
    for n in range(1, horizon + 1):
        repeats = int((counts > n).sum())
        trials = repeats + int(((counts == n) & stopped).sum())
        previous = (repeats + 1) / (trials + 2) if trials else previous
        out.append(previous)
    return out


def fit_population(
    users: Mapping[str, UserStats],
    records: Iterable[EventRecord] | PurchaseColumns,
    catalog: Catalog,
    event_count: int,
    share_vectors: (
        Mapping[str, Mapping[str, float]]
        | Iterable[tuple[str, Mapping[str, float]]]
        | Callable[[float], Iterable[tuple[str, Mapping[str, float]]]]
        | None
    ) = None,
    complement_prior: float = 5.0,
    item_prior: float = 2.0,
    config: EngineConfig | None = None,
    quantity_shoppers: int = 2_000,
) -> PopulationModel:
    """Fit every population statistic from all shoppers' rows and the event log.

    ``share_vectors`` (each shopper's recency-weighted order shares) feed the neighbourhood;
    given as a function of the half-life, they are built at the learned one.
    ``complement_prior`` is the co-occurrence shrinkage the engine serves with (the
    complements' ``κ`` is fitted under it), ``item_prior`` the re-ranker's (the price
    weight is fitted under it). The quantity strengths are fitted on the histograms of at
    most ``quantity_shoppers`` shoppers (those whose ids hash lowest); values pinned in
    ``config`` are kept; the
    next-basket knobs left ``None`` are learned (:func:`fit_next_basket`).
    """
    model = PopulationModel(n_users=len(users), events_at_fit=event_count)
    gaps: list[float] = []
    quantities: dict[str, dict[float, float]] = defaultdict(lambda: defaultdict(float))
    price_acc: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
    times_bought: tuple[array[int], array[int]] = (array("q"), array("b"))
    quantity_sample = sample_shoppers(users, quantity_shoppers)
    sampled_histograms: list[tuple[str, dict[str, dict[float, float]]]] = []
    for stats in paced(users.values()):
        mine: dict[str, dict[float, float]] | None = None
        if stats.user_id in quantity_sample:
            mine = {}
            sampled_histograms.append((stats.user_id, mine))
        order_days = stats.basket_days()
        latest = order_days[-1] if order_days else 0.0
        total = 0.0
        for pid, item in stats.purchased.items():
            times_bought[0].append(int(item.lines))
            times_bought[1].append(1 if item.last_day >= latest else 0)
            total += item.lines
            model.item_lines[pid] = model.item_lines.get(pid, 0.0) + item.lines
            model.item_users[pid] = model.item_users.get(pid, 0) + 1
            category = catalog.category(pid)
            if category is not None:
                model.category_lines[category] = (
                    model.category_lines.get(category, 0.0) + item.lines
                )
            histogram = stats.quantity_histogram(pid)
            for q, c in histogram.items():
                quantities[pid][q] += c
            if mine is not None:
                mine[pid] = histogram
            if item.priced > 0:
                acc = price_acc[pid]
                acc[0] += item.log_price_sum
                acc[1] += item.priced
        model.n_lines += total
        gap = stats.mean_gap()
        if gap is not None:
            gaps.append(gap)
    columns = (
        records if isinstance(records, PurchaseColumns) else PurchaseColumns.from_records(records)
    )
    model.n_baskets = columns.n_baskets
    model.attribute_rates = fit_from_columns(
        columns.user, columns.basket, columns.product, columns.product_ids, catalog
    )
    model.cooccurrence = fit_cooccurrence_columns(
        columns.user, columns.basket, columns.product, columns.product_ids
    )
    model.complement_history = fit_history_strength(
        columns.user,
        columns.basket,
        columns.product,
        columns.day,
        columns.product_ids,
        complement_prior,
    )
    model.interval_shape = _interval_shape_columns(columns)
    if gaps:
        model.median_gap = float(np.median(gaps))
    model.repeat_after = _repeat_after(times_bought)
    model.regularity = fit_interval_regularity(
        columns.user,
        columns.basket,
        columns.product,
        columns.day,
        columns.product_ids,
        columns.user_ids,
        model.repeat_after,
        model.median_gap,
    )
    model.product_quantities = {pid: dict(h) for pid, h in quantities.items()}
    sampled_histograms.sort(key=lambda kv: kv[0])  # the sample's order: never arrival order
    model.quantity = fit_quantity_model(
        model.product_quantities, catalog, (h for _, h in sampled_histograms), config
    )
    fit_prices(model, catalog, price_acc, columns)
    if model.prices is not None:
        model.prices = fit_price_weight(
            columns, catalog, model.prices, model.item_lines, model.category_lines, item_prior
        )
    model.household = fit_household_model(list(users.values()), catalog)
    model.next_basket = fit_next_basket(
        columns, model, config or EngineConfig(), with_neighbours=share_vectors is not None
    )
    if share_vectors is not None:
        if callable(share_vectors):
            share_vectors = share_vectors(
                config.half_life_days
                if config is not None and config.half_life_days is not None
                else model.next_basket.half_life_days
            )
        neighbourhood = fit_neighbourhood(share_vectors)
        model.neighbourhood = neighbourhood if neighbourhood.users else None
    return model


def fit_prices(
    model: PopulationModel,
    catalog: Catalog,
    observed: dict[str, list[float]],
    columns: PurchaseColumns | None = None,
) -> None:
    """Mean log price per product (observed, else catalog), its spread per category, and the
    unit-price model with every shopper's position (learning/prices)."""
    for product in catalog:
        if product.price is not None and product.price > 0:
            model.item_log_price[product.product_id] = math.log(product.price)
    for pid, (log_sum, n) in observed.items():
        model.item_log_price[pid] = log_sum / n
    per_category: dict[str, list[float]] = defaultdict(list)
    for pid, lp in model.item_log_price.items():
        category = catalog.category(pid)
        if category is not None:
            per_category[category].append(lp)
    for category, values in per_category.items():
        if len(values) >= 2:
            arr = np.asarray(values)
            model.category_price[category] = (float(arr.mean()), float(arr.std()) + 1e-3)
    if model.item_log_price:
        model.prices, positions = fit_price_model(
            catalog, model.item_log_price, model.item_lines, columns
        )
        model.price_positions = np.asarray(positions, dtype=np.float64)


def price_position(
    stats: UserStats, model: PopulationModel, catalog: Catalog
) -> tuple[float | None, int]:
    """A shopper's shrunk unit-price position (learning/prices) and comparable lines."""
    found = shopper_prices(stats, model.prices)
    return found.position, int(found.lines)


@dataclass(frozen=True)
class Removal:
    """What a forgotten shopper contributed to the population sums, captured before erasure."""

    user_id: str
    stats: UserStats
    baskets: list[list[str]]

    @classmethod
    def of(cls, user_id: str, stats: UserStats, events: Iterable[Event]) -> Removal:
        """Capture a shopper's rows and the product lists of their baskets."""
        baskets, _ = _baskets(event_to_record(e) for e in events if e.user_id == user_id)
        return cls(user_id, stats, [items for (_, _), items in sorted(baskets.items())])


def remove_shopper(model: PopulationModel, removal: Removal, catalog: Catalog) -> PopulationModel:
    """``model`` without one shopper's contribution to its sums, at once and without a refit.

    Counts (products, categories, quantities, co-occurrence, baskets) are sums over shoppers
    and lose the shopper exactly; the neighbourhood, price positions and household percentile
    base drop the shopper's row. Fitted shape parameters (dietary rates, interval shape, the
    household weights) keep their values until the background refit replaces the model.
    """
    stats = removal.stats
    purchased = stats.purchased
    if not purchased and not removal.baskets:
        return model
    item_lines = dict(model.item_lines)
    item_users = dict(model.item_users)
    category_lines = dict(model.category_lines)
    quantities = {pid: dict(h) for pid, h in model.product_quantities.items()}
    lines = 0.0
    for pid, item in purchased.items():
        lines += item.lines
        item_lines[pid] = max(item_lines.get(pid, 0.0) - item.lines, 0.0)
        item_users[pid] = max(item_users.get(pid, 0) - 1, 0)
        category = catalog.category(pid)
        if category is not None:
            category_lines[category] = max(category_lines.get(category, 0.0) - item.lines, 0.0)
        hist = quantities.get(pid)
        if hist is not None:
            for q, c in stats.quantity_histogram(pid).items():
                hist[q] = max(hist.get(q, 0.0) - c, 0.0)
    positions = model.price_positions
    z, _ = price_position(stats, model, catalog)
    if z is not None and len(positions):
        at = int(np.argmin(np.abs(positions - z)))
        positions = np.delete(positions, at)
    return replace(
        model,
        n_users=max(model.n_users - 1, 0),
        n_lines=max(model.n_lines - lines, 0.0),
        n_baskets=max(model.n_baskets - len(removal.baskets), 0),
        item_lines=item_lines,
        item_users=item_users,
        category_lines=category_lines,
        product_quantities=quantities,
        quantity=model.quantity.without(
            {pid: stats.quantity_histogram(pid) for pid in purchased}, catalog
        ),
        price_positions=positions,
        cooccurrence=model.cooccurrence.without_unit(removal.baskets),
        household=model.household.without(removal.user_id) if model.household else None,
        neighbourhood=(
            model.neighbourhood.without(removal.user_id) if model.neighbourhood else None
        ),
        regularity=model.regularity.without(removal.user_id) if model.regularity else None,
        _log_priors={},
    )
