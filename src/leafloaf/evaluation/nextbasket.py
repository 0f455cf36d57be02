"""``leafloaf evaluate next-basket``: the engine vs. G-TopFreq, P-TopFreq and TIFU-KNN.

The baselines are tuned on each user's validation basket; the engine is not tuned from
outside at all: it learns its knobs inside its own population refit
(``engine.next_basket_settings()``), and the report shows what it learned. Engine vs. tuned
TIFU-KNN and vs. P-TopFreq are compared per user with a 95 % paired bootstrap interval.
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from leafloaf.catalog import Catalog
from leafloaf.config import EngineConfig
from leafloaf.engine import GraphitiPersonalizationEngine
from leafloaf.evaluation.baselines import TIFUKNN, GTopFreq, PTopFreq, TIFUParams, TIFUVariant
from leafloaf.evaluation.data import Basket, BasketData
from leafloaf.evaluation.metrics import recall_at_k, score_rankings
from leafloaf.evaluation.split import UserSplit, leave_last_out
from leafloaf.models import Event, EventType
from leafloaf.progress import progress, step

__all__ = [
    "TIFU_GRID",
    "baskets_to_events",
    "evaluate_next_basket",
    "train_engine",
]

KS = (10, 20)
TIFU_GRID: dict[str, Sequence[Any]] = {
    "groups": (3, 7),
    "group_decay": (0.6, 0.7, 0.9),
    "neighbours": (100, 300, 900),
    "alpha": (0.5, 0.7, 0.9),
}
"""Searched on the validation basket (``within_decay`` stays at the paper's 0.9)."""
TIFU_VARIANTS: tuple[TIFUVariant, ...] = ("authors", "paper")
"""Both readings of TIFU-KNN are tuned and reported: ``tifu-knn`` and ``tifu-knn-paper``."""


def baskets_to_events(known: Mapping[str, Sequence[Basket]]) -> list[Event]:
    """Purchase events of every basket (already-validated data: built without re-validation)."""
    events = []
    for user, baskets in known.items():
        for n, basket in enumerate(baskets):
            for pid in basket.items:
                events.append(
                    Event.trusted(
                        type=EventType.PURCHASE,
                        user_id=user,
                        ts=basket.at,
                        product_id=pid,
                        quantity=basket.quantities.get(pid, 1.0),
                        unit_price=basket.prices.get(pid),
                        query=None,
                        basket_id=f"{user}/{n}",
                        member_id=None,
                        household_id=None,
                        event_id=f"{user}/{n}/{pid}",
                    )
                )
    return events


def train_engine(
    catalog: Catalog, known: Mapping[str, Sequence[Basket]], config: EngineConfig | None = None
) -> GraphitiPersonalizationEngine:
    """An engine that has learned from ``known`` baskets, population model fitted."""
    engine = GraphitiPersonalizationEngine(catalog, config=config)
    engine.record_many(baskets_to_events(known))
    engine.fit()
    return engine


def _rank(scores: Mapping[str, float], k: int) -> list[str]:
    return [p for p, _ in sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))[:k]]


def _pad(ranked: list[str], fallback: Sequence[str], k: int) -> list[str]:
    if len(ranked) >= k:
        return ranked[:k]
    have = set(ranked)
    return ranked + [i for i in fallback if i not in have][: k - len(ranked)]


def _objective(result: Mapping[str, object]) -> float:
    return float(result["recall@10"]) + float(result["ndcg@10"])  # type: ignore[arg-type]


class _Stage:
    """What one stage (validation or test) predicts and scores."""

    def __init__(self, splits: Mapping[str, UserSplit], stage: str) -> None:
        self.stage = stage
        self.known = {u: s.known(stage) for u, s in splits.items()}
        self.targets = {u: set(s.target(stage).items) for u, s in splits.items()}
        self.when = {u: s.target(stage).at for u, s in splits.items()}
        self.seen = {u: {i for b in self.known[u] for i in b.items} for u in splits}

    def score(self, rankings: Mapping[str, Sequence[str]]) -> dict[str, object]:
        """Every metric averaged over users, and (key ``_recall@10``, taken out before the
        report) each user's Recall@10, for the paired comparisons."""
        out = score_rankings(rankings, self.targets, self.seen, KS)
        users = [u for u in self.targets if self.targets[u]]
        out["_recall@10"] = [recall_at_k(rankings.get(u, ()), self.targets[u], 10) for u in users]
        return out


def _paired(
    mine: Sequence[float], theirs: Sequence[float], resamples: int = 2_000, seed: int = 0
) -> dict[str, Any]:
    """Per-user paired comparison: mean difference and ratio of means, each with a 95 %
    percentile-bootstrap interval over users (the same resampled users for both); a "win"
    only when the difference's interval excludes zero."""
    a, b = np.asarray(mine, dtype=np.float64), np.asarray(theirs, dtype=np.float64)
    if len(a) == 0:
        return {"difference": [math.nan] * 3, "ratio": [math.nan] * 3, "win": False}
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, len(a), size=(resamples, len(a)))
    mean_a, mean_b = a[picks].mean(axis=1), b[picks].mean(axis=1)
    diff_lo, diff_hi = np.percentile(mean_a - mean_b, [2.5, 97.5])
    ratio = mean_a / np.maximum(mean_b, 1e-12)
    ratio_lo, ratio_hi = np.percentile(ratio, [2.5, 97.5])
    diff = [float(a.mean() - b.mean()), float(diff_lo), float(diff_hi)]
    return {
        "difference": [round(v, 4) for v in diff],
        "ratio": [
            round(v, 4) for v in (float(a.mean() / max(b.mean(), 1e-12)), ratio_lo, ratio_hi)
        ],
        "win": bool(diff_lo > 0),
        "loss": bool(diff_hi < 0),
    }


def _tune_tifu(validation: _Stage, variant: TIFUVariant, show: bool) -> TIFUParams:
    """The TIFU grid point best on validation, scoring every blend of one set of neighbours.

    Vectors and the distance-ordered neighbours depend only on ``groups`` and
    ``group_decay``: they are built once per such pair, to the largest ``neighbours``, and
    every ``(neighbours, alpha)`` is read from that one fit (same order and ties as 54 fits).
    """
    vector_grid = list(itertools.product(TIFU_GRID["groups"], TIFU_GRID["group_decay"]))
    blends = list(itertools.product(TIFU_GRID["neighbours"], TIFU_GRID["alpha"]))
    depth = max(TIFU_GRID["neighbours"])
    best, best_score = TIFUParams(variant=variant), -1.0
    name = TIFUKNN(best).name
    bar = f"{name} tuning on validation baskets"
    for groups, decay in progress(vector_grid, len(vector_grid), bar, unit=" vector settings") \
            if show else vector_grid:  # fmt: skip
        model = TIFUKNN(TIFUParams(groups=groups, group_decay=decay, variant=variant))
        model.fit(validation.known, depth=depth)
        for (k, alpha), rankings in model.rank_all(10, blends).items():
            score = _objective(validation.score(rankings))
            if score > best_score:
                best_score = score
                best = TIFUParams(groups=groups, group_decay=decay, neighbours=k, alpha=alpha,
                                  variant=variant)  # fmt: skip
    return best


def _paired_recall(
    ours: Mapping[str, Sequence[str]], theirs: Mapping[str, Sequence[str]], stage: _Stage
) -> dict[str, Any]:
    """recall@10 of the authors' TIFU-KNN minus the paper's, 95 % paired bootstrap."""
    from leafloaf.search.judged import bootstrap_interval  # judged imports this module

    users = [u for u in stage.targets if stage.targets[u]]
    diffs = [
        recall_at_k(ours[u], stage.targets[u], 10) - recall_at_k(theirs[u], stage.targets[u], 10)
        for u in users
    ]
    mean, low, high = bootstrap_interval(diffs)
    return {
        "recall@10 tifu-knn - tifu-knn-paper": {
            "mean_difference": round(mean, 5),
            "ci95": [round(low, 5), round(high, 5)],
            "win": bool(diffs) and low > 0,
        }
    }


def evaluate_next_basket(
    data: BasketData,
    users: int | None = None,
    seed: int = 0,
    show_progress: bool = True,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Run every method on the test basket: the baselines tuned on the validation basket,
    the engine with the settings its own refit learned (reported under ``learned``)."""
    started = time.perf_counter()
    data = data.sample_users(users, seed)
    splits = leave_last_out(data)
    validation, test = _Stage(splits, "validation"), _Stage(splits, "test")
    log(f"{data.name}: {len(splits)} users with at least 3 baskets")
    methods: dict[str, dict[str, object]] = {}
    params: dict[str, dict[str, Any]] = {}

    popular = GTopFreq()
    with step("G-TopFreq and P-TopFreq", show_progress):
        for method in (popular, PTopFreq()):
            method.fit(test.known)
            methods[method.name] = test.score({u: method.predict(u, max(KS)) for u in test.targets})
        popular.fit(test.known)
        fallback_test = popular.ranking[:100]

    # TIFU-KNN (the authors' code, and the paper's reading): grid search on validation
    tifu_lists: dict[str, dict[str, list[str]]] = {}
    for variant in TIFU_VARIANTS:
        best_tifu = _tune_tifu(validation, variant, show_progress)
        tifu = TIFUKNN(best_tifu)
        with step(f"{tifu.name} on test baskets", show_progress):
            tifu.fit(test.known)
            top = tifu.rank_all(max(KS))[(best_tifu.neighbours, best_tifu.alpha)]
            tifu_lists[tifu.name] = {
                u: _pad(top.get(u, []), fallback_test, max(KS)) for u in test.targets
            }
            methods[tifu.name] = test.score(tifu_lists[tifu.name])
        params[tifu.name] = dict(best_tifu.__dict__)
    tifu_variants = _paired_recall(tifu_lists["tifu-knn"], tifu_lists["tifu-knn-paper"], test)

    # LeafLoaf: no outer search; the engine learns its knobs inside its own refit
    with step("LeafLoaf on test baskets: learning", show_progress):
        fit_started = time.perf_counter()
        engine = train_engine(data.catalog, test.known)
        fit_seconds = time.perf_counter() - fit_started
    rankings = {}
    test_users = list(test.targets)
    desc = "LeafLoaf on test baskets: predicting"
    for user in (
        progress(test_users, len(test_users), desc, unit=" users") if show_progress else test_users
    ):
        ranked = engine.next_basket(user, max(KS), at=test.when[user]).product_ids
        rankings[user] = _pad(ranked, fallback_test, max(KS))
    methods["leafloaf"] = test.score(rankings)
    learned = engine.next_basket_settings()
    params["leafloaf"] = learned.model_dump(
        include={"half_life_days", "timing_weight", "personal_weight", "neighbours"}
    )
    per_user = {name: figures.pop("_recall@10") for name, figures in methods.items()}
    ours = per_user["leafloaf"]
    comparisons = {
        f"leafloaf vs {name}": _paired(ours, per_user[name])  # type: ignore[arg-type]
        for name in ("tifu-knn", "p-topfreq")
        if name in per_user
    }
    return {
        "dataset": data.name,
        "users": len(splits),
        "k": list(KS),
        "methods": methods,
        "params": params,
        "learned": {
            **learned.model_dump(exclude={"reasons"}),
            "reasons": [r.text for r in learned.reasons],
        },
        "engine_fit_seconds": round(fit_seconds, 1),
        "comparisons": comparisons,
        "tifu_variants": tifu_variants,
        "split": "per user: last basket = test, second to last = validation, earlier = history",
        "seconds": round(time.perf_counter() - started, 1),
    }
