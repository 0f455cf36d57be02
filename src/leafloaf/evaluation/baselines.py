"""Next-basket baselines run side by side with the engine: G-TopFreq, P-TopFreq, TIFU-KNN."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from leafloaf.evaluation.data import Basket

__all__ = ["TIFUKNN", "GTopFreq", "PTopFreq", "TIFUParams"]


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


@dataclass(frozen=True)
class TIFUParams:
    """TIFU-KNN hyper-parameters, named as in Hu et al. (SIGIR 2020)."""

    groups: int = 3
    """``m``: number of consecutive groups the history is divided into."""
    within_decay: float = 0.9
    """``r_b``: decay of older baskets within a group."""
    group_decay: float = 0.7
    """``r_g``: decay of older groups."""
    neighbours: int = 300
    """``k``: nearest users (Euclidean distance between user vectors)."""
    alpha: float = 0.9
    """Weight of the user's own vector vs. the neighbours' mean."""


class TIFUKNN:
    """Temporal Item Frequency with user KNN (Hu et al., SIGIR 2020), re-implemented.

    User vector: the history is cut into ``groups`` consecutive groups of (nearly) equal
    size; inside a group, basket vectors are summed with weight ``r_b^(age in group)`` and
    divided by the group size; groups are summed with weight ``r_g^(group age)`` and divided
    by the number of groups. Prediction: ``alpha · own + (1 - alpha) · mean of the k
    nearest users' vectors``.
    """

    name = "tifu-knn"

    def __init__(self, params: TIFUParams | None = None) -> None:
        self.params = params or TIFUParams()

    def fit(self, known: Mapping[str, Sequence[Basket]]) -> None:
        """Build user vectors and find each user's neighbours."""
        p = self.params
        items = sorted({i for baskets in known.values() for b in baskets for i in b.items})
        self.items = items
        index = {item: j for j, item in enumerate(items)}
        self.users = list(known)
        self.user_index = {u: i for i, u in enumerate(self.users)}
        vectors = np.zeros((len(self.users), len(items)), dtype=np.float32)
        for row, user in enumerate(self.users):
            weighted = _weights(p.groups, p.within_decay, p.group_decay, known[user])
            for weight, basket in weighted:
                for item in basket.items:
                    vectors[row, index[item]] += weight
        self.vectors = vectors
        self.neighbour_mean = self._neighbour_means(vectors, p.neighbours)

    @staticmethod
    def _neighbour_means(vectors: NDArray[np.float32], k: int) -> NDArray[np.float32]:
        n = len(vectors)
        k = max(min(k, n - 1), 0)
        out = np.zeros_like(vectors)
        if k == 0:
            return out
        sq = (vectors.astype(np.float64) ** 2).sum(1)
        for start in range(0, n, 512):
            block = vectors[start : start + 512]
            dist = sq[start : start + 512, None] + sq[None, :] - 2.0 * (block @ vectors.T)
            rows = np.arange(len(block))
            dist[rows, rows + start] = np.inf  # a user is not their own neighbour
            nearest = np.argpartition(dist, k - 1, axis=1)[:, :k]
            mix = np.zeros((len(block), n), dtype=np.float32)
            np.put_along_axis(mix, nearest, 1.0 / k, axis=1)
            out[start : start + 512] = mix @ vectors  # mean of the k neighbours' vectors
        return out

    def scores(self, user: str) -> NDArray[np.float32]:
        """Blended item scores of one user (zeros for an unknown user)."""
        row = self.user_index.get(user)
        if row is None:
            return np.zeros(len(self.items), dtype=np.float32)
        a = self.params.alpha
        result: NDArray[np.float32] = a * self.vectors[row] + (1 - a) * self.neighbour_mean[row]
        return result

    def predict(self, user: str, k: int) -> list[str]:
        """Top ``k`` items by blended score."""
        s = self.scores(user)
        top = np.argsort(-s, kind="stable")[:k]
        return [self.items[j] for j in top.tolist() if s[j] > 0]


def _weights(
    groups: int, within: float, across: float, baskets: Sequence[Basket]
) -> list[tuple[float, Basket]]:
    """Per-basket TIFU weights (oldest first), following the reference implementation."""
    n = len(baskets)
    if n == 0:
        return []
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
