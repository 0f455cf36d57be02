"""Dietary evaluation: planted avoidances at 5 %, 20 % and 50 % prevalence, per department.

Real histories carry no avoidance label, so one is planted: every purchase of a department
(a whole family: all its aisles) is erased from a share of the shoppers who buy it, and the
engine's dietary model — the same population fit (:func:`fit_from_columns`) and the same
read (:func:`infer_avoidances`) the engine serves with — must find them from the history it
sees (each shopper's orders but the last two). A second plant erases one aisle only, from
shoppers who go on buying the rest of its department: that is a taste gap, and must be
reported as one, never as a diet. Figures are at the host's default probability cut
(``EngineConfig().dietary_probability``), never tuned here; each comes with a 95 %
bootstrap interval over shoppers, and the avoidance probability's calibration against the
planted truth is reported as Brier, ECE and a reliability diagram.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from leafloaf.config import EngineConfig
from leafloaf.evaluation.calibration import calibration_report, plot_reliability
from leafloaf.evaluation.data import Basket, BasketData
from leafloaf.learning.dietary import fit_from_columns, infer_avoidances
from leafloaf.progress import step

__all__ = ["PREVALENCES", "dietary_markdown", "evaluate_dietary", "plot_dietary"]

PREVALENCES = (0.05, 0.2, 0.5)
"""Shares of all shoppers given a planted avoidance (capped at the department's buyers)."""

_FUTURE = 2
"""Orders held out at the end of each history: the engine never sees them; an untouched
shopper who buys the department there is a known non-avoider."""

_CANDIDATES = {
    "instacart": ["meat seafood", "dairy eggs", "snacks", "bakery", "beverages", "frozen"],
    "completejourney": ["MEAT", "PRODUCE", "PASTRY", "DELI", "MEAT-PCKGD", "NUTRITION"],
}
"""Departments planted by default (where the data set is one of these): the common diets
(meat, dairy) and everyday departments; any other data set takes its six most-bought."""


def _departments(data: BasketData, buyers: Counter[str]) -> list[str]:
    for key, names in _CANDIDATES.items():
        if key in data.name.lower():
            found = [f"department:{n}" for n in names if buyers.get(f"department:{n}", 0)]
            if found:
                return found
    return [a for a, _ in buyers.most_common(6)]


def _columns(
    baskets: Mapping[str, Sequence[Basket]],
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any], np.ndarray[Any, Any], list[str]]:
    users, codes, products = [], [], []
    product_code: dict[str, int] = {}
    basket_code = 0
    for u, user in enumerate(sorted(baskets)):
        for basket in baskets[user]:
            for pid in basket.items:
                users.append(u)
                codes.append(basket_code)
                products.append(product_code.setdefault(pid, len(product_code)))
            basket_code += 1
    return (
        np.asarray(users, dtype=np.int64),
        np.asarray(codes, dtype=np.int64),
        np.asarray(products, dtype=np.int64),
        list(product_code),
    )


def _bootstrap(
    flagged: np.ndarray[Any, Any], truth: np.ndarray[Any, Any], seed: int, resamples: int = 1000
) -> dict[str, list[float]]:
    """Precision, recall, F1 and false-positive rate with 95 % intervals over shoppers."""

    def figures(f: np.ndarray[Any, Any], y: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        tp = (f & y).sum(-1)
        fp = (f & ~y).sum(-1)
        fn = (~f & y).sum(-1)
        neg = (~y).sum(-1)
        precision = np.where(tp + fp > 0, tp / np.maximum(tp + fp, 1), np.nan)
        recall = tp / np.maximum(tp + fn, 1)
        f1 = np.where(
            precision + recall > 0, 2 * precision * recall / (precision + recall + 1e-12), 0.0
        )
        return np.stack([precision, recall, np.nan_to_num(f1), fp / np.maximum(neg, 1)])

    point = figures(flagged, truth)
    idx = np.random.default_rng(seed).integers(0, len(truth), size=(resamples, len(truth)))
    draws = figures(flagged[idx], truth[idx])
    low, high = np.nanpercentile(draws, [2.5, 97.5], axis=1)
    names = ["precision", "recall", "f1", "false_positive_rate"]
    return {
        n: [round(float(point[i]), 4), round(float(low[i]), 4), round(float(high[i]), 4)]
        for i, n in enumerate(names)
    }


def _plant(data: BasketData, attribute: str, chosen: set[str]) -> dict[str, list[Basket]]:
    catalog = data.catalog
    out: dict[str, list[Basket]] = {}
    for user, history in data.baskets.items():
        if user not in chosen:
            out[user] = history
            continue
        out[user] = [
            Basket(b.at, kept, b.quantities, b.prices)
            for b in history
            if (kept := tuple(p for p in b.items if attribute not in catalog.attributes(p)))
        ]
    return out


_Run = tuple[dict[str, Any], list[float], list[int], list[float], list[int]]


def _run(
    data: BasketData,
    attribute: str,
    kind: str,
    prevalence: float,
    eligible: Sequence[str],
    cut: float,
    rng: random.Random,
    seed: int,
    show: bool,
) -> _Run:
    """One plant: fit on the seen orders, read every shopper, score against the truth."""
    catalog = data.catalog
    n_planted = min(round(prevalence * len(data.baskets)), len(eligible))
    chosen = set(rng.sample(sorted(eligible), n_planted))
    planted = _plant(data, attribute, chosen)
    seen = {u: bs[:-_FUTURE] if len(bs) > _FUTURE else bs for u, bs in planted.items()}
    seen = {u: bs for u, bs in seen.items() if bs}
    with step(f"learning from {len(seen):,} shoppers' history", show):
        rates = fit_from_columns(*_columns(seen), catalog)
    assert rates is not None
    i = rates.index.get(attribute)
    eligible_set = set(eligible)
    flags, truth, probs, labels = [], [], [], []
    future_probs, future_labels = [], []
    naturals = natural_flags = 0
    for user in sorted(seen):
        bought = {a for b in seen[user] for p in b.items for a in catalog.attributes(p)}
        found = {
            f.attribute: f
            for f in infer_avoidances(rates, len(seen[user]), bought, 0.0)
            if f.kind == kind
        }
        hit = found.get(attribute)
        p = hit.probability if hit is not None else 0.0
        if user not in chosen and user not in eligible_set:
            naturals += 1
            natural_flags += p >= cut
            if attribute not in bought:  # never bought it at all: counted as avoiding it
                future_probs.append(p)
                future_labels.append(1)
            continue
        y = user in chosen
        flags.append(p >= cut)
        truth.append(y)
        if attribute not in bought:  # the only cases where the model has a call to make
            probs.append(p)
            labels.append(int(y))
            future_probs.append(p)
            future_labels.append(int(y))
    result: dict[str, Any] = dict(_bootstrap(np.asarray(flags), np.asarray(truth), seed))
    result.update(
        planted=len(chosen),
        untouched=len(truth) - len(chosen),
        prevalence=round(len(chosen) / max(len(data.baskets), 1), 4),
        not_buyers=naturals,
        not_buyers_flagged=round(natural_flags / max(naturals, 1), 4),
        learned_prevalence=(round(float(rates.never[i]), 4) if i is not None else None),
    )
    return result, probs, labels, future_probs, future_labels


def evaluate_dietary(
    data: BasketData,
    users: int | None = None,
    seed: int = 0,
    show: bool = True,
    prevalences: Sequence[float] = PREVALENCES,
    departments: Sequence[str] | None = None,
) -> dict[str, Any]:
    """Planted diets (whole departments) and taste gaps (one aisle) at each prevalence."""
    data = data.sample_users(users, seed)
    catalog = data.catalog
    cut = EngineConfig().dietary_probability
    rng = random.Random(seed)
    buyers: Counter[str] = Counter()
    aisle_buyers: dict[str, Counter[str]] = {}
    user_attrs: dict[str, set[str]] = {}
    for user, history in data.baskets.items():
        attrs = {a for b in history for p in b.items for a in catalog.attributes(p)[:2]}
        user_attrs[user] = attrs
        buyers.update(a for a in attrs if a.startswith("department:"))
    heads = (
        [f"department:{d}" if ":" not in d else d for d in departments]
        if departments
        else _departments(data, buyers)
    )
    # the most bought aisle of each planted department, for the taste-gap plant
    head_of: dict[str, str] = {}
    for attrs in user_attrs.values():
        for a in attrs:
            if not a.startswith("department:"):
                if a not in head_of:
                    head_of[a] = catalog.attributes(catalog.products_with(a)[0])[0]
                aisle_buyers.setdefault(head_of[a], Counter())[a] += 1
    diets: dict[str, dict[str, Any]] = {}
    tastes: dict[str, dict[str, Any]] = {}
    curves: dict[str, dict[str, Any]] = {}
    for prevalence in prevalences:
        key = f"{prevalence:.0%}"
        diets[key], tastes[key] = {}, {}
        pooled: list[list[float]] = [[], [], [], []]
        taste_pooled: list[list[Any]] = [[], []]
        for head in heads:
            eligible = [u for u, attrs in user_attrs.items() if head in attrs]
            result, p_seen, y_seen, p_all, y_all = _run(
                data, head, "diet", prevalence, eligible, cut, rng, seed, show
            )
            diets[key][head] = result
            pooled[0].extend(p_seen)
            pooled[1].extend(y_seen)
            pooled[2].extend(p_all)
            pooled[3].extend(y_all)
            counter = aisle_buyers.get(head, Counter())
            if len(counter) < 2:
                continue
            aisle = min(counter.items(), key=lambda kv: (-kv[1], kv[0]))[0]
            # shoppers who buy the aisle and something else of its department
            siblings = [
                u
                for u, attrs in user_attrs.items()
                if aisle in attrs
                and any(
                    a != aisle and a in counter and not a.startswith("department:") for a in attrs
                )
            ]
            result, probs, labels, _, _ = _run(
                data, aisle, "taste", prevalence, siblings, cut, rng, seed, show
            )
            result["department"] = head
            tastes[key][aisle] = result
            taste_pooled[0].extend(probs)
            taste_pooled[1].extend(labels)
        curves[f"diet, {key} planted"] = calibration_report(pooled[0], pooled[1])
        curves[f"diet, {key} never-buyers as avoiders"] = calibration_report(pooled[2], pooled[3])
        if taste_pooled[0]:
            curves[f"taste, {key} planted"] = calibration_report(taste_pooled[0], taste_pooled[1])
    return {
        "capability": "dietary",
        "dataset": data.name,
        "protocol": (
            "for each department and prevalence p, erase every purchase of the department "
            "from p of all shoppers (drawn among its buyers); fit the engine's dietary model "
            f"on each shopper's orders but the last {_FUTURE}; a shopper is flagged when the "
            f"department is inferred as a diet at the default probability cut {cut}; "
            "precision/recall/F1 over planted vs. untouched buyers, false-positive rate = "
            "untouched buyers flagged; shoppers who never bought it are left out (reported "
            "as not_buyers_flagged). Taste plant: erase the department's most-bought aisle "
            "from p of the shoppers who buy it and other aisles of the department; flagged "
            "= inferred as a taste gap. Calibration: avoidance probability of every shopper "
            "with no purchase of the attribute in the seen orders, against the planted "
            "truth ('planted': never-buyers left out), and with shoppers who never bought it "
            "in their whole history counted as avoiders ('never-buyers as avoiders')"
        ),
        "users": len(data.baskets),
        "probability_cut": cut,
        "departments": heads,
        "diet": diets,
        "taste": tastes,
        "calibration": curves,
    }


def plot_dietary(fig: Any, result: Mapping[str, Any]) -> None:
    """Reliability diagram of the avoidance probability, one line per prevalence."""
    curves = {k: v for k, v in result["calibration"].items() if "planted" in k and v["cases"]}
    plot_reliability(fig, curves, title=f"dietary avoidance probability: {result['dataset']}")


def _ci(values: Sequence[float]) -> str:
    return f"{values[0]:.2f} [{values[1]:.2f}, {values[2]:.2f}]"


def dietary_markdown(result: Mapping[str, Any]) -> str:
    """Markdown report of :func:`evaluate_dietary`."""
    parts = [
        f"# Dietary evaluation: {result['dataset']}",
        "",
        f"{result['users']} shoppers. Protocol: {result['protocol']}.",
        "",
        f"Default probability cut: **{result['probability_cut']}** (the host's; not tuned "
        "here). Cells: value [95 % bootstrap interval over shoppers].",
        "",
        "## Diets: a whole department erased",
        "",
        "| prevalence | department | planted | precision | recall | F1 | FP rate untouched "
        "| learned π | never-buyers flagged |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for key, rows in result["diet"].items():
        for head, r in rows.items():
            parts.append(
                f"| {key} | {head} | {r['planted']} | {_ci(r['precision'])} | "
                f"{_ci(r['recall'])} | {_ci(r['f1'])} | {_ci(r['false_positive_rate'])} | "
                f"{r['learned_prevalence']} | {r['not_buyers_flagged']:.2f} of "
                f"{r['not_buyers']} |"
            )
    parts += [
        "",
        "## Taste gaps: one aisle erased, the rest of its department still bought",
        "",
        "| prevalence | aisle | planted | precision | recall | F1 | FP rate untouched |",
        "|---|---|---|---|---|---|---|",
    ]
    for key, rows in result["taste"].items():
        for aisle, r in rows.items():
            parts.append(
                f"| {key} | {aisle} | {r['planted']} | {_ci(r['precision'])} | "
                f"{_ci(r['recall'])} | {_ci(r['f1'])} | {_ci(r['false_positive_rate'])} |"
            )
    parts += [
        "",
        "## Calibration of the avoidance probability",
        "",
        "| probabilities | cases | base rate | Brier | Brier of the base rate | ECE |",
        "|---|---|---|---|---|---|",
    ]
    for name, c in result["calibration"].items():
        parts.append(
            f"| {name} | {c['cases']} | {c['base_rate']} | {c['brier']} | "
            f"{c['brier_base_rate']} | {c['ece']} |"
        )
    return "\n".join(parts) + "\n"
