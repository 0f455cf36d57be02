"""Shopper neighbourhoods: collaborative evidence for next-basket prediction (TIFU-KNN style).

Every shopper is a vector of recency-weighted order shares over products (their "usual"
statistics). At fit time the population's vectors are packed in sparse row and column form;
a shopper's nearest neighbours by cosine similarity are found through the column index
(only shoppers sharing a product are touched), and the neighbours' weighted mean vector
suggests products the shopper may buy next, including ones they never bought.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray

__all__ = ["Neighbourhood", "fit_neighbourhood"]


@dataclass(frozen=True)
class Neighbourhood:
    """Sparse users × products matrix of normalised order-share vectors.

    Entries are 32-bit (item and shopper indices, single-precision shares): half the bytes
    of 64-bit ones, the neighbourhood's largest cost per shopper at scale.
    """

    users: list[str]
    user_index: dict[str, int]
    items: list[str]
    item_index: dict[str, int]
    row_starts: NDArray[np.int64]
    row_items: NDArray[np.int32]
    row_values: NDArray[np.float32]
    col_starts: NDArray[np.int64]
    col_users: NDArray[np.int32]
    col_values: NDArray[np.float32]

    def without(self, user_id: str) -> Neighbourhood:
        """The same neighbourhood with one shopper's vector removed (zeroed, never a match)."""
        u = self.user_index.get(user_id)
        if u is None:
            return self
        row_values = self.row_values.copy()
        row_values[self.row_starts[u] : self.row_starts[u + 1]] = 0.0
        col_values = np.where(self.col_users == u, np.float32(0), self.col_values)
        return replace(self, row_values=row_values, col_values=col_values)

    def scores(
        self, vector: Mapping[str, float], k: int, exclude: str | None = None
    ) -> dict[str, float]:
        """Similarity-weighted mean of the ``k`` nearest shoppers' vectors (raw shares)."""
        summed = self.dense_scores(vector, k, exclude)
        if summed is None:
            return {}
        nz = np.flatnonzero(summed)
        return {self.items[i]: float(summed[i]) for i in nz.tolist()}

    def dense_scores(
        self, vector: Mapping[str, float], k: int, exclude: str | None = None
    ) -> NDArray[np.float64] | None:
        """:meth:`scores` as one array over :attr:`items` (zero where no neighbour bought the
        product), or None when no neighbour is found: top-k readers pick from it directly,
        without a dictionary of every product any neighbour ever bought."""
        idx = [self.item_index[p] for p in vector if p in self.item_index]
        if not idx or k <= 0:
            return None
        weights = np.array([vector[self.items[i]] for i in idx])
        norm = float(np.sqrt((weights**2).sum()))
        if norm == 0:
            return None
        weights /= norm
        starts, ends = self.col_starts[idx], self.col_starts[np.asarray(idx) + 1]
        users = np.concatenate([self.col_users[s:e] for s, e in zip(starts, ends, strict=True)])
        values = np.concatenate(
            [self.col_values[s:e] * w for s, e, w in zip(starts, ends, weights, strict=True)]
        )
        sims = np.bincount(users, weights=values, minlength=len(self.users))
        if exclude is not None and exclude in self.user_index:
            sims[self.user_index[exclude]] = 0.0
        k = min(k, int((sims > 0).sum()))
        if k == 0:
            return None
        top = np.argpartition(-sims, k - 1)[:k]
        top_sims = sims[top]
        total = float(top_sims.sum())
        rows = [
            (self.row_items[self.row_starts[u] : self.row_starts[u + 1]],
             self.row_values[self.row_starts[u] : self.row_starts[u + 1]] * s)
            for u, s in zip(top.tolist(), top_sims.tolist(), strict=True)
        ]  # fmt: skip
        items = np.concatenate([r[0] for r in rows])
        vals = np.concatenate([r[1] for r in rows])
        summed: NDArray[np.float64] = (
            np.bincount(items, weights=vals, minlength=len(self.items)) / total
        )
        return summed

    def dense_scores_many(
        self, vector: Mapping[str, float], ks: Sequence[int], exclude: str | None = None
    ) -> dict[int, NDArray[np.float64]] | None:
        """:meth:`dense_scores` for several neighbourhood sizes at once, the similarities
        computed once and each size's rows added to the next smaller one's (the population
        refit scores candidate sizes this way). Neighbours tied at a cut are taken by index
        here, in any order there."""
        idx = [self.item_index[p] for p in vector if p in self.item_index]
        if not idx or not ks or min(ks) <= 0:
            return None
        weights = np.array([vector[self.items[i]] for i in idx])
        norm = float(np.sqrt((weights**2).sum()))
        if norm == 0:
            return None
        lo, hi = self.col_starts[idx], self.col_starts[np.asarray(idx) + 1]
        span = hi - lo
        at = np.repeat(lo - np.cumsum(np.r_[0, span[:-1]]), span) + np.arange(int(span.sum()))
        sims = np.bincount(
            self.col_users[at],
            weights=self.col_values[at] * np.repeat(weights / norm, span),
            minlength=len(self.users),
        )
        if exclude is not None and exclude in self.user_index:
            sims[self.user_index[exclude]] = 0.0
        positive = int((sims > 0).sum())
        if positive == 0:
            return None
        ranked = np.lexsort((np.arange(len(sims)), -sims))[: min(max(ks), positive)]
        out: dict[int, NDArray[np.float64]] = {}
        summed = np.zeros(len(self.items))
        done = 0
        for k in sorted(set(ks)):
            users = ranked[done : min(k, positive)]
            if len(users):
                r_lo, r_hi = self.row_starts[users], self.row_starts[users + 1]
                r_span = r_hi - r_lo
                rows = np.repeat(r_lo - np.cumsum(np.r_[0, r_span[:-1]]), r_span) + np.arange(
                    int(r_span.sum())
                )
                summed += np.bincount(
                    self.row_items[rows],
                    weights=self.row_values[rows] * np.repeat(sims[users], r_span),
                    minlength=len(self.items),
                )
                done = min(k, positive)
            out[k] = summed / float(sims[ranked[:done]].sum())
        return out


def fit_neighbourhood(
    vectors: Mapping[str, Mapping[str, float]] | Iterable[tuple[str, Mapping[str, float]]],
) -> Neighbourhood:
    """Pack every shopper's share vector; cosine-normalised copies index the neighbours.

    ``vectors`` may be a mapping or a stream of ``(shopper, vector)`` pairs: a stream is
    packed as it arrives, so a population fit never holds every shopper's dict at once.
    """
    pairs = vectors.items() if isinstance(vectors, Mapping) else vectors
    users: list[str] = []
    items: list[str] = []
    item_index: dict[str, int] = {}
    rows_i: array[int] = array("i")
    rows_v: array[float] = array("f")
    rows_u: array[int] = array("i")
    norm_v: array[float] = array("f")
    starts: array[int] = array("q", [0])
    for user, vec in pairs:
        u = len(users)
        users.append(user)
        norm = math.sqrt(sum(v * v for v in vec.values())) or 1.0
        for pid, value in vec.items():
            i = item_index.get(pid)
            if i is None:
                i = item_index[pid] = len(items)
                items.append(pid)
            rows_i.append(i)
            rows_v.append(value)
            rows_u.append(u)
            norm_v.append(value / norm)
        starts.append(len(rows_i))
    row_items = np.frombuffer(rows_i, dtype=np.int32).copy()
    order = np.argsort(row_items, kind="stable")
    col_users = np.frombuffer(rows_u, dtype=np.int32)[order]
    col_values = np.frombuffer(norm_v, dtype=np.float32)[order]
    col_starts = np.searchsorted(row_items[order], np.arange(len(items) + 1)).astype(np.int64)
    return Neighbourhood(
        users=users,
        user_index={u: i for i, u in enumerate(users)},
        items=items,
        item_index=item_index,
        row_starts=np.frombuffer(starts, dtype=np.int64).copy(),
        row_items=row_items,
        row_values=np.frombuffer(rows_v, dtype=np.float32).copy(),
        col_starts=col_starts,
        col_users=col_users,
        col_values=col_values,
    )
