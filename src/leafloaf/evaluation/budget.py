"""Budget evaluation: does the learned price term rank held-out purchases better, is the
reported price sensitivity calibrated, and does it follow household income?

Three measurements on the leave-last-out split (the test basket never trains anything):

* **re-ranking** — each test-basket item (at most 10 per shopper) ranked among up to 200
  of its category's most bought products by the personal re-ranker with the learned price
  weight vs. with the term off (and, for reference, the weight the engine used to default
  to, 1, and the maximum-likelihood weight before its cross-fit check); NDCG@10 per shopper,
  95 % paired bootstrap interval over shoppers, a win only when it excludes 0;
* **calibration** — ``cheaper_probability`` against held-out outcomes: for each test-basket
  line in a comparable group, whether the bought product is cheaper per unit than a
  purchase drawn at random from the population's lines of its group (ties: a coin flip),
  drawn with the seed; Brier score (next to that of always answering the base rate), ECE
  and reliability (:mod:`leafloaf.evaluation.calibration`);
* **external validity** — Spearman rank correlation of ``cheaper_probability`` (and of the
  price position) with household income over the households the data's
  ``demographics.csv`` describes, income bands ordered by their lower bound
  (``"Under 15K"`` < ``"15-24K"`` < … < ``"250K+"``), with a 95 % bootstrap interval over
  households.
"""

from __future__ import annotations

import csv
import random
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from leafloaf.config import EngineConfig
from leafloaf.evaluation.calibration import calibration_report, plot_reliability
from leafloaf.evaluation.data import BasketData
from leafloaf.evaluation.metrics import ndcg_at_k
from leafloaf.evaluation.nextbasket import train_engine
from leafloaf.evaluation.split import leave_last_out
from leafloaf.learning.ranking import UserModel
from leafloaf.progress import progress, step
from leafloaf.search.judged import bootstrap_interval

__all__ = ["budget_markdown", "evaluate_budget", "income_rank", "plot_budget", "spearman"]


def income_rank(band: str) -> float | None:
    """An income band's lower bound in thousands, for ordering: ``"35-49K"`` → 35,
    ``"Under 15K"`` → 0, ``"250K+"`` → 250; None when the text names no amount.

    >>> [income_rank(b) for b in ("Under 15K", "35-49K", "250K+", "")]
    [0.0, 35.0, 250.0, None]
    """
    text = band.strip().upper()
    if text.startswith("UNDER"):
        return 0.0
    found = re.match(r"\$?(\d+(?:\.\d+)?)", text)
    return float(found.group(1)) if found else None


def _ranks(values: np.ndarray[Any, np.dtype[np.float64]]) -> np.ndarray[Any, Any]:
    """Average ranks (ties share the mean of their positions)."""
    order = np.argsort(values, kind="stable")
    ranks = np.empty(len(values))
    ranks[order] = np.arange(len(values), dtype=np.float64)
    for value in np.unique(values):
        tied = values == value
        if tied.sum() > 1:
            ranks[tied] = ranks[tied].mean()
    return ranks


def spearman(x: Sequence[float], y: Sequence[float]) -> float:
    """Spearman rank correlation (average ranks for ties); NaN when either is constant.

    >>> spearman([1, 2, 3, 4], [10, 20, 30, 40]), spearman([1, 2, 3], [3, 2, 1])
    (1.0, -1.0)
    """
    a, b = _ranks(np.asarray(x, dtype=np.float64)), _ranks(np.asarray(y, dtype=np.float64))
    if len(a) < 2 or a.std() == 0 or b.std() == 0:
        return float("nan")
    return float(np.corrcoef(a, b)[0, 1])


def _spearman_ci(
    x: Sequence[float], y: Sequence[float], seed: int, resamples: int = 2000
) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    xs, ys = np.asarray(x), np.asarray(y)
    draws = [
        spearman(xs[i].tolist(), ys[i].tolist())
        for i in rng.integers(0, len(xs), size=(resamples, len(xs)))
    ]
    finite = [d for d in draws if np.isfinite(d)]
    low, high = np.percentile(finite, [2.5, 97.5]) if finite else (float("nan"),) * 2
    rho = spearman(xs.tolist(), ys.tolist())
    return {
        "spearman": round(rho, 4),
        "ci95": [round(float(low), 4), round(float(high), 4)],
        "households": len(xs),
        "excludes_zero": bool(finite) and bool(low > 0 or high < 0),
    }


def _reranked(
    model: UserModel, candidates: Sequence[str], engine: Any, config: EngineConfig
) -> list[str]:
    """``candidates`` in the order ``rerank`` gives them under ``config`` (same terms, same
    tie-break), scored through the shopper's public compiled model."""
    pop, catalog = engine.population, engine.catalog
    scored = [
        (sum(model.score(pid, rank, pop, catalog, config).values()), rank, pid)
        for rank, pid in enumerate(candidates)
    ]
    scored.sort(key=lambda s: (-s[0], s[1]))
    return [pid for _, _, pid in scored]


def _demographics(path: Path | None) -> dict[str, float]:
    if path is None or not path.is_file():
        return {}
    out: dict[str, float] = {}
    with open(path, newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            rank = income_rank(row.get("income") or "")
            if rank is not None and row.get("household_id"):
                out[row["household_id"]] = rank
    return out


def evaluate_budget(
    data: BasketData,
    users: int | None = None,
    seed: int = 0,
    show: bool = True,
    demographics: str | Path | None = None,
) -> dict[str, Any]:
    """Re-ranking with the learned price weight vs. without, calibration of
    ``cheaper_probability`` and its rank correlation with income (see the module)."""
    if not data.has_prices:
        return {"capability": "budget", "dataset": data.name,
                "skipped": "this data set carries no prices, so the engine fits no price "
                "model and the re-ranker has no price term"}  # fmt: skip
    data = data.sample_users(users, seed)
    splits = leave_last_out(data)
    known = {u: s.known("test") for u, s in splits.items()}
    with step(f"learning from {len(known):,} shoppers' history", show):
        engine = train_engine(data.catalog, known)
    pop = engine.population
    prices = pop.prices
    if prices is None:
        return {"capability": "budget", "dataset": data.name,
                "skipped": "no product has a comparable price"}  # fmt: skip
    learned = prices.weight
    ml_weight = float(prices.weight_fit.get("maximum_likelihood_weight", learned))
    configs = {
        "learned": EngineConfig(),
        "off": EngineConfig(price_weight=0.0),
        "weight-1": EngineConfig(price_weight=1.0),
        "maximum-likelihood": EngineConfig(price_weight=ml_weight),
    }
    popularity = dict(pop.item_lines)
    pools: dict[str, list[str]] = {}
    for pid in sorted(popularity, key=lambda p: (-popularity[p], p)):
        category = engine.catalog.category(pid)
        if category is not None:
            pools.setdefault(category, []).append(pid)
    per_user: dict[str, dict[str, float]] = {}
    rng = random.Random(seed)
    predicted: list[float] = []
    outcomes: list[int] = []
    cases = 0
    for user in progress(list(splits), len(splits), "budget") if show else list(splits):
        model = engine.shopper_model(user)
        scores: dict[str, list[float]] = {name: [] for name in configs}
        for target in list(splits[user].test.items)[:10]:
            category = engine.catalog.category(target)
            pool = pools.get(category, []) if category is not None else []
            if len(pool) < 2:
                continue
            ranked = pool[:200] if target in pool[:200] else [*pool[:199], target]
            candidates = sorted(ranked, key=lambda p: (-popularity.get(p, 0.0), p))
            for name, config in configs.items():
                order = _reranked(model, candidates, engine, config)
                scores[name].append(ndcg_at_k(order, {target}, 10))
            cases += 1
        if scores["learned"]:
            per_user[user] = {name: float(np.mean(v)) for name, v in scores.items()}
        p = engine.budget_profile(user).cheaper_probability
        if p is None:
            continue
        for pid in splits[user].test.items:
            q = prices.cheaper.get(pid)
            if q is not None:
                predicted.append(p)
                outcomes.append(int(rng.random() < q))
    shoppers = sorted(per_user)

    def effect(a: str, b: str) -> dict[str, Any]:
        diffs = [per_user[u][a] - per_user[u][b] for u in shoppers]
        mean, low, high = bootstrap_interval(diffs, seed=seed)
        return {
            "mean_difference": round(mean, 5),
            "ci95": [round(low, 5), round(high, 5)],
            "win": bool(diffs) and low > 0,
        }

    income = _demographics(Path(demographics) if demographics is not None else None)
    pairs = []
    for household, rank in sorted(income.items()):
        if household in splits:
            profile = engine.budget_profile(household)
            if profile.cheaper_probability is not None and profile.price_position is not None:
                pairs.append((rank, profile.cheaper_probability, profile.price_position))
    validity: dict[str, Any] = {}
    if len(pairs) >= 3:
        ranks = [r for r, _, _ in pairs]
        validity = {
            "cheaper_probability vs income": _spearman_ci([c for _, c, _ in pairs], ranks, seed),
            "price_position vs income": _spearman_ci([z for _, _, z in pairs], ranks, seed),
        }
    return {
        "capability": "budget",
        "dataset": data.name,
        "protocol": "leave-last-out; (1) each test-basket item (≤ 10 per shopper) ranked among "
        "up to 200 of its category's most bought products by the personal re-ranker with the "
        "learned price weight vs. the term off (also weight 1, the old default, and the "
        "maximum-likelihood weight before its cross-fit check); NDCG@10 per shopper, 95 % "
        "paired bootstrap over shoppers; (2) cheaper_probability vs. whether each test-basket "
        "line is cheaper per unit than a random population purchase of its comparable group "
        "(seeded draw; ties a coin flip): Brier, ECE over 10 equal-mass bins, reliability; "
        "(3) Spearman of cheaper_probability and of price_position with the household's "
        "income band (ordered by lower bound), 95 % bootstrap over households",
        "learned_weight": round(learned, 4),
        "weight_fit": prices.weight_fit,
        "shrinkage_lines": round(prices.shrinkage, 3),
        "cheaper_prior_lines": round(sum(prices.prior), 3),
        "population_cheaper_rate": round(prices.base_rate, 4),
        "comparable_products": len(prices.z),
        "shoppers": len(shoppers),
        "cases": cases,
        "effect": {
            "learned − off": effect("learned", "off"),
            "weight 1 − off": effect("weight-1", "off"),
            "maximum-likelihood − off": effect("maximum-likelihood", "off"),
        },
        "methods": {
            name: {"ndcg@10": round(float(np.mean([per_user[u][name] for u in shoppers])), 5)}
            for name in configs
        }
        if shoppers
        else {},
        "calibration": {"cheaper_probability": calibration_report(predicted, outcomes)},
        "external_validity": validity,
    }


def budget_markdown(result: Mapping[str, Any]) -> str:
    """Markdown report of :func:`evaluate_budget`."""
    title = f"# Budget evaluation: {result['dataset']}"
    if "skipped" in result:
        return f"{title}\n\nSkipped: {result['skipped']}.\n"
    lines = [title, "", f"Protocol: {result['protocol']}.", ""]
    fit = result["weight_fit"]
    lines += [
        f"- learned price weight: **{result['learned_weight']}** (maximum likelihood "
        f"{fit.get('maximum_likelihood_weight')}, cross-fit held-out log-likelihood gain per "
        f"case {fit.get('held_out_gain_per_case')}, {fit.get('cases')} held-out choices of "
        f"{fit.get('shoppers')} shoppers)",
        f"- position shrinkage: {result['shrinkage_lines']} pseudo-lines; cheaper-rate prior: "
        f"{result['cheaper_prior_lines']} pseudo-lines at {result['population_cheaper_rate']}",
        f"- {result['comparable_products']} products with a comparable unit price; "
        f"{result['shoppers']} shoppers, {result['cases']} ranked items",
        "",
        "## Re-ranking, NDCG@10 (95 % paired bootstrap over shoppers)",
        "",
        "| price weight | NDCG@10 |",
        "|---|---|",
    ]
    lines += [f"| {name} | {v['ndcg@10']:.4f} |" for name, v in result["methods"].items()]
    lines += ["", "| comparison | mean difference | 95 % CI | win |", "|---|---|---|---|"]
    for name, e in result["effect"].items():
        lo, hi = e["ci95"]
        lines.append(
            f"| {name} | {e['mean_difference']:+.5f} | [{lo:+.5f}, {hi:+.5f}] | "
            f"{'yes' if e['win'] else 'no'} |"
        )
    lines += [
        "",
        "## Calibration of cheaper_probability (held-out lines)",
        "",
        "| predictor | lines | base rate | Brier | Brier of base rate | ECE |",
        "|---|---|---|---|---|---|",
    ]
    for name, c in result["calibration"].items():
        lines.append(
            f"| {name} | {c['cases']} | {c['base_rate']} | {c['brier']} | "
            f"{c['brier_base_rate']} | {c['ece']} |"
        )
    lines += ["", "## External validity: rank correlation with household income", ""]
    if result["external_validity"]:
        lines += ["| measure | households | Spearman | 95 % CI |", "|---|---|---|---|"]
        for name, v in result["external_validity"].items():
            lo, hi = v["ci95"]
            lines.append(f"| {name} | {v['households']} | {v['spearman']:+.4f} | "
                         f"[{lo:+.4f}, {hi:+.4f}] |")  # fmt: skip
    else:
        lines.append("No demographics with income for these households.")
    return "\n".join(lines) + "\n"


def plot_budget(fig: Any, result: Mapping[str, Any]) -> None:
    """Reliability diagram of ``cheaper_probability`` on held-out lines."""
    if "calibration" in result:
        plot_reliability(fig, result["calibration"], f"cheaper_probability — {result['dataset']}")
