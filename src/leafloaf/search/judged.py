"""Search relevance on judged queries: nDCG@10, P@10 and top-1 with bootstrap intervals.

A judged set is a folder with ``queries.tsv`` (query, kind, split) and
``instacart_qrels.tsv`` (query, then the space-separated ids of the products graded 2,
*exact product type*, and 1, *related*; every other product is 0, *wrong*). The project's
set lives in ``tests/search/judged`` (how it was built: docs/evaluation.md).

Three orders are scored on every query of the chosen split:

* ``raw`` — the backend's own top 10;
* ``new-shopper`` — what :func:`~leafloaf.search.personalized.personalized_search` shows a
  shopper with no history (text-relevance tiers, population purchases inside a tier);
* ``personalised`` — the same call for real shoppers: for each query, up to
  ``users_per_query`` shoppers whose held-out last order holds a product judged relevant
  to it (the engine learned every earlier order). Their figures are averaged per query
  and compared, paired, with the new-shopper order on the same queries; so is the
  nDCG@10 of the relevant products each of them then bought.

Every figure is a mean over queries with a 95 % percentile-bootstrap interval over
queries; a difference is a win only when its paired interval excludes zero.
"""

from __future__ import annotations

import csv
import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from leafloaf.errors import ValidationError
from leafloaf.evaluation.data import load_basket_data
from leafloaf.evaluation.metrics import ndcg_at_k
from leafloaf.evaluation.nextbasket import train_engine
from leafloaf.evaluation.split import leave_last_out
from leafloaf.search.base import SearchBackend
from leafloaf.search.personalized import personalized_search

__all__ = [
    "JudgedQuery",
    "bootstrap_interval",
    "evaluate_judged",
    "graded_metrics",
    "judged_markdown",
    "load_judged",
]

ORDERS = ("raw", "new-shopper", "personalised")
METRICS = ("ndcg@10", "p@10", "p@10-exact", "top-1")
_NEW_SHOPPER = "\x00new-shopper"
"""A user id no real shopper has: the engine knows nothing about it."""


@dataclass(frozen=True)
class JudgedQuery:
    """One judged query: its text, kind, split and the grade of every relevant product."""

    query: str
    kind: str
    split: str
    grades: Mapping[str, int]


def load_judged(folder: str | Path) -> list[JudgedQuery]:
    """Read ``queries.tsv`` and ``instacart_qrels.tsv`` from ``folder``."""
    folder = Path(folder)
    if not (folder / "queries.tsv").is_file():
        raise ValidationError("judged", str(folder), "holds no queries.tsv: pass the folder "
                              "of a judged set, e.g. tests/search/judged")  # fmt: skip
    with open(folder / "instacart_qrels.tsv", newline="", encoding="utf-8") as handle:
        grades: dict[str, dict[str, int]] = {}
        for row in csv.DictReader(handle, delimiter="\t"):
            judged = grades.setdefault(row["query"], {})
            judged.update(dict.fromkeys(row["related"].split(), 1))
            judged.update(dict.fromkeys(row["exact"].split(), 2))
    with open(folder / "queries.tsv", newline="", encoding="utf-8") as handle:
        return [JudgedQuery(row["query"], row["kind"], row["split"], grades.get(row["query"], {}))
                for row in csv.DictReader(handle, delimiter="\t")]  # fmt: skip


def graded_metrics(
    ranked: Sequence[str], grades: Mapping[str, int], k: int = 10
) -> dict[str, float]:
    """nDCG@k (gains 2/1/0), P@k, exact-only P@k and top-1 of one ranking.

    P@k counts grade >= 1 over ``min(k, relevant products)``, so a perfect list scores 1
    even when fewer than ``k`` products are relevant; ``p@10-exact`` does the same with
    grade 2 only; ``top-1`` is 1 when the first result is grade 2.

    >>> graded_metrics(["a", "x", "b"], {"a": 2, "b": 1}, k=3)["p@10"]
    1.0
    >>> graded_metrics(["x", "a"], {"a": 2}, k=2)["top-1"]
    0.0
    """
    top = list(ranked[:k])
    gains = [grades.get(p, 0) for p in top]
    ideal = sorted(grades.values(), reverse=True)[:k]
    idcg = sum(g / np.log2(i + 2) for i, g in enumerate(ideal))
    dcg = sum(g / np.log2(i + 2) for i, g in enumerate(gains))
    relevant = sum(1 for g in grades.values() if g >= 1)
    exact = sum(1 for g in grades.values() if g == 2)
    return {
        "ndcg@10": float(dcg / idcg) if idcg else 0.0,
        "p@10": sum(g >= 1 for g in gains) / min(k, relevant) if relevant else 0.0,
        "p@10-exact": sum(g == 2 for g in gains) / min(k, exact) if exact else 0.0,
        "top-1": 1.0 if gains and gains[0] == 2 else 0.0,
    }


def bootstrap_interval(
    values: Sequence[float], resamples: int = 2000, seed: int = 0
) -> tuple[float, float, float]:
    """Mean and 95 % percentile-bootstrap interval of ``values`` (resampled as units).

    >>> bootstrap_interval([1.0, 1.0, 1.0])
    (1.0, 1.0, 1.0)
    """
    data = np.asarray(values, dtype=np.float64)
    if len(data) == 0:
        return (float("nan"),) * 3
    rng = np.random.default_rng(seed)
    means = data[rng.integers(0, len(data), size=(resamples, len(data)))].mean(axis=1)
    low, high = np.percentile(means, [2.5, 97.5])
    return float(data.mean()), float(low), float(high)


def _summary(per_query: Sequence[Mapping[str, float]]) -> dict[str, list[float]]:
    return {m: [round(v, 4) for v in bootstrap_interval([q[m] for q in per_query])]
            for m in per_query[0]} if per_query else {}  # fmt: skip


def _paired(a: Sequence[float], b: Sequence[float]) -> list[float]:
    return [round(v, 4) for v in bootstrap_interval([x - y for x, y in zip(a, b, strict=True)])]


def evaluate_judged(
    data_folder: str | Path,
    judged_folder: str | Path,
    split: str | None = "heldout",
    users_per_query: int = 10,
    seed: int = 0,
    backend: Callable[[], SearchBackend] | None = None,
    label: str = "LocalSearch (lexical)",
) -> dict[str, Any]:
    """Score the raw, new-shopper and personalised orders on the judged queries.

    ``split``: ``"heldout"`` (default: the queries no search setting was chosen on),
    ``"tune"`` or None for all. ``backend``: makes the (empty) backend to index the catalog
    with; default ``LocalSearch(dense=False)``.

    >>> data, judged = "../shared/data/instacart_1k", "tests/search/judged"
    >>> evaluate_judged(data, judged)["orders"]["new-shopper"]["p@10"]  # doctest: +SKIP
    [0.9, 0.86, 0.94]
    """
    started = time.perf_counter()
    data = load_basket_data(data_folder)
    splits = leave_last_out(data, min_history=0)
    engine = train_engine(data.catalog, {u: s.known("test") for u, s in splits.items()})
    if backend is None:
        from leafloaf.search.local import LocalSearch

        index = LocalSearch(dense=False)
    else:
        index = backend()  # type: ignore[assignment]
    index.index(engine.catalog)
    queries = [q for q in load_judged(judged_folder) if split is None or q.split == split]
    bought = {u: set(s.test.items) for u, s in splits.items()}
    rng = random.Random(seed)
    rows: dict[str, list[dict[str, float]]] = {o: [] for o in ORDERS}
    paired_new: list[dict[str, float]] = []
    bought_ndcg: dict[str, list[float]] = {"new-shopper": [], "personalised": []}
    kinds: dict[str, dict[str, list[dict[str, float]]]] = {}
    for judged in queries:
        raw = [h.product_id for h in index.search(judged.query, k=10)]
        new = [h.product_id for h in personalized_search(engine, index, _NEW_SHOPPER,
                                                         judged.query, k=10)]  # fmt: skip
        for order, ranked in (("raw", raw), ("new-shopper", new)):
            figures = graded_metrics(ranked, judged.grades)
            rows[order].append(figures)
            kinds.setdefault(judged.kind, {o: [] for o in ORDERS})[order].append(figures)
        relevant = set(judged.grades)
        shoppers = sorted(u for u, items in bought.items() if items & relevant)
        shoppers = rng.sample(shoppers, min(users_per_query, len(shoppers)))
        if not shoppers:
            continue
        mine = []
        for user in shoppers:
            ranked = [h.product_id for h in personalized_search(engine, index, user,
                                                                judged.query, k=10)]  # fmt: skip
            mine.append(graded_metrics(ranked, judged.grades))
            target = bought[user] & relevant
            bought_ndcg["personalised"].append(ndcg_at_k(ranked, target, 10))
            bought_ndcg["new-shopper"].append(ndcg_at_k(new, target, 10))
        averaged = {m: float(np.mean([f[m] for f in mine])) for m in METRICS}
        rows["personalised"].append(averaged)
        kinds[judged.kind]["personalised"].append(averaged)
        paired_new.append(rows["new-shopper"][-1])
    result: dict[str, Any] = {
        "capability": "search-judged",
        "dataset": data.name,
        "backend": label,
        "split": split or "all",
        "queries": len(queries),
        "personalised_queries": len(rows["personalised"]),
        "personalised_cases": len(bought_ndcg["personalised"]),
        "orders": {o: _summary(rows[o]) for o in ORDERS},
        "by_kind": {
            k: {o: _summary(v[o]) for o in ORDERS if v[o]} for k, v in sorted(kinds.items())
        },
        "kind_queries": {k: len(v["raw"]) for k, v in sorted(kinds.items())},
        "differences": {
            f"new-shopper - raw {m}": _paired(
                [r[m] for r in rows["new-shopper"]], [r[m] for r in rows["raw"]]
            )
            for m in METRICS
        },
        "seconds": 0.0,
    }
    for m in METRICS:
        result["differences"][f"personalised - new-shopper {m}"] = _paired(
            [r[m] for r in rows["personalised"]], [r[m] for r in paired_new]
        )
    result["bought_ndcg@10"] = {o: [round(v, 4) for v in bootstrap_interval(v)]
                                for o, v in bought_ndcg.items()}  # fmt: skip
    result["differences"]["personalised - new-shopper bought ndcg@10"] = _paired(
        bought_ndcg["personalised"], bought_ndcg["new-shopper"]
    )
    result["seconds"] = round(time.perf_counter() - started, 1)
    return result


def _cell(figure: Sequence[float]) -> str:
    mean, low, high = figure
    return f"{mean:.3f} [{low:.3f}, {high:.3f}]"


def judged_markdown(result: Mapping[str, Any]) -> str:
    """A markdown report of :func:`evaluate_judged`'s result."""
    lines = [
        f"# Judged search relevance: {result['dataset']}, {result['split']} queries",
        "",
        f"{result['queries']} judged queries, backend {result['backend']}; personalised: "
        f"{result['personalised_cases']} (query, shopper) cases over "
        f"{result['personalised_queries']} queries; {result['seconds']:.0f} s. Means over "
        "queries with 95 % bootstrap intervals.",
        "",
        "| order | nDCG@10 | P@10 | P@10 exact | top-1 |",
        "|---|---|---|---|---|",
    ]
    for order, figures in result["orders"].items():
        if figures:
            lines.append(f"| {order} | " + " | ".join(_cell(figures[m]) for m in METRICS) + " |")
    lines += ["", "| paired difference | mean [95 % interval] |", "|---|---|"]
    for name, figure in result["differences"].items():
        lines.append(f"| {name} | {_cell(figure)} |")
    lines += ["", "| bought-product nDCG@10 (shoppers' held-out orders) | mean [95 % interval] |",
              "|---|---|"]  # fmt: skip
    for order, figure in result["bought_ndcg@10"].items():
        lines.append(f"| {order} | {_cell(figure)} |")
    lines += [
        "",
        "| kind | order | queries | nDCG@10 | P@10 | top-1 |",
        "|---|---|---:|---|---|---|",
    ]
    for kind, orders in result["by_kind"].items():
        for order, figures in orders.items():
            lines.append(f"| {kind} | {order} | {result['kind_queries'][kind]} | "
                         f"{_cell(figures['ndcg@10'])} | "
                         f"{_cell(figures['p@10'])} | {_cell(figures['top-1'])} |")  # fmt: skip
    return "\n".join(lines) + "\n"
