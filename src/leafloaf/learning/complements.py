"""Complements: what goes with a basket, from item–item co-occurrence with shrinkage.

For a basket item ``b`` and a candidate ``c`` the shrunk confidence is
``(co(b,c) + m·P(c)) / (n(b) + m)`` — with few baskets of ``b`` it stays near the base rate
``P(c)`` — and the *added value* ``confidence − P(c)`` says how much more likely ``c`` is
given ``b`` than in any basket. Popular items that go with everything score near zero.
Added values are summed over the basket and blended with how often this shopper buys the
candidate. The counts are a batch job (numpy here; the same SQL runs on DuckDB/BigQuery).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

__all__ = ["CoOccurrence", "fit_cooccurrence"]


@dataclass(frozen=True)
class CoOccurrence:
    """Symmetric basket co-occurrence counts in compressed-row form."""

    ids: list[str]
    index: dict[str, int]
    baskets_with: NDArray[np.float64]
    n_baskets: int
    neighbour: NDArray[np.int64]
    together: NDArray[np.float64]
    starts: NDArray[np.int64]

    def base_rate(self, product_id: str) -> float:
        """Share of all baskets containing the product."""
        i = self.index.get(product_id)
        return (
            0.0
            if i is None or self.n_baskets == 0
            else float(self.baskets_with[i] / self.n_baskets)
        )

    def added_value(
        self, product_ids: Sequence[str], prior_strength: float
    ) -> dict[str, dict[str, float]]:
        """``{candidate: {basket item: added value}}`` for every co-occurring candidate."""
        out: dict[str, dict[str, float]] = {}
        if self.n_baskets == 0:
            return out
        for pid in product_ids:
            i = self.index.get(pid)
            if i is None:
                continue
            lo, hi = self.starts[i], self.starts[i + 1]
            nbr = self.neighbour[lo:hi]
            base = self.baskets_with[nbr] / self.n_baskets
            conf = (self.together[lo:hi] + prior_strength * base) / (
                self.baskets_with[i] + prior_strength
            )
            for j, value in zip(nbr.tolist(), (conf - base).tolist(), strict=True):
                out.setdefault(self.ids[j], {})[pid] = value
        return out

    def together_count(self, a: str, b: str) -> float:
        """Baskets containing both products."""
        i, j = self.index.get(a), self.index.get(b)
        if i is None or j is None:
            return 0.0
        lo, hi = self.starts[i], self.starts[i + 1]
        pos = lo + int(np.searchsorted(self.neighbour[lo:hi], j))
        return float(self.together[pos]) if pos < hi and self.neighbour[pos] == j else 0.0


def fit_cooccurrence(baskets: Sequence[Sequence[str]], max_basket: int = 100) -> CoOccurrence:
    """Count item pairs over baskets (each item once per basket).

    Baskets above ``max_basket`` distinct items only bound the quadratic pair count; their
    first ``max_basket`` items are used.

    >>> co = fit_cooccurrence([["a", "b"], ["a", "b", "c"], ["c"]])
    >>> co.together_count("a", "b"), co.base_rate("c")
    (2.0, 0.6666666666666666)
    """
    ids: list[str] = []
    index: dict[str, int] = {}
    encoded: list[NDArray[np.int64]] = []
    for basket in baskets:
        row: list[int] = []
        for pid in dict.fromkeys(basket):
            i = index.get(pid)
            if i is None:
                i = index[pid] = len(ids)
                ids.append(pid)
            row.append(i)
        encoded.append(np.asarray(row[:max_basket], dtype=np.int64))
    m = len(ids)
    with_counts = np.zeros(m, dtype=np.float64)
    keys: list[NDArray[np.int64]] = []
    for encoded_row in encoded:
        with_counts[encoded_row] += 1
        if len(encoded_row) > 1:
            a, b = np.meshgrid(encoded_row, encoded_row, indexing="ij")
            mask = a != b
            keys.append(a[mask] * m + b[mask])
    if keys:
        uniq, cnt = np.unique(np.concatenate(keys), return_counts=True)
    else:
        uniq, cnt = np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    left = uniq // max(m, 1)
    return CoOccurrence(
        ids=ids,
        index=index,
        baskets_with=with_counts,
        n_baskets=len(encoded),
        neighbour=(uniq % max(m, 1)).astype(np.int64),
        together=cnt.astype(np.float64),
        starts=np.searchsorted(left, np.arange(m + 1)).astype(np.int64),
    )
