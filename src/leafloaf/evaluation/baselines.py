"""Next-basket baselines run side by side with the engine: G-TopFreq, P-TopFreq, TIFU-KNN."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from leafloaf.evaluation.data import Basket

__all__ = ["TIFUKNN", "GTopFreq", "PTopFreq", "TIFUParams", "TIFUVariant"]


class GTopFreq:
    """Global popularity: the items in the most baskets, the same list for everyone."""

    name = "g-topfreq"

    def fit(self, known: Mapping[str, Sequence[Basket]]) -> None:
        """Count baskets per item over every user's known baskets."""
        counts: Counter[str] = Counter()
        for baskets in known.values():
            for basket in baskets:
                counts.update(basket.items)
        self.ranking = [item for item, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]

    def predict(self, user: str, k: int) -> list[str]:
        """Top ``k`` globally."""
        return self.ranking[:k]


class PTopFreq(GTopFreq):
    """Personal frequency: the user's most often bought items, padded with popular ones."""

    name = "p-topfreq"

    def fit(self, known: Mapping[str, Sequence[Basket]]) -> None:
        """Count each user's baskets per item (and global counts for ties and padding)."""
        super().fit(known)
        self.global_rank = {item: i for i, item in enumerate(self.ranking)}
        self.personal = {}
        for user, baskets in known.items():
            counts: Counter[str] = Counter()
            for basket in baskets:
                counts.update(basket.items)
            self.personal[user] = sorted(
                counts, key=lambda i: (-counts[i], self.global_rank.get(i, math.inf))
            )

    def predict(self, user: str, k: int) -> list[str]:
        """Top ``k`` personal items, then global ones."""
        mine = self.personal.get(user, [])[:k]
        if len(mine) < k:
            have = set(mine)
            mine += [i for i in self.ranking[: k + len(have)] if i not in have][: k - len(mine)]
        return mine


TIFUVariant = Literal["authors", "paper"]
"""Which reading of TIFU-KNN: the authors' released code (default) or the paper's text."""


@dataclass(frozen=True)
class TIFUParams:
    """TIFU-KNN hyper-parameters, named as in Hu et al. (SIGIR 2020).

    >>> TIFUParams(groups=7, alpha=0.7).variant
    'authors'
    """

    groups: int = 3
    """``m``: number of consecutive groups the history is divided into."""
    within_decay: float = 0.9
    """``r_b``: decay of older baskets (over the whole history in ``"authors"``)."""
    group_decay: float = 0.7
    """``r_g``: decay of older groups."""
    neighbours: int = 300
    """``k``: nearest users (Euclidean distance between user vectors)."""
    alpha: float = 0.9
    """Weight of the user's own vector vs. the neighbours' mean."""
    variant: TIFUVariant = "authors"
    """``"authors"``: as the authors' code (github.com/HaojiHu/TIFUKNN) computes it;
    ``"paper"``: the reading of the paper's text this project used before (see TIFUKNN)."""


class TIFUKNN:
    """Temporal Item Frequency with user KNN (Hu et al., SIGIR 2020), re-implemented.

    Default (``variant="authors"``), as the authors' released code computes it, for a history
    of ``n`` baskets (oldest first, each a 0/1 item vector):

    * basket ``i`` decays by its age over the whole history: ``r_b^(n-1-i)``;
    * ``n ≥ m``: ``m`` groups, the first ``m - n mod m`` of ``n // m`` baskets and the last
      ``n mod m`` (the newest) of one more; a group is the mean of its decayed baskets and
      group ``g`` weighs ``r_g^(m-1-g)``; the user vector is the weighted sum over ``m``;
    * ``n < m``: every basket is a group of its own, still weighted ``r_g^(m-1-i)``, so the
      whole vector carries an extra ``r_g^(m-n)`` (a short history counts less), over ``n``;
    * neighbours: the ``k`` users nearest in Euclidean distance among all users, the user
      themself included (their code queries the pool it was fitted on, and in our protocol
      every user is in the pool);
    * prediction: ``alpha · own + (1 - alpha) · mean of the k neighbours' vectors``, the
      same vectors as the distance (their latest code; an earlier commit blended other ones).

    ``variant="paper"`` keeps the earlier reading of the paper: groups cut at rounded equal
    bounds, decay by the age inside the group, no scaling of short histories, and the user
    left out of their own neighbours.

    Ties: neighbours at equal distance and items at equal score go by index (user order,
    sorted item id); the authors' code leaves both to numpy's unstable sorts.

    Vectors are sparse (scipy, from the ``eval`` extra) when scipy is installed, dense numpy
    otherwise; both give the same neighbours and lists.
    """

    def __init__(self, params: TIFUParams | None = None, sparse: bool | None = None) -> None:
        self.params = params or TIFUParams()
        self.sparse = _has_scipy() if sparse is None else sparse

    @property
    def name(self) -> str:
        """``tifu-knn`` (the authors' code) or ``tifu-knn-paper``."""
        return "tifu-knn" if self.params.variant == "authors" else "tifu-knn-paper"

    def fit(self, known: Mapping[str, Sequence[Basket]], depth: int | None = None) -> None:
        """Build user vectors and order each user's nearest users.

        ``depth`` (default ``params.neighbours``) is how many neighbours are kept in
        distance order; any ``k ≤ depth`` is then a prefix, so one fit serves several ``k``.
        """
        p = self.params
        items = sorted({i for baskets in known.values() for b in baskets for i in b.items})
        self.items = items
        index = {item: j for j, item in enumerate(items)}
        self.users = list(known)
        self.user_index = {u: i for i, u in enumerate(self.users)}
        rows: list[int] = []
        cols: list[int] = []
        vals: list[float] = []
        for row, user in enumerate(self.users):
            weighted = _weights(p.groups, p.within_decay, p.group_decay, known[user], p.variant)
            for weight, basket in weighted:
                for item in basket.items:
                    rows.append(row)
                    cols.append(index[item])
                    vals.append(weight)
        shape = (len(self.users), len(items))
        self._vectors = _UserVectors(rows, cols, vals, shape, self.sparse)
        self.include_self = p.variant == "authors"
        pool = len(self.users) if self.include_self else len(self.users) - 1
        self.depth = max(min(max(depth or 0, p.neighbours), pool), 0)
        self.neighbour_order = self._vectors.nearest(self.depth, self.include_self)

    def _k(self, neighbours: int | None) -> int:
        k = self.params.neighbours if neighbours is None else neighbours
        return min(k, self.depth)

    def scores(self, user: str) -> NDArray[np.float64]:
        """Blended item scores of one user (zeros for an unknown user)."""
        row = self.user_index.get(user)
        if row is None:
            return np.zeros(len(self.items), dtype=np.float64)
        k, a = self._k(None), self.params.alpha
        own = self._vectors.rows(np.array([row]))[0]
        near = self._vectors.row_sums(self.neighbour_order[[row], :k])[0] / max(k, 1)
        result: NDArray[np.float64] = a * own + (1 - a) * near
        return result

    def predict(self, user: str, k: int) -> list[str]:
        """Top ``k`` items by blended score (items scored zero are left out)."""
        s = self.scores(user)
        top = _smallest(-s[None, :], k)[0]
        return [self.items[j] for j in top.tolist() if s[j] > 0]

    def rank_all(
        self, k: int, settings: Iterable[tuple[int, float]] | None = None, block: int = 1024
    ) -> dict[tuple[int, float], dict[str, list[str]]]:
        """Every user's top ``k`` for each ``(neighbours, alpha)``, in one pass over the users.

        The neighbours' mean is built once per block and ``neighbours`` value (growing sums
        over the distance-ordered prefix) and shared by every ``alpha``. An item the user never
        bought scores ``(1 - alpha) · mean``, so only the user's own items and the ``k`` best
        others by mean can make the list: each blend is scored on those few candidates.
        """
        wanted = list(settings) if settings is not None else [
            (self.params.neighbours, self.params.alpha)
        ]  # fmt: skip
        by_k: dict[int, list[tuple[int, float]]] = {}
        for nb, a in wanted:
            by_k.setdefault(self._k(nb), []).append((nb, a))
        out: dict[tuple[int, float], dict[str, list[str]]] = {s: {} for s in wanted}
        n = len(self.users)
        for start in range(0, n, block):
            rows = np.arange(start, min(start + block, n))
            own_idx, own_val = self._vectors.padded_rows(rows)
            have = own_idx >= 0
            lines = np.broadcast_to(np.arange(len(rows))[:, None], own_idx.shape)
            near = np.zeros((len(rows), len(self.items)), dtype=np.float64)
            done = 0
            for kk in sorted(by_k):
                if kk > done:
                    near += self._vectors.row_sums(self.neighbour_order[rows, done:kk])
                    done = kk
                mean = near / max(kk, 1)
                others = mean.copy()
                others[lines[have], own_idx[have]] = -np.inf
                best_others = _smallest(-others, k)
                # fewer other items than k: what was picked past them is the user's own
                best_others[np.take_along_axis(others, best_others, axis=1) == -np.inf] = -1
                cand = np.concatenate([own_idx, best_others], axis=1)
                cand_own = np.concatenate([own_val, np.zeros(best_others.shape)], axis=1)
                cand_mean = np.take_along_axis(mean, np.maximum(cand, 0), axis=1)
                for nb, a in by_k[kk]:
                    blended = a * cand_own + (1 - a) * cand_mean
                    blended[cand < 0] = -np.inf
                    order = np.lexsort((cand, -blended), axis=1)[:, :k]
                    top = np.take_along_axis(cand, order, axis=1).tolist()
                    val = np.take_along_axis(blended, order, axis=1).tolist()
                    target = out[(nb, a)]
                    for r, t, v in zip(rows.tolist(), top, val, strict=True):
                        target[self.users[r]] = [
                            self.items[j] for j, x in zip(t, v, strict=True) if x > 0
                        ]
        return out


def _has_scipy() -> bool:
    try:
        import scipy.sparse  # noqa: F401
    except ImportError:
        return False
    return True


class _UserVectors:
    """Users × items TIFU vectors: scipy CSR when available, dense numpy otherwise."""

    def __init__(
        self,
        rows: list[int],
        cols: list[int],
        vals: list[float],
        shape: tuple[int, int],
        sparse: bool,
    ) -> None:
        self.shape = shape
        self.sparse = sparse
        if sparse:
            from scipy.sparse import csr_matrix  # lazy: an optional dependency (eval extra)

            # duplicates (an item in several baskets) are summed by the conversion
            self.csr: Any = csr_matrix((vals, (rows, cols)), shape=shape, dtype=np.float64)
            self.csr.sum_duplicates()
            self.norms = np.asarray(self.csr.multiply(self.csr).sum(axis=1)).ravel()
        else:
            dense = np.zeros(shape, dtype=np.float64)
            np.add.at(dense, (np.asarray(rows, dtype=np.intp), np.asarray(cols, dtype=np.intp)),
                      np.asarray(vals, dtype=np.float64))  # fmt: skip
            self.dense = dense
            self.norms = (dense**2).sum(axis=1)

    def rows(self, rows: NDArray[np.intp]) -> NDArray[np.float64]:
        """Dense copies of some users' vectors."""
        if self.sparse:
            return np.asarray(self.csr[rows].toarray(), dtype=np.float64)
        return self.dense[rows].copy()

    def padded_rows(self, rows: NDArray[np.intp]) -> tuple[NDArray[np.intp], NDArray[np.float64]]:
        """Some users' nonzero items and values, one row each, padded with index -1."""
        if self.sparse:
            part = self.csr[rows]
            counts = np.diff(part.indptr)
            idx, val = part.indices, part.data
        else:
            dense = self.dense[rows]
            r, c = np.nonzero(dense)
            counts = np.bincount(r, minlength=len(rows))
            idx, val = c, dense[r, c]
        width = int(counts.max()) if len(counts) else 0
        out_idx = np.full((len(rows), width), -1, dtype=np.intp)
        out_val = np.zeros((len(rows), width), dtype=np.float64)
        where = np.arange(width)[None, :] < counts[:, None]
        out_idx[where] = idx
        out_val[where] = val
        return out_idx, out_val

    def row_sums(self, picks: NDArray[np.intp]) -> NDArray[np.float64]:
        """Per row of ``picks``: the sum of the vectors of the users it names."""
        m, width = picks.shape
        if width == 0:
            return np.zeros((m, self.shape[1]), dtype=np.float64)
        if self.sparse:
            from scipy.sparse import csr_matrix

            select = csr_matrix(
                (np.ones(m * width), picks.ravel(), np.arange(0, m * width + 1, width)),
                shape=(m, self.shape[0]),
            )
            return np.asarray((select @ self.csr).toarray(), dtype=np.float64)
        result: NDArray[np.float64] = self.dense[picks].sum(axis=1)
        return result

    def nearest(self, depth: int, include_self: bool, block: int = 1024) -> NDArray[np.intp]:
        """Each user's ``depth`` nearest users, nearest first (ties by user index)."""
        n = self.shape[0]
        out = np.zeros((n, depth), dtype=np.intp)
        if depth == 0:
            return out
        for start in range(0, n, block):
            stop = min(start + block, n)
            if self.sparse:
                gram = np.asarray((self.csr[start:stop] @ self.csr.T).toarray())
            else:
                gram = self.dense[start:stop] @ self.dense.T
            dist = self.norms[start:stop, None] + self.norms[None, :] - 2.0 * gram
            np.maximum(dist, 0.0, out=dist)  # rounding can dip below zero
            local = np.arange(stop - start)
            # the user at distance 0 first (authors), or not at all (paper)
            dist[local, local + start] = -1.0 if include_self else np.inf
            out[start:stop] = _smallest(dist, depth)
        return out


def _smallest(values: NDArray[np.float64], k: int) -> NDArray[np.intp]:
    """Per row, the columns of the ``k`` smallest values, ordered by (value, column)."""
    m, cols = values.shape
    k = min(k, cols)
    if k <= 0:
        return np.zeros((m, 0), dtype=np.intp)
    if k < cols:
        part = np.argpartition(values, k - 1, axis=1)[:, :k]
    else:
        part = np.tile(np.arange(cols), (m, 1))
    picked = np.take_along_axis(values, part, axis=1)
    order = np.lexsort((part, picked), axis=1)
    part = np.take_along_axis(part, order, axis=1)
    if k < cols:
        # argpartition splits ties at the k-th value arbitrarily: redo those rows by column
        kth = np.take_along_axis(values, part[:, -1:], axis=1)
        tied = (values == kth).sum(axis=1) > (np.take_along_axis(values, part, 1) == kth).sum(1)
        for r in np.flatnonzero(tied).tolist():
            part[r] = np.lexsort((np.arange(cols), values[r]))[:k]
    return part


def _weights(
    groups: int,
    within: float,
    across: float,
    baskets: Sequence[Basket],
    variant: TIFUVariant = "authors",
) -> list[tuple[float, Basket]]:
    """Per-basket TIFU weights (oldest first), for either variant (see :class:`TIFUKNN`).

    >>> b = Basket(at=None, items=("x",))  # type: ignore[arg-type]
    >>> [round(w, 4) for w, _ in _weights(3, 0.5, 0.5, [b, b])]  # n < m: 0.5^(3-2) less
    [0.0625, 0.25]
    """
    n = len(baskets)
    if n == 0:
        return []
    if variant == "paper":
        return _paper_weights(groups, within, across, baskets)
    if n < groups:
        # each basket its own group, yet group decay still counts from the m-th group
        return [
            (within ** (n - 1 - i) * across ** (groups - 1 - i) / n, basket)
            for i, basket in enumerate(baskets)
        ]
    base, extra = divmod(n, groups)
    sizes = [base] * (groups - extra) + [base + 1] * extra  # the newest groups are larger
    out = []
    i = 0
    for g, size in enumerate(sizes):
        for _ in range(size):
            w = within ** (n - 1 - i) / size * across ** (groups - 1 - g) / groups
            out.append((w, baskets[i]))
            i += 1
    return out


def _paper_weights(
    groups: int, within: float, across: float, baskets: Sequence[Basket]
) -> list[tuple[float, Basket]]:
    """The earlier reading: rounded equal bounds, decay by age inside the group."""
    n = len(baskets)
    if n < groups:
        blocks = [[b] for b in baskets]
    else:
        bounds = np.linspace(0, n, groups + 1).round().astype(int)
        blocks = [list(baskets[bounds[g] : bounds[g + 1]]) for g in range(groups)]
        blocks = [b for b in blocks if b]
    out = []
    total = len(blocks)
    for g, block in enumerate(blocks):
        size = len(block)
        for j, basket in enumerate(block):
            w = within ** (size - 1 - j) * across ** (total - 1 - g) / size / total
            out.append((w, basket))
    return out
