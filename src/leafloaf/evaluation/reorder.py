"""``leafloaf evaluate reorder``: are restock probabilities calibrated on baskets nobody saw?

Each shopper's latest basket is held out; the engine learns from everything before it. At
the held-out basket's time every product the shopper bought before gets its restock
probability, and the outcome is whether it was in that basket. The report gives Brier (and
the base-rate Brier), expected calibration error, a reliability diagram, ROC-AUC, precision
and recall at probability cut-offs (the host's ``EngineConfig.due_probability`` among them),
and the model against the pooled-shape model it replaced, as a 95 % paired bootstrap over
shoppers of the difference in Brier score and log-loss.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from leafloaf.evaluation.calibration import calibration_report, plot_reliability
from leafloaf.evaluation.data import BasketData
from leafloaf.evaluation.nextbasket import train_engine
from leafloaf.evaluation.split import leave_last_out
from leafloaf.learning.population import PopulationModel
from leafloaf.learning.reorder import reorder_probabilities
from leafloaf.learning.stats import UserStats, gamma_cdf
from leafloaf.progress import progress, step
from leafloaf.search.judged import bootstrap_interval

__all__ = ["CUTOFFS", "evaluate_reorder", "plot_reorder", "pooled_shape_probabilities",
           "reorder_markdown"]  # fmt: skip

CUTOFFS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
"""Probability cut-offs at which precision and recall are reported."""


def pooled_shape_probabilities(
    stats: UserStats, population: PopulationModel, at_day: float
) -> dict[str, float]:
    """The model before issue #15, kept as the baseline: one gamma shape pooled over every
    shopper and product, and every skipped order a hard "not needed yet"."""
    days = [d for d in stats.basket_days() if d <= at_day] or stats.basket_days()
    if not days:
        return {}
    gap = max(stats.mean_gap() or population.median_gap, 1e-3)
    shape = population.interval_shape
    out = {}
    for pid, item in stats.purchased.items():
        mean = max((days[-1] - item.first_day + gap) / item.lines, 1e-3)
        skipped = [d for d in days if d > item.last_day + 1e-9]
        lo = (skipped[-1] - item.last_day) + gap / 2 if skipped else 0.0
        hi = max(at_day - item.last_day + gap / 2, 0.0)
        lo = min(lo, hi)
        f_lo = gamma_cdf(lo, shape, mean / shape)
        f_hi = gamma_cdf(hi, shape, mean / shape)
        active = population.repeat_probability(item.lines)
        den = active * (1.0 - f_lo) + (1.0 - active)
        out[pid] = min(max(active * (f_hi - f_lo) / den if den > 0 else 0.0, 0.0), 1.0)
    return out


def _auc(p: Sequence[float], y: Sequence[float]) -> float:
    """ROC-AUC by ranks (ties count one half)."""
    scores, labels = np.asarray(p), np.asarray(y)
    n_pos = int(labels.sum())
    n_neg = len(labels) - n_pos
    if not n_pos or not n_neg:
        return float("nan")
    order = np.argsort(scores, kind="stable")
    ranks = np.empty(len(scores))
    sorted_scores = scores[order]
    _, start, counts = np.unique(sorted_scores, return_index=True, return_counts=True)
    mid = start + (counts - 1) / 2.0 + 1.0
    ranks[order] = np.repeat(mid, counts)
    return float((ranks[labels == 1].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def _cutoffs(p: Sequence[float], y: Sequence[float]) -> dict[str, dict[str, float | None]]:
    """Share of cases due, precision and recall at each cut-off (precision None: none due)."""
    scores, labels = np.asarray(p), np.asarray(y)
    out: dict[str, dict[str, float | None]] = {}
    for cut in CUTOFFS:
        due = scores >= cut
        hits = int((due & (labels == 1)).sum())
        out[f"{cut:.1f}"] = {
            "due_share": round(float(due.mean()), 4) if len(due) else 0.0,
            "precision": round(hits / int(due.sum()), 4) if due.any() else None,
            "recall": round(hits / max(int(labels.sum()), 1), 4),
        }
    return out


def _log_loss(p: float, y: float) -> float:
    q = min(max(p, 1e-6), 1 - 1e-6)
    return -(y * math.log(q) + (1 - y) * math.log(1 - q))


def _paired(
    per_user: Sequence[tuple[Sequence[float], Sequence[float], Sequence[float]]], seed: int
) -> dict[str, Any]:
    """Old − new per shopper (positive: the new model is better), 95 % paired bootstrap."""
    out: dict[str, Any] = {}
    for name, loss in (("brier", lambda p, y: (p - y) ** 2), ("log_loss", _log_loss)):
        diffs = [
            float(np.mean([loss(o, t) - loss(n, t) for o, n, t in zip(old, new, y, strict=True)]))
            for old, new, y in per_user
        ]
        mean, low, high = bootstrap_interval(diffs, seed=seed)
        out[name] = {"old_minus_new": round(mean, 5), "ci95": [round(low, 5), round(high, 5)],
                     "win": bool(diffs) and low > 0}  # fmt: skip
    return out


def evaluate_reorder(
    data: BasketData, users: int | None = None, seed: int = 0, show: bool = True
) -> dict[str, Any]:
    """Calibration of restock probabilities on each shopper's held-out latest basket."""
    data = data.sample_users(users, seed)
    splits = leave_last_out(data)
    with step(f"learning from {len(splits):,} shoppers' history", show):
        engine = train_engine(data.catalog, {u: s.known("test") for u, s in splits.items()})
    pop = engine.population
    fitted = pop.regularity
    uncalibrated = (
        replace(pop, regularity=replace(fitted, calibration=(1.0, 1.0, 0.0))) if fitted else pop
    )
    curves: dict[str, list[float]] = {"leafloaf": [], "leafloaf-uncalibrated": [],
                                      "pooled-shape (before)": []}  # fmt: skip
    outcomes: list[float] = []
    per_user: list[tuple[list[float], list[float], list[float]]] = []
    names = list(splits)
    for user in progress(names, len(names), "reorder") if show else names:
        stats = engine.shopper_stats(user)
        test = splits[user].test
        at = test.at.timestamp() / 86_400.0
        target = set(test.items)
        new = reorder_probabilities(stats, pop, at)
        raw = reorder_probabilities(stats, uncalibrated, at)
        old = pooled_shape_probabilities(stats, pop, at)
        mine: tuple[list[float], list[float], list[float]] = ([], [], [])
        for pid in sorted(new):
            y = float(pid in target)
            curves["leafloaf"].append(new[pid][0])
            curves["leafloaf-uncalibrated"].append(raw[pid][0])
            curves["pooled-shape (before)"].append(old[pid])
            outcomes.append(y)
            mine[0].append(old[pid])
            mine[1].append(new[pid][0])
            mine[2].append(y)
        if mine[2]:
            per_user.append(mine)
    methods = {}
    for name, p in curves.items():
        report = calibration_report(p, outcomes)
        auc = _auc(p, outcomes)
        report["roc_auc"] = round(auc, 4) if math.isfinite(auc) else None  # one class only
        losses = [_log_loss(a, b) for a, b in zip(p, outcomes, strict=True)]
        report["log_loss"] = round(float(np.mean(losses)), 4) if losses else None
        report["cutoffs"] = _cutoffs(p, outcomes)
        methods[name] = report
    cut = engine.config.due_probability
    at_cut = _cutoffs(curves["leafloaf"], outcomes).get(f"{cut:.1f}")
    return {
        "capability": "reorder",
        "dataset": data.name,
        "protocol": "each shopper's latest basket held out (the engine learns from all "
        "earlier ones); at its time every product the shopper bought before gets "
        "reorder_probabilities; outcome = in that basket. Brier vs. base-rate Brier, ECE over "
        "10 equal-mass bins, ROC-AUC, precision/recall at probability cut-offs; leafloaf vs. "
        "the pooled-shape model it replaced, 95 % paired bootstrap over shoppers of the "
        "per-shopper mean Brier and log-loss (old − new; a win when the interval excludes 0)",
        "shoppers": len(per_user),
        "cases": len(outcomes),
        "fitted": (
            {
                "global_log_var": round(fitted.global_log_var, 4),
                "nu_product": fitted.nu_product,
                "nu_shopper": fitted.nu_shopper,
                "reliability": fitted.reliability,
                "calibration": [round(c, 4) for c in fitted.calibration],
                "fit_cases": fitted.cases,
                "pooled_gamma_shape": round(pop.interval_shape, 4),
            }
            if fitted
            else {}
        ),
        "due_probability": cut,
        "at_due_probability": at_cut if at_cut is not None else _cutoffs([], []),
        "effect": {"vs pooled-shape (before)": _paired(per_user, seed)},
        "methods": methods,
    }


def reorder_markdown(result: Mapping[str, Any]) -> str:
    """Markdown report of :func:`evaluate_reorder`."""
    from leafloaf.evaluation.report import markdown_table

    methods = result["methods"]
    columns = ["cases", "base_rate", "brier", "brier_base_rate", "ece", "log_loss", "roc_auc"]
    lines = [
        f"# Reorder evaluation: {result['dataset']}",
        "",
        f"Protocol: {result['protocol']}.",
        "",
        f"{result['shoppers']} shoppers, {result['cases']} (shopper, product) cases.",
        "",
        markdown_table(methods, columns),
        "",
        "## leafloaf vs. the pooled-shape model (old − new, 95 % paired bootstrap)",
        "",
    ]
    for metric, figures in result["effect"]["vs pooled-shape (before)"].items():
        verdict = "win" if figures["win"] else "no win"
        low, high = figures["ci95"]
        lines.append(f"- {metric}: {figures['old_minus_new']:+.5f} [{low:+.5f}, {high:+.5f}] "
                     f"({verdict})")  # fmt: skip
    lines += ["", "## Cut-offs (leafloaf): a product is due when its probability ≥ the cut-off",
              "", f"The engine's cut-off (`EngineConfig.due_probability`) is "
              f"{result['due_probability']}.", ""]  # fmt: skip
    cut_rows = {f"p ≥ {k}": v for k, v in methods["leafloaf"]["cutoffs"].items()}
    lines += [markdown_table(cut_rows, ["due_share", "precision", "recall"]), ""]
    lines += ["## Fitted in the refit", ""]
    lines += [f"- {k}: {v}" for k, v in result["fitted"].items()]
    return "\n".join(lines) + "\n"


def plot_reorder(fig: Any, result: Mapping[str, Any]) -> None:
    """Reliability diagram of every method."""
    plot_reliability(fig, result["methods"], f"restock probability — {result['dataset']}")
