"""Next-basket metrics: Recall@K, NDCG@K, PHR@K, and their repeat/explore split.

Definitions (binary relevance, target = set of distinct items of the true basket):

* ``recall@K = |top-K ∩ target| / |target|``
* ``ndcg@K = Σ_{i ≤ K, item_i ∈ target} 1/log2(i+1) / Σ_{i ≤ min(K, |target|)} 1/log2(i+1)``
* ``phr@K = 1 if top-K ∩ target ≠ ∅ else 0`` (personal hit ratio)

All are averaged over users. The repeat/explore split (Li et al., TOIS 2023) scores the same
top-K list against the target's *repeat* items (bought before by that user) and *explore*
items (new to them) separately, averaged over the users whose target has such items.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

__all__ = ["ndcg_at_k", "phr_at_k", "recall_at_k", "score_rankings"]


def recall_at_k(ranked: Sequence[str], target: set[str], k: int) -> float:
    """Share of the target found in the top ``k``.

    >>> recall_at_k(["a", "b", "c"], {"a", "c", "d", "e"}, 2)
    0.25
    """
    if not target:
        return 0.0
    return len(set(ranked[:k]) & target) / len(target)


def ndcg_at_k(ranked: Sequence[str], target: set[str], k: int) -> float:
    """Normalised discounted cumulative gain with binary relevance.

    >>> round(ndcg_at_k(["x", "a"], {"a"}, 2), 4)
    0.6309
    """
    if not target:
        return 0.0
    dcg = sum(1.0 / math.log2(i + 2) for i, item in enumerate(ranked[:k]) if item in target)
    ideal = sum(1.0 / math.log2(i + 2) for i in range(min(k, len(target))))
    return dcg / ideal


def phr_at_k(ranked: Sequence[str], target: set[str], k: int) -> float:
    """1 if any target item is in the top ``k``, else 0."""
    return 1.0 if set(ranked[:k]) & target else 0.0


def score_rankings(
    rankings: Mapping[str, Sequence[str]],
    targets: Mapping[str, set[str]],
    seen: Mapping[str, set[str]],
    ks: Sequence[int] = (10, 20),
) -> dict[str, object]:
    """Average every metric over users; ``seen`` = items in each user's known history."""
    out: dict[str, object] = {}
    users = [u for u in targets if targets[u]]
    for k in ks:
        for name, fn in (("recall", recall_at_k), ("ndcg", ndcg_at_k), ("phr", phr_at_k)):
            values = [fn(rankings.get(u, ()), targets[u], k) for u in users]
            out[f"{name}@{k}"] = sum(values) / len(values) if values else 0.0
    for part in ("repeat", "explore"):
        block: dict[str, float | int] = {}
        subset = {
            u: (targets[u] & seen.get(u, set()))
            if part == "repeat"
            else (targets[u] - seen.get(u, set()))
            for u in users
        }
        part_users = [u for u in users if subset[u]]
        block["users"] = len(part_users)
        for k in ks:
            for name, fn in (("recall", recall_at_k), ("ndcg", ndcg_at_k), ("phr", phr_at_k)):
                values = [fn(rankings.get(u, ()), subset[u], k) for u in part_users]
                block[f"{name}@{k}"] = sum(values) / len(values) if values else 0.0
        out[part] = block
    for k in ks:
        ratios = []
        for u in users:
            top = list(rankings.get(u, ()))[:k]
            if top:
                ratios.append(sum(1 for i in top if i in seen.get(u, set())) / len(top))
        out[f"repeat_ratio@{k}"] = sum(ratios) / len(ratios) if ratios else 0.0
    return out
