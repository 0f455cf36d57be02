"""Per-capability evaluations, semi-synthetic where the data carries no label.

Each function takes :class:`BasketData`, returns a JSON-ready dict of figures (with the
protocol in words under ``"protocol"``) and never tunes anything on the test basket.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from leafloaf.engine import GraphitiPersonalizationEngine
from leafloaf.errors import MissingExtraError
from leafloaf.evaluation.budget import budget_markdown, evaluate_budget, plot_budget
from leafloaf.evaluation.calibration import expected_calibration_error
from leafloaf.evaluation.cart import evaluate_cart
from leafloaf.evaluation.data import Basket, BasketData
from leafloaf.evaluation.dietary import evaluate_dietary
from leafloaf.evaluation.metrics import ndcg_at_k
from leafloaf.evaluation.nextbasket import train_engine
from leafloaf.evaluation.split import UserSplit, leave_last_out
from leafloaf.learning.complements import fit_cooccurrence
from leafloaf.progress import progress, step
from leafloaf.search.judged import bootstrap_interval

__all__ = [
    "CAPABILITIES",
    "CAPABILITY_PLOTS",
    "evaluate_budget",
    "evaluate_complements",
    "evaluate_dietary",
    "evaluate_household",
    "evaluate_quantity",
    "evaluate_search_ranking",
]


def _iter(items: Sequence[Any], desc: str, show: bool) -> Any:
    return progress(items, len(items), desc) if show else items


def _trained(
    data: BasketData, users: int | None, seed: int, show: bool
) -> tuple[
    BasketData, dict[str, UserSplit], dict[str, list[Basket]], GraphitiPersonalizationEngine
]:
    """Sampled data, its split, what may be learned (all but the test basket), an engine."""
    data = data.sample_users(users, seed)
    splits = leave_last_out(data)
    known = {u: s.known("test") for u, s in splits.items()}
    with step(f"learning from {len(known):,} shoppers' history", show):
        engine = train_engine(data.catalog, known)
    return data, splits, known, engine


def _rank_of(ranked: Sequence[str], target: str) -> int | None:
    try:
        return ranked.index(target) + 1
    except ValueError:
        return None


def _hit_mrr(ranks: Sequence[int | None], k: int = 10) -> dict[str, float | int]:
    n = max(len(ranks), 1)
    return {
        f"hit@{k}": sum(1 for r in ranks if r is not None and r <= k) / n,
        "mrr": sum(1.0 / r for r in ranks if r is not None) / n,
        "cases": len(ranks),
    }


def _own_most_bought(history: Sequence[Basket], basket: Sequence[str]) -> list[str]:
    """The shopper's own items by purchase count, the more recently bought first on ties."""
    count: Counter[str] = Counter()
    last: dict[str, int] = {}
    for n, b in enumerate(sorted(history, key=lambda b: b.at)):
        for pid in dict.fromkeys(b.items):
            count[pid] += 1
            last[pid] = n
    inside = set(basket)
    return sorted((p for p in count if p not in inside), key=lambda p: (-count[p], -last[p], p))


def _paired_effect(
    ours: Sequence[int | None], theirs: Sequence[int | None], seed: int, k: int = 10
) -> dict[str, Any]:
    """leafloaf − baseline per shopper, hit@k and reciprocal rank, 95 % paired bootstrap."""
    out: dict[str, Any] = {}
    metrics: dict[str, Callable[[int | None], float]] = {
        f"hit@{k}": lambda r: 1.0 if r is not None and r <= k else 0.0,
        "mrr": lambda r: 1.0 / r if r is not None else 0.0,
    }
    for name, value in metrics.items():
        diffs = [value(a) - value(b) for a, b in zip(ours, theirs, strict=True)]
        mean, low, high = bootstrap_interval(diffs, seed=seed)
        out[name] = {
            "mean_difference": round(mean, 5),
            "ci95": [round(low, 5), round(high, 5)],
            "win": bool(diffs) and low > 0,
        }
    return out


def evaluate_complements(
    data: BasketData, users: int | None = None, seed: int = 0, show: bool = True
) -> dict[str, Any]:
    """Basket completion: hide one item of each test basket, rank the catalog given the rest.

    Three rankings per shopper: leafloaf's ``complements``, raw global co-occurrence counts
    and the shopper's own most-bought items; ``effect`` holds leafloaf − each baseline with
    a 95 % paired bootstrap interval over shoppers (a win only when it excludes zero).
    """
    data, splits, known, engine = _trained(data, users, seed, show)
    rng = random.Random(seed)
    cooc = fit_cooccurrence([b.items for baskets in known.values() for b in baskets])
    ours: list[int | None] = []
    base: list[int | None] = []
    own: list[int | None] = []
    for user in _iter(list(splits), "complements", show):
        items = list(splits[user].test.items)
        if len(items) < 2:
            continue
        hidden = items.pop(rng.randrange(len(items)))
        ranked = [c.product_id for c in engine.complements(user, items, 100)]
        ours.append(_rank_of(ranked, hidden))
        own.append(_rank_of(_own_most_bought(known[user], items)[:100], hidden))
        totals: dict[str, float] = defaultdict(float)
        for pid in items:
            i = cooc.index.get(pid)
            if i is None:
                continue
            lo, hi = cooc.starts[i], cooc.starts[i + 1]
            for j, count in zip(cooc.neighbour[lo:hi].tolist(), cooc.together[lo:hi].tolist(),
                                strict=True):  # fmt: skip
                totals[cooc.ids[j]] += count
        for pid in items:
            totals.pop(pid, None)
        top = sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))[:100]
        base.append(_rank_of([p for p, _ in top], hidden))
    fitted = engine.population.complement_history
    return {
        "capability": "complements",
        "dataset": data.name,
        "protocol": "hide one random item of each user's test basket; rank candidates given "
        "the other items; hit@10 and MRR (cut-off 100) of leafloaf vs. raw global "
        "co-occurrence counts and vs. the shopper's own most-bought items (count, then "
        "recency); 95 % paired bootstrap over shoppers of leafloaf minus each baseline",
        "kappa": fitted.kappa,
        "kappa_cases": fitted.cases,
        "effect": {
            "vs global-cooccurrence": _paired_effect(ours, base, seed),
            "vs own-most-bought": _paired_effect(ours, own, seed),
        },
        "methods": {
            "leafloaf": _hit_mrr(ours),
            "global-cooccurrence": _hit_mrr(base),
            "own-most-bought": _hit_mrr(own),
        },
    }


def _auc(positives: Sequence[float], negatives: Sequence[float]) -> float:
    """ROC-AUC by the Mann-Whitney statistic (ties count one half)."""
    if not positives or not negatives:
        return float("nan")
    neg = np.sort(np.asarray(negatives))
    wins = 0.0
    for p in positives:
        lo = np.searchsorted(neg, p, side="left")
        hi = np.searchsorted(neg, p, side="right")
        wins += lo + 0.5 * (hi - lo)
    return float(wins / (len(positives) * len(negatives)))


def _auc_interval(
    positives: Sequence[float], negatives: Sequence[float], seed: int, draws: int = 1000
) -> list[float]:
    """95 % bootstrap interval of the ROC-AUC, resampling each class with replacement."""
    if not positives or not negatives:
        return [float("nan"), float("nan")]
    rng = np.random.default_rng(seed)
    pos, neg = np.asarray(positives), np.asarray(negatives)
    values = []
    for _ in range(draws):
        p = pos[rng.integers(0, len(pos), len(pos))]
        n = np.sort(neg[rng.integers(0, len(neg), len(neg))])
        lo, hi = np.searchsorted(n, p, side="left"), np.searchsorted(n, p, side="right")
        values.append(float((lo + 0.5 * (hi - lo)).sum() / (len(p) * len(n))))
    low, high = np.quantile(values, [0.025, 0.975])
    return [round(float(low), 4), round(float(high), 4)]


def _ece_if_calibrated(probabilities: Sequence[float], seed: int, draws: int = 500) -> list[float]:
    """Mean and 95th percentile of the ECE a *perfectly* calibrated predictor would show
    with these probabilities and this many cases: the sampling floor of the figure."""
    rng = np.random.default_rng(seed)
    p = np.asarray(probabilities, dtype=np.float64)
    values = [
        expected_calibration_error(p.tolist(), (rng.random(len(p)) < p).astype(float).tolist())
        for _ in range(draws)
    ]
    return [round(float(np.mean(values)), 4), round(float(np.quantile(values, 0.95)), 4)]


def _cutoffs(p: Sequence[float], y: Sequence[bool]) -> dict[str, dict[str, float | None]]:
    """Per probability cut-off: how many accounts reach it, and precision/recall there
    (None where no account reaches it)."""
    probs, truth = np.asarray(p), np.asarray(y, dtype=bool)
    out: dict[str, dict[str, float | None]] = {}
    for cut in (0.5, 0.6, 0.7, 0.8, 0.9):
        flagged = probs >= cut
        hits = int((flagged & truth).sum())
        out[f"p >= {cut}"] = {
            "flagged_share": round(float(flagged.mean()), 4) if len(probs) else 0.0,
            "precision": round(hits / int(flagged.sum()), 4) if flagged.any() else None,
            "recall": round(hits / int(truth.sum()), 4) if truth.any() else None,
        }
    return out


def _household_real(data: BasketData, seed: int, show: bool) -> dict[str, Any]:
    """shared_probability of the real accounts against their real household size."""
    from leafloaf.evaluation.calibration import calibration_report
    from leafloaf.learning.household import FEATURES, MERGE_KINDS

    with step(f"learning from {len(data.baskets):,} real accounts", show):
        engine = train_engine(data.catalog, data.baskets)
    detector = engine.population.household
    prior = engine.config.household_prior
    probs, learned, multi, kids = [], [], [], []
    everyone: list[float] = []
    features: dict[str, list[float]] = {f: [] for f in FEATURES}
    for user in _iter(list(data.baskets), "household (real)", show):
        profile = engine.household_profile(user)
        everyone.append(profile.shared_probability)
        row = data.households.get(user)
        if row is None or not profile.features:
            continue
        probs.append(profile.shared_probability)
        learned.append(
            detector.probability(profile.features, detector.merged_share) if detector else prior
        )
        multi.append(row["household_size"].strip() not in {"", "1"})
        kids.append(row["kids_count"].strip() not in {"", "0"})
        for f in FEATURES:
            features[f].append(profile.features[f])

    def split(values: Sequence[float], label: Sequence[bool]) -> tuple[list[float], list[float]]:
        return ([v for v, y in zip(values, label, strict=True) if y],
                [v for v, y in zip(values, label, strict=True) if not y])  # fmt: skip

    pos, neg = split(probs, multi)
    with_kids, without = split(probs, kids)
    share = float(np.mean(multi)) if multi else float("nan")
    return {
        "labelled_accounts": len(probs),
        "multi_person": len(pos),
        "single_person": len(neg),
        "real_multi_share": round(share, 4),
        "prior": prior,
        "mean_probability_labelled": round(float(np.mean(probs)), 4) if probs else None,
        "mean_probability_all_accounts": round(float(np.mean(everyone)), 4) if everyone else None,
        "learned_merge_like_share": round(detector.merged_share, 4) if detector else None,
        "learned_shares_by_kind": (
            {k: round(float(v), 4) for k, v in zip(MERGE_KINDS, detector.shares, strict=True)}
            if detector
            else None
        ),
        "score_weights": (
            {f: round(float(w), 4) for f, w in zip(FEATURES, detector.weights, strict=True)}
            if detector
            else None
        ),
        "roc_auc_multi_person": round(_auc(pos, neg), 4),
        "roc_auc_multi_person_ci95": _auc_interval(pos, neg, seed),
        "roc_auc_kids": round(_auc(with_kids, without), 4),
        "roc_auc_kids_ci95": _auc_interval(with_kids, without, seed),
        "feature_auc_multi_person": {
            f: round(_auc(*split(values, multi)), 4) for f, values in features.items()
        },
        "single_share_at_or_above_0.5": round(float(np.mean([p >= 0.5 for p in neg])), 4)
        if neg
        else None,
        "single_share_at_or_above_threshold": round(
            float(np.mean([p >= engine.config.household_threshold for p in neg])), 4
        )
        if neg
        else None,
        "threshold": engine.config.household_threshold,
        "cutoffs": _cutoffs(probs, multi),
        "calibration": calibration_report(probs, multi),
        "calibration_5_bins": calibration_report(probs, multi, bins=5),
        "ece_if_perfectly_calibrated": _ece_if_calibrated(probs, seed),
        "calibration_learned_share_as_prior": calibration_report(learned, multi),
    }


def _household_merged(data: BasketData, seed: int, show: bool) -> dict[str, Any]:
    """Merge two real users into one account for a random 20 %; AUC of shared_probability."""
    rng = random.Random(seed)
    ids = sorted(data.baskets)
    rng.shuffle(ids)
    n_pairs = len(ids) // 10
    accounts: dict[str, list[Basket]] = {}
    merged: set[str] = set()
    for i in range(n_pairs):
        a, b = ids[2 * i], ids[2 * i + 1]
        key = f"{a}+{b}"
        accounts[key] = sorted(data.baskets[a] + data.baskets[b], key=lambda x: x.at)
        merged.add(key)
    for user in ids[2 * n_pairs :]:
        accounts[user] = data.baskets[user]
    with step(f"learning from {len(accounts):,} accounts", show):
        engine = train_engine(data.catalog, accounts)
    pos: list[float] = []
    neg: list[float] = []
    for account in _iter(list(accounts), "household (merged)", show):
        p = engine.household_profile(account).shared_probability
        (pos if account in merged else neg).append(p)
    detector = engine.population.household
    return {
        "merged_accounts": len(pos),
        "single_accounts": len(neg),
        "roc_auc": round(_auc(pos, neg), 4),
        "roc_auc_ci95": _auc_interval(pos, neg, seed),
        "mean_probability_merged": round(float(np.mean(pos)), 4) if pos else None,
        "mean_probability_single": round(float(np.mean(neg)), 4) if neg else None,
        "learned_merge_like_share": round(detector.merged_share, 4) if detector else None,
    }


def _shopper_bootstrap(
    sums: Sequence[float], counts: Sequence[int], seed: int, resamples: int = 2000
) -> tuple[float, float, float]:
    """Case-weighted mean ``Σ sums / Σ counts`` and its 95 % bootstrap interval, resampling
    shoppers (each shopper's cases stay together, so one shopper's many lines are one unit)."""
    s = np.asarray(sums, dtype=np.float64)
    n = np.asarray(counts, dtype=np.float64)
    if len(s) == 0 or n.sum() == 0:
        return (float("nan"),) * 3
    rng = np.random.default_rng(seed)
    pick = rng.integers(0, len(s), size=(resamples, len(s)))
    means = s[pick].sum(axis=1) / np.maximum(n[pick].sum(axis=1), 1.0)
    low, high = np.percentile(means, [2.5, 97.5])
    return float(s.sum() / n.sum()), float(low), float(high)


_QUANTITY_METRICS: dict[str, Callable[[float], float]] = {
    "accuracy": lambda e: 1.0 if abs(e) < 1e-9 else 0.0,
    "within_one": lambda e: 1.0 if abs(e) <= 1.0 + 1e-9 else 0.0,
    "mae": abs,
}


def _quantity_figures(
    errors: Mapping[str, Mapping[str, list[float]]], seed: int
) -> tuple[dict[str, dict[str, float | int | None]], dict[str, dict[str, Any]]]:
    """Per-method accuracy / within-±1 / MAE and leafloaf − each baseline per shopper.

    ``errors[method][user]`` lists the signed errors on that shopper's cases.
    """
    methods: dict[str, dict[str, float | int | None]] = {}
    for name, per_user in errors.items():
        flat = [e for errs in per_user.values() for e in errs]
        methods[name] = {m: float(np.mean([f(e) for e in flat])) if flat else None
                         for m, f in _QUANTITY_METRICS.items()}  # fmt: skip
        methods[name]["cases"] = len(flat)
    effect: dict[str, dict[str, Any]] = {}
    ours = errors["leafloaf"]
    for name, per_user in errors.items():
        if name.startswith("leafloaf"):
            continue
        users = [u for u in ours if per_user.get(u)]
        figures: dict[str, Any] = {}
        for metric, f in _QUANTITY_METRICS.items():
            sums = [sum(f(a) - f(b) for a, b in zip(ours[u], per_user[u], strict=True))
                    for u in users]  # fmt: skip
            mean, low, high = _shopper_bootstrap(sums, [len(ours[u]) for u in users], seed)
            better = low > 0 if metric != "mae" else high < 0  # MAE: lower is better
            figures[metric] = {
                "mean_difference": round(mean, 5),
                "ci95": [round(low, 5), round(high, 5)],
                "win": bool(users) and better,
            }
        effect[f"vs {name}"] = figures
    return methods, effect


def evaluate_household(
    data: BasketData, users: int | None = None, seed: int = 0, show: bool = True
) -> dict[str, Any]:
    """household_profile().shared_probability against real household sizes, where the data
    carry them (Complete Journey demographics), and on synthetic merged accounts."""
    data = data.sample_users(users, seed)
    result: dict[str, Any] = {
        "capability": "household",
        "dataset": data.name,
        "protocol": "real: the engine learns from every account's full history (it never "
        "sees a label); for the accounts with demographics, ROC-AUC of shared_probability "
        "for household_size >= 2 vs. 1 (secondary: kids_count >= 1) with a 95 % bootstrap "
        "interval, calibration against household_size >= 2 (Brier, ECE over 10 equal-mass "
        "bins, reliability), precision/recall per cut-off. merged (second measure): 20 % "
        "of users merged pairwise into shared accounts; ROC-AUC merged vs. single",
    }
    if data.households:
        result["real"] = _household_real(data, seed, show)
    result["merged"] = _household_merged(data, seed, show)
    return result


def household_markdown(result: Mapping[str, Any]) -> str:
    """The household report: real households first, the merged-account measure after."""
    lines = [
        f"# Household evaluation: {result['dataset']}",
        "",
        f"Protocol: {result['protocol']}.",
        "",
    ]
    real = result.get("real")
    if real:
        cal = real["calibration"]
        lines += [
            "## Real households (demographics)",
            "",
            f"- {real['labelled_accounts']} labelled accounts: {real['multi_person']} of two "
            f"or more people, {real['single_person']} of one (real share "
            f"{real['real_multi_share']:.3f}).",
            f"- ROC-AUC, multi-person vs. single: **{real['roc_auc_multi_person']:.3f}** "
            f"(95 % CI {real['roc_auc_multi_person_ci95'][0]:.3f}–"
            f"{real['roc_auc_multi_person_ci95'][1]:.3f}); kids vs. none: "
            f"{real['roc_auc_kids']:.3f} ({real['roc_auc_kids_ci95'][0]:.3f}–"
            f"{real['roc_auc_kids_ci95'][1]:.3f}).",
            f"- Prior (host setting) {real['prior']}; mean probability "
            f"{real['mean_probability_labelled']} over the labelled accounts, "
            f"{real['mean_probability_all_accounts']} over all; "
            f"learned merge-like share {real['learned_merge_like_share']}.",
            f"- Calibration: Brier {cal['brier']:.4f} (always answering the base rate: "
            f"{cal['brier_base_rate']:.4f}); ECE {cal['ece']:.4f} over {cal['bins']} bins "
            f"(a perfectly calibrated predictor would show "
            f"{real['ece_if_perfectly_calibrated'][0]:.4f} on average here, up to "
            f"{real['ece_if_perfectly_calibrated'][1]:.4f}); 5 bins: "
            f"{real['calibration_5_bins']['ece']:.4f}.",
            f"- With the learned share as the prior instead: Brier "
            f"{real['calibration_learned_share_as_prior']['brier']:.4f}, ECE "
            f"{real['calibration_learned_share_as_prior']['ece']:.4f}.",
            f"- Real single households at p >= 0.5: {real['single_share_at_or_above_0.5']}.",
            "",
            "| cut-off | accounts flagged | precision | recall |",
            "|---|---|---|---|",
        ]
        for cut, row in real["cutoffs"].items():
            cells = [row["flagged_share"], row["precision"], row["recall"]]
            lines.append(f"| {cut} | " + " | ".join("—" if c is None else f"{c:.3f}" for c in cells)
                         + " |")  # fmt: skip
        lines += ["", "Per-feature ROC-AUC against multi-person (diagnostic): "
                  + ", ".join(f"{k} {v:.3f}" for k, v in real["feature_auc_multi_person"].items())
                  + ".", ""]  # fmt: skip
    merged = result["merged"]
    lines += [
        "## Merged accounts (second measure)",
        "",
        f"- {merged['merged_accounts']} merged / {merged['single_accounts']} single accounts: "
        f"ROC-AUC **{merged['roc_auc']:.3f}** (95 % CI {merged['roc_auc_ci95'][0]:.3f}–"
        f"{merged['roc_auc_ci95'][1]:.3f}); mean probability merged "
        f"{merged['mean_probability_merged']}, single {merged['mean_probability_single']}.",
        "",
    ]
    return "\n".join(lines)


def plot_household(fig: Any, result: Mapping[str, Any]) -> None:
    """Reliability diagram of shared_probability against real household size."""
    from leafloaf.evaluation.calibration import plot_reliability

    real = result.get("real")
    if not real:
        ax = fig.add_subplot(1, 1, 1)
        ax.text(0.5, 0.5, "no real household labels in this data", ha="center")
        return
    plot_reliability(
        fig,
        {
            f"prior {real['prior']} (host setting)": real["calibration"],
            "learned share as prior": real["calibration_learned_share_as_prior"],
        },
        title=f"household: shared_probability vs. household_size >= 2 — {result['dataset']}",
    )


def evaluate_quantity(
    data: BasketData, users: int | None = None, seed: int = 0, show: bool = True
) -> dict[str, Any]:
    """suggest_quantity vs. the shopper's last quantity, the global mode and the product's
    population mode on test baskets, for items bought before and items new to the shopper.

    ``effect`` holds leafloaf − each baseline (accuracy, within ±1, MAE) with a 95 %
    bootstrap interval over shoppers; a win only when the interval excludes zero.
    """
    if not data.has_quantities:
        return {"capability": "quantity", "dataset": data.name,
                "skipped": "this data set carries no quantities"}  # fmt: skip
    data, splits, known, engine = _trained(data, users, seed, show)
    overall: Counter[float] = Counter()
    per_product: dict[str, Counter[float]] = defaultdict(Counter)
    for bs in known.values():
        for b in bs:
            for pid, q in b.quantities.items():
                overall[q] += 1
                per_product[pid][q] += 1
    global_mode = overall.most_common(1)[0][0] if overall else 1.0
    product_mode = {  # ties to the smaller quantity, as leafloaf breaks them
        pid: min(c.items(), key=lambda kv: (-kv[1], kv[0]))[0] for pid, c in per_product.items()
    }
    names = ("leafloaf", "leafloaf-median", "hand-set", "last-quantity", "global-mode",
             "product-mode")  # fmt: skip
    learned = engine.config
    # the settings before they were learned: one pseudo-line of the product's own histogram
    hand_set = learned.model_copy(update={"quantity_prior": 1.0, "quantity_pool": 1e-9,
                                          "quantity_smoothing": 0.0})  # fmt: skip
    repeat: dict[str, dict[str, list[float]]] = {n: defaultdict(list) for n in names}
    new: dict[str, dict[str, list[float]]] = {n: defaultdict(list) for n in names
                                              if n != "last-quantity"}  # fmt: skip
    for user in _iter(list(splits), "quantity", show):
        last: dict[str, float] = {}
        for basket in known[user]:
            last.update(basket.quantities)
        for pid, actual in splits[user].test.quantities.items():
            engine.config = hand_set
            before = engine.suggest_quantity(user, pid).quantity
            engine.config = learned
            suggestion = engine.suggest_quantity(user, pid)
            guesses = {
                "hand-set": before,
                "leafloaf": suggestion.quantity,
                "leafloaf-median": (
                    suggestion.median if suggestion.median is not None else suggestion.quantity
                ),
                "global-mode": global_mode,
                "product-mode": product_mode.get(pid, global_mode),
            }
            if pid in last:
                guesses["last-quantity"] = last[pid]
            target = repeat if pid in last else new
            for name, value in guesses.items():
                target[name][user].append(float(value) - actual)
    repeat_methods, repeat_effect = _quantity_figures(repeat, seed)
    new_methods, new_effect = _quantity_figures(new, seed)
    fitted = engine.population.quantity.strengths
    return {
        "capability": "quantity",
        "dataset": data.name,
        "protocol": "each shopper's test basket; items bought before (repeat) and items new "
        "to the shopper (new) reported apart; exact-match accuracy, within ±1 and MAE of "
        "suggest_quantity (its mode; leafloaf-median: its posterior median) vs. the "
        "shopper's last quantity, the global mode, the product's population mode and the "
        "hand-set model it replaces (one pseudo-line of the product's histogram, unordered, "
        "no category pooling); 95 % "
        "bootstrap over shoppers of leafloaf minus each baseline (a win only when the "
        "interval excludes zero)",
        "learned_strengths": fitted.as_dict(),
        "effect": {f"repeat {k}": v for k, v in repeat_effect.items()}
        | {f"new {k}": v for k, v in new_effect.items()},
        "methods": {f"repeat {k}": v for k, v in repeat_methods.items()}
        | {f"new {k}": v for k, v in new_methods.items()},
    }


def _candidates(
    engine: Any, target: str, popularity: Mapping[str, float], by_category: Mapping[str, list[str]]
) -> list[str] | None:
    category = engine.catalog.category(target)
    if category is None:
        return None
    pool = by_category.get(category, [])
    if len(pool) < 2:
        return None
    ranked = pool[:200] if target in pool[:200] else [*pool[:199], target]
    return sorted(ranked, key=lambda p: (-popularity.get(p, 0.0), p))


def _category_pools(engine: Any) -> tuple[dict[str, float], dict[str, list[str]]]:
    popularity = dict(engine.population.item_lines)
    by_category: dict[str, list[str]] = defaultdict(list)
    for pid in sorted(popularity, key=lambda p: (-popularity[p], p)):
        category = engine.catalog.category(pid)
        if category is not None:
            by_category[category].append(pid)
    return popularity, by_category


def evaluate_search_ranking(
    data: BasketData, users: int | None = None, seed: int = 0, show: bool = True
) -> dict[str, Any]:
    """Rank of each test-basket item, personalised vs. not: among its category's products,
    and for typed queries (its aisle name; its most informative name word) via LocalSearch."""
    data, splits, _, engine = _trained(data, users, seed, show)
    popularity, pools = _category_pools(engine)
    ours: list[float] = []
    base: list[float] = []
    for user in _iter(list(splits), "search ranking", show):
        for target in splits[user].test.items:
            candidates = _candidates(engine, target, popularity, pools)
            if candidates is None:
                continue
            personal = engine.rerank(user, candidates).product_ids
            ours.append(ndcg_at_k(personal, {target}, 10))
            base.append(ndcg_at_k(candidates, {target}, 10))
    if not ours:
        return {"capability": "search", "dataset": data.name,
                "skipped": "products carry no category in this data set"}  # fmt: skip
    methods: dict[str, dict[str, float]] = {
        "category-personalised": {"ndcg@10": float(np.mean(ours))},
        "category-popularity": {"ndcg@10": float(np.mean(base))},
    }
    try:  # the typed-query protocol is shared with `leafloaf.search.evaluate`
        from leafloaf.search.evaluate import evaluate_search_queries

        queries = evaluate_search_queries(data, None, seed, show)
    except MissingExtraError:  # without leafloaf[search] only the category protocol runs
        queries = {"methods": {}}
    methods.update(queries["methods"])
    return {
        "capability": "search",
        "dataset": data.name,
        "protocol": "each test-basket item ranked among up to 200 products of its category "
        "(popularity order = unpersonalised); and, for typed queries, "
        + queries.get("protocol", "skipped: needs leafloaf[search]"),
        "cases": len(ours),
        "methods": methods,
    }


CAPABILITIES: dict[str, Callable[..., dict[str, Any]]] = {
    "complements": evaluate_complements,
    "dietary": evaluate_dietary,
    "household": evaluate_household,
    "quantity": evaluate_quantity,
    "budget": evaluate_budget,
    "search": evaluate_search_ranking,
    "cart": evaluate_cart,
}
"""Subcommand name → evaluation function."""

CAPABILITY_PLOTS: dict[str, Callable[[Any, Mapping[str, Any]], None]] = {
    "budget": plot_budget,
    "household": plot_household,
}
"""Subcommand name → the plot its report carries (``write_report``'s ``plot``)."""


def capability_markdown(result: Mapping[str, Any]) -> str:
    """A short markdown report of one capability evaluation."""
    if result.get("capability") == "budget":
        return budget_markdown(result)
    if result.get("capability") == "household" and "merged" in result:
        return household_markdown(result)
    lines = [f"# {result['capability'].title()} evaluation: {result['dataset']}", ""]
    if "skipped" in result:
        return "\n".join([*lines, f"Skipped: {result['skipped']}.", ""])
    lines += [f"Protocol: {result['protocol']}.", ""]
    for key, value in result.items():
        if key in {"capability", "dataset", "protocol", "methods"}:
            continue
        if isinstance(value, Mapping):  # per-protocol figures, one line each
            lines += [f"- {key}, {name}: {figures}" for name, figures in value.items()]
            continue
        lines.append(f"- {key}: {value:.4f}" if isinstance(value, float) else f"- {key}: {value}")
    if "methods" in result:
        from leafloaf.evaluation.report import markdown_table

        columns = sorted({c for v in result["methods"].values() for c in v})
        lines += ["", markdown_table(result["methods"], columns)]
    return "\n".join(lines) + "\n"
