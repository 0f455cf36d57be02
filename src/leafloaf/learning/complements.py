"""Complements: what goes with a basket, from item–item co-occurrence with shrinkage.

For a basket item ``b`` and a candidate ``c`` the shrunk confidence is
``(co(b,c) + m·P(c)) / (n(b) + m)`` — with few baskets of ``b`` it stays near the base rate
``P(c)`` — and the *added value* ``confidence − P(c)`` says how much more likely ``c`` is
given ``b`` than in any basket. Popular items that go with everything score near zero.
Counts are per *shopper* (a shopper who buys ``b`` and ``c`` together in twenty baskets
counts once), so one heavy buyer cannot make a pair look like a complement.
The counts are a batch job (numpy here; the same SQL runs on DuckDB/BigQuery).

What a shopper adds to a basket is read as a mixture of two distributions over candidates
(everything not already in the basket): the shopper's own repeat distribution (their
purchased lines per item, normalised) and the basket's co-occurrence distribution (the
positive added values summed over the basket, normalised). The weight of the own part is
``λ = n / (n + κ)`` for a shopper with ``n`` orders, so a new shopper gets pure
co-occurrence and a long history leans on itself. ``κ`` is not set by hand: the
population refit holds out each shopper's latest basket, hides one of its items, and
keeps the ``κ`` under which the hidden items are most likely (:func:`fit_history_strength`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from itertools import pairwise

import numpy as np
from numpy.typing import NDArray

from leafloaf.learning.holdout import basket_table, shopper_signatures

__all__ = [
    "CoOccurrence",
    "HistoryStrength",
    "blend",
    "cooccurrence_distribution",
    "fit_cooccurrence",
    "fit_history_strength",
    "own_distribution",
]


@dataclass(frozen=True)
class CoOccurrence:
    """Symmetric co-occurrence counts in compressed-row form.

    ``with_counts[i]`` is how many units (shoppers, or baskets when no owners are given)
    hold item ``i``; ``together`` how many hold both items of a pair in one basket.
    """

    ids: list[str]
    index: dict[str, int]
    with_counts: NDArray[np.float64]
    n_units: int
    neighbour: NDArray[np.int32]
    together: NDArray[np.float32]
    starts: NDArray[np.int64]

    def base_rate(self, product_id: str) -> float:
        """Share of all units (shoppers) holding the product."""
        i = self.index.get(product_id)
        return 0.0 if i is None or self.n_units == 0 else float(self.with_counts[i] / self.n_units)

    def count(self, product_id: str) -> float:
        """Units (shoppers) holding the product."""
        i = self.index.get(product_id)
        return 0.0 if i is None else float(self.with_counts[i])

    def added_value(
        self, product_ids: Sequence[str], prior_strength: float
    ) -> dict[str, dict[str, float]]:
        """``{candidate: {basket item: added value}}`` for every co-occurring candidate."""
        out: dict[str, dict[str, float]] = {}
        if self.n_units == 0:
            return out
        for pid in product_ids:
            i = self.index.get(pid)
            if i is None:
                continue
            lo, hi = self.starts[i], self.starts[i + 1]
            nbr = self.neighbour[lo:hi]
            base = self.with_counts[nbr] / self.n_units
            conf = (self.together[lo:hi] + prior_strength * base) / (
                self.with_counts[i] + prior_strength
            )
            for j, value in zip(nbr.tolist(), (conf - base).tolist(), strict=True):
                out.setdefault(self.ids[j], {})[pid] = value
        return out

    def without_unit(self, baskets: Sequence[Sequence[str]], max_basket: int = 100) -> CoOccurrence:
        """These counts less one unit (a shopper) whose baskets were ``baskets``.

        Exact: a unit counts once per item and once per pair, so removing a forgotten
        shopper is a subtraction, with no refit.
        """
        items: set[int] = set()
        pairs: set[tuple[int, int]] = set()
        for basket in baskets:
            row = [self.index[p] for p in dict.fromkeys(basket) if p in self.index][:max_basket]
            items.update(row)
            pairs.update((a, b) for a in row for b in row if a != b)
        if not items:
            return self
        with_counts = self.with_counts.copy()
        with_counts[sorted(items)] -= 1.0
        together = self.together.copy()
        for a, b in pairs:
            lo, hi = self.starts[a], self.starts[a + 1]
            pos = lo + int(np.searchsorted(self.neighbour[lo:hi], b))
            if pos < hi and self.neighbour[pos] == b:
                together[pos] -= 1.0
        np.maximum(with_counts, 0.0, out=with_counts)
        np.maximum(together, 0.0, out=together)
        return replace(
            self, with_counts=with_counts, together=together, n_units=max(self.n_units - 1, 0)
        )

    def together_count(self, a: str, b: str) -> float:
        """Baskets containing both products."""
        i, j = self.index.get(a), self.index.get(b)
        if i is None or j is None:
            return 0.0
        lo, hi = self.starts[i], self.starts[i + 1]
        pos = lo + int(np.searchsorted(self.neighbour[lo:hi], j))
        return float(self.together[pos]) if pos < hi and self.neighbour[pos] == j else 0.0


def fit_cooccurrence(
    baskets: Sequence[Sequence[str]],
    owners: Sequence[str] | None = None,
    max_basket: int = 100,
) -> CoOccurrence:
    """Count item pairs bought in one basket, once per owner (or per basket without owners).

    Baskets above ``max_basket`` distinct items only bound the quadratic pair count; their
    first ``max_basket`` items are used.

    >>> co = fit_cooccurrence([["a", "b"], ["a", "b", "c"], ["c"]])
    >>> co.together_count("a", "b"), co.base_rate("c")
    (2.0, 0.6666666666666666)
    >>> fit_cooccurrence([["a", "b"], ["a", "b"]], owners=["u", "u"]).together_count("a", "b")
    1.0
    """
    ids: list[str] = []
    index: dict[str, int] = {}
    units: dict[str, tuple[list[NDArray[np.int64]], list[NDArray[np.int64]]]] = {}
    m_keys: list[list[int]] = []
    for n, basket in enumerate(baskets):
        row: list[int] = []
        for pid in dict.fromkeys(basket):
            i = index.get(pid)
            if i is None:
                i = index[pid] = len(ids)
                ids.append(pid)
            row.append(i)
        m_keys.append(row[:max_basket])
        owner = owners[n] if owners is not None else str(n)
        units.setdefault(owner, ([], []))
    m = max(len(ids), 1)
    for n, row in enumerate(m_keys):
        owner = owners[n] if owners is not None else str(n)
        items, pairs = units[owner]
        encoded = np.asarray(row, dtype=np.int64)
        items.append(encoded)
        if len(encoded) > 1:
            a, b = np.meshgrid(encoded, encoded, indexing="ij")
            mask = a != b
            pairs.append(a[mask] * m + b[mask])
    with_counts = np.zeros(len(ids), dtype=np.float64)
    keys: list[NDArray[np.int64]] = []
    for items, pairs in units.values():
        with_counts[np.unique(np.concatenate(items))] += 1
        if pairs:
            keys.append(np.unique(np.concatenate(pairs)))
    if keys:
        uniq, cnt = np.unique(np.concatenate(keys), return_counts=True)
    else:
        uniq, cnt = np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    left = uniq // m
    return CoOccurrence(
        ids=ids,
        index=index,
        with_counts=with_counts,
        n_units=len(units),
        neighbour=(uniq % m).astype(np.int32),  # half the bytes: pair arrays dominate
        together=cnt.astype(np.float32),
        starts=np.searchsorted(left, np.arange(len(ids) + 1)).astype(np.int64),
    )


def fit_cooccurrence_columns(
    unit: NDArray[np.int64],
    basket: NDArray[np.int64],
    product: NDArray[np.int64],
    product_ids: Sequence[str],
    max_basket: int = 100,
    chunk_pairs: int = 1_000_000,
) -> CoOccurrence:
    """:func:`fit_cooccurrence` over purchase columns (one entry per purchased line).

    ``unit`` (shopper), ``basket`` and ``product`` are integer codes in log order, with
    baskets numbered apart per shopper; ``product_ids[c]`` names product code ``c``. The
    same counts as the list version, with no Python object per line or pair: pairs are
    generated with numpy a slice of shoppers at a time, so memory stays bounded by
    ``chunk_pairs`` whatever the log size.
    """
    n_products = len(product_ids)
    if len(product) == 0:
        return fit_cooccurrence([])
    p = max(n_products, 1)
    n_units = len(np.unique(unit))
    # Each step frees what the next no longer needs: at 15M lines every int64 column held
    # is 120 MB, and this transient, not the model, sets the fit's peak memory.
    unit_of_basket = np.zeros(int(basket.max()) + 1, dtype=np.int32)
    unit_of_basket[basket] = unit
    # distinct products per basket, in order of first appearance, first max_basket only
    keys, first = np.unique(basket * p + product, return_index=True)
    b_of = keys // p
    order = np.lexsort((first, b_of))
    del first
    b_of = b_of[order]
    p_of = (keys[order] % p).astype(np.int32)
    del keys, order
    starts = np.flatnonzero(np.r_[True, b_of[1:] != b_of[:-1]])
    sizes = np.diff(np.r_[starts, len(b_of)])
    keep = (np.arange(len(b_of)) - np.repeat(starts, sizes)) < max_basket
    del starts, sizes
    b_of, p_of = b_of[keep], p_of[keep]
    del keep
    u_of = unit_of_basket[b_of]
    del unit_of_basket
    # with_counts: shoppers holding each product
    held = np.unique(u_of.astype(np.int64) * p + p_of)
    with_counts = np.bincount(held % p, minlength=n_products).astype(np.float64)
    del held
    # pairs, a slice of whole shoppers at a time (the dedupe is per shopper)
    grouping = np.lexsort((b_of, u_of))
    u_sorted, b_sorted, p_sorted = u_of[grouping], b_of[grouping], p_of[grouping]
    del grouping, u_of, b_of, p_of
    bstart = np.flatnonzero(np.r_[True, b_sorted[1:] != b_sorted[:-1]])
    del b_sorted
    bsize = np.diff(np.r_[bstart, len(p_sorted)])
    ustart = np.flatnonzero(np.r_[True, u_sorted[bstart][1:] != u_sorted[bstart][:-1]])
    unit_pairs = np.add.reduceat(bsize * (bsize - 1), ustart).tolist()
    bounds, acc = [0], 0
    for i, count in enumerate(unit_pairs):
        if acc and acc + count > chunk_pairs:
            bounds.append(i)
            acc = 0
        acc += count
    bounds.append(len(ustart))
    uniq: NDArray[np.int64] = np.zeros(0, dtype=np.int64)
    cnt: NDArray[np.float64] = np.zeros(0, dtype=np.float64)
    partial: list[tuple[NDArray[np.int64], NDArray[np.int64]]] = []
    waiting = 0

    def merged() -> tuple[NDArray[np.int64], NDArray[np.float64]]:
        # fold the slices' counts into the running totals: memory stays bounded by the
        # distinct pairs of the population, not by the number of shoppers
        allp = np.concatenate([uniq, *(k for k, _ in partial)])
        allc = np.concatenate([cnt, *(c.astype(np.float64) for _, c in partial)])
        keys, inverse = np.unique(allp, return_inverse=True)
        return keys, np.bincount(inverse, weights=allc).astype(np.float64)

    for first_unit, end_unit in pairwise(bounds):
        lo = int(ustart[first_unit])
        hi = int(ustart[end_unit]) if end_unit < len(ustart) else len(bstart)
        n = bsize[lo:hi]
        item_start = np.repeat(bstart[lo:hi], n)  # per item: where its basket starts
        item = np.arange(int(bstart[lo]), int(bstart[lo]) + int(n.sum()))
        counts = np.repeat(n, n)  # per item: the size of its basket
        left = np.repeat(item, counts)
        offset = np.arange(len(left)) - np.repeat(np.cumsum(counts) - counts, counts)
        right = np.repeat(item_start, counts) + offset
        mask = left != right
        left, right = left[mask], right[mask]
        key = (u_sorted[left].astype(np.int64) * p + p_sorted[left]) * p + p_sorted[right]
        pairs = np.unique(key) % (p * p)
        del item_start, item, counts, left, right, offset, mask, key
        partial.append(np.unique(pairs, return_counts=True))
        waiting += len(partial[-1][0])
        if waiting > max(chunk_pairs, len(uniq)):
            uniq, cnt = merged()
            partial, waiting = [], 0
    if partial:
        uniq, cnt = merged()
    left_item = uniq // p
    return CoOccurrence(
        ids=list(product_ids),
        index={pid: i for i, pid in enumerate(product_ids)},
        with_counts=with_counts,
        n_units=n_units,
        neighbour=(uniq % p).astype(np.int32),
        together=cnt.astype(np.float32),
        starts=np.searchsorted(left_item, np.arange(n_products + 1)).astype(np.int64),
    )


def cooccurrence_distribution(
    added: Mapping[str, Mapping[str, float]], basket: Sequence[str]
) -> dict[str, float]:
    """``P(candidate | basket)`` from :meth:`CoOccurrence.added_value`: positive summed
    added values, normalised over the candidates outside the basket.

    >>> cooccurrence_distribution({"a": {"x": 0.3}, "b": {"x": 0.1, "y": -0.2}, "x": {}}, ["x"])
    {'a': 1.0}
    """
    inside = set(basket)
    sums = {c: sum(v.values()) for c, v in added.items() if c not in inside}
    positive = {c: v for c, v in sums.items() if v > 0}
    total = math.fsum(positive.values())
    return {c: v / total for c, v in positive.items()} if total > 0 else {}


def own_distribution(lines: Mapping[str, float], basket: Sequence[str]) -> dict[str, float]:
    """The shopper's repeat distribution: purchased lines per item outside the basket,
    normalised.

    >>> own_distribution({"a": 3.0, "b": 1.0, "x": 4.0}, ["x"])
    {'a': 0.75, 'b': 0.25}
    """
    inside = set(basket)
    kept = {c: v for c, v in lines.items() if v > 0 and c not in inside}
    total = math.fsum(kept.values())
    return {c: v / total for c, v in kept.items()} if total > 0 else {}


def blend(orders: float, kappa: float) -> float:
    """Weight of the shopper's own distribution, ``n / (n + κ)``.

    >>> blend(0, 4.0), blend(4, 4.0)
    (0.0, 0.5)
    """
    return orders / (orders + kappa) if orders > 0 else 0.0


@dataclass(frozen=True)
class HistoryStrength:
    """The fitted ``κ`` (in orders) and the evidence it was chosen on."""

    kappa: float
    cases: int
    """Held-out baskets whose hidden item either distribution could explain."""
    log_likelihood: float
    """Mean log-probability of the hidden items at ``kappa`` (0 without cases)."""


# The search range, in orders: from "a fraction of one order already outweighs the
# population" to "thousands of orders before it does". Quarter steps in log2 are finer
# than the held-out likelihood can tell apart on a few hundred cases.
_KAPPA_GRID = 2.0 ** np.arange(-4.0, 12.25, 0.25)
_DEFAULT = HistoryStrength(kappa=float(2.0**4), cases=0, log_likelihood=0.0)
"""Before any shopper has two baskets: nothing to fit on; a middle of the grid."""


def fit_history_strength(
    user: NDArray[np.int64],
    basket: NDArray[np.int64],
    product: NDArray[np.int64],
    day: NDArray[np.float64],
    product_ids: Sequence[str],
    prior_strength: float,
    max_cases: int = 500,
    max_shoppers: int = 5_000,
) -> HistoryStrength:
    """Choose ``κ`` by held-out likelihood on the log itself.

    Each shopper with two or more baskets holds out the latest (ties broken by content),
    and one of its items is hidden (chosen by a hash of the product and basket, so the
    same events in any order give the same cases). Co-occurrence is refit without the
    held-out baskets; for each case the hidden item's probability under the own and the
    co-occurrence distribution is taken given the rest of the basket, and the grid value
    of ``κ`` maximising the mean ``log(λ·own + (1−λ)·co)`` wins (ties: the smaller).
    Cases neither distribution explains carry no information about ``κ`` and are left
    out. At most ``max_cases`` shoppers are used (those with the smallest basket hashes),
    and the co-occurrence is refit on at most ``max_shoppers`` (theirs and the next by
    hash), so the fit's cost does not grow with the population.
    """
    if len(product) == 0:
        return _DEFAULT
    table = basket_table(user, basket, product, day, product_ids)
    owner, signature, size, per_user = table.owner, table.signature, table.size, table.per_user
    n_baskets = len(owner)
    d_basket, d_product = table.line_basket, table.line_product
    p_hash = table.product_hash
    latest = table.latest  # by start day, then by content (never by arrival order)
    eligible = latest[(per_user[owner[latest]] >= 2) & (size[latest] >= 2)]
    if len(eligible) == 0:
        return _DEFAULT
    eligible = eligible[np.lexsort((eligible, signature[eligible]))][:max_cases]
    held = np.zeros(n_baskets, dtype=bool)
    held[eligible] = True
    # the cases' co-occurrence from a bounded sample of shoppers (the cases' own, then
    # those whose baskets hash lowest): it costs the same at any population size, and a
    # few thousand shoppers estimate the distribution κ weighs against the own one
    user_sig = shopper_signatures(table)
    sampled = np.zeros(len(user_sig), dtype=bool)
    sampled[owner[eligible]] = True
    others = np.flatnonzero(~sampled & (per_user > 0))
    room = max(0, max_shoppers - int(sampled.sum()))
    sampled[others[np.argsort(user_sig[others], kind="stable")][:room]] = True
    keep = ~held[basket] & sampled[user]
    co = fit_cooccurrence_columns(user[keep], basket[keep], product[keep], product_ids)
    chosen_user = np.zeros(int(user.max()) + 1, dtype=bool)
    chosen_user[owner[eligible]] = True
    prior_rows = keep & chosen_user[user]
    lines: dict[int, dict[str, float]] = {}
    key, count = np.unique(
        user[prior_rows] * max(len(product_ids), 1) + product[prior_rows], return_counts=True
    )
    for k, c in zip(key.tolist(), count.tolist(), strict=True):
        u, p = divmod(k, max(len(product_ids), 1))
        lines.setdefault(u, {})[product_ids[p]] = float(c)
    in_basket: dict[int, list[int]] = {}
    mine = held[d_basket]  # only the held-out baskets' lines: a loop over all of them would
    # cost Python objects per line of the whole log
    for b, p in zip(d_basket[mine].tolist(), d_product[mine].tolist(), strict=True):
        in_basket.setdefault(b, []).append(p)
    own_p: list[float] = []
    co_p: list[float] = []
    orders: list[float] = []
    for b in eligible.tolist():
        items = in_basket[b]
        mixed = [(((int(p_hash[p]) * 2654435761) ^ int(signature[b])) % 2**32, p) for p in items]
        hidden = product_ids[min(mixed)[1]]
        rest = sorted(product_ids[p] for p in items if product_ids[p] != hidden)
        u = int(owner[b])
        own = own_distribution(lines.get(u, {}), rest).get(hidden, 0.0)
        joint = cooccurrence_distribution(co.added_value(rest, prior_strength), rest)
        together = joint.get(hidden, 0.0)
        if own > 0 or together > 0:
            own_p.append(own)
            co_p.append(together)
            orders.append(float(per_user[u] - 1))
    if not own_p:
        return _DEFAULT
    own_a, co_a, n = np.asarray(own_p), np.asarray(co_p), np.asarray(orders)
    weight = n[None, :] / (n[None, :] + _KAPPA_GRID[:, None])
    with np.errstate(divide="ignore"):
        ll = np.log(weight * own_a + (1.0 - weight) * co_a).mean(axis=1)
    best = int(np.argmax(ll))
    return HistoryStrength(
        kappa=float(_KAPPA_GRID[best]), cases=len(own_p), log_likelihood=float(ll[best])
    )
