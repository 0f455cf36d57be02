"""The judged query set, its metrics and ``leafloaf evaluate search --judged``."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from leafloaf import ValidationError
from leafloaf.search.judged import bootstrap_interval, graded_metrics, load_judged
from tests.datagen import write_instacart

JUDGED = Path(__file__).parent / "judged"
SHARED = Path(__file__).parents[2] / ".." / "shared" / "data" / "instacart_1k"


def test_the_shipped_set_is_large_varied_and_split() -> None:
    queries = load_judged(JUDGED)
    assert len(queries) >= 150 and len({q.query for q in queries}) == len(queries)
    assert {q.split for q in queries} == {"tune", "heldout"}
    assert sum(q.split == "heldout" for q in queries) > len(queries) / 2
    assert {"typo", "brand", "diet", "two-word", "category", "produce"} <= {q.kind for q in queries}
    assert all(2 in q.grades.values() for q in queries)


@pytest.mark.skipif(not SHARED.is_dir(), reason="the shared Instacart catalog is not here")
def test_the_judgements_are_what_the_reviewed_rules_say() -> None:
    from tests.search.judged.build import judge_catalog

    rules = judge_catalog(SHARED)
    for query in load_judged(JUDGED):
        assert dict(query.grades) == rules[query.query], query.query


def test_graded_metrics() -> None:
    grades = {"a": 2, "b": 1, "c": 2}
    perfect = graded_metrics(["a", "c", "b"], grades)
    assert perfect == {"ndcg@10": 1.0, "p@10": 1.0, "p@10-exact": 1.0, "top-1": 1.0}
    worse = graded_metrics(["b", "x", "a"], grades)
    assert worse["top-1"] == 0.0 and worse["p@10"] == pytest.approx(2 / 3)
    assert worse["p@10-exact"] == pytest.approx(1 / 2) and 0 < worse["ndcg@10"] < 1
    assert graded_metrics([], grades)["ndcg@10"] == 0.0


def test_bootstrap_interval_brackets_the_mean() -> None:
    mean, low, high = bootstrap_interval([0.0, 1.0] * 50)
    assert mean == 0.5 and low < 0.5 < high and high - low < 0.3


def test_evaluate_search_judged_cli(tmp_path: Path) -> None:
    from leafloaf.cli import main

    data = write_instacart(tmp_path / "ic", users=20)
    with open(data / "products.csv", newline="") as handle:
        names = {row["product_id"]: row["product_name"].lower() for row in csv.DictReader(handle)}
    judged = tmp_path / "judged"
    judged.mkdir()
    rows = []
    for word in ("milk", "bread", "apple"):
        exact = [p for p, n in names.items() if word in n]
        rows.append((word, " ".join(exact)))
    (judged / "queries.tsv").write_text(
        "query\tkind\tsplit\n" + "".join(f"{w}\ttype\theldout\n" for w, _ in rows)
    )
    (judged / "instacart_qrels.tsv").write_text(
        "query\texact\trelated\n" + "".join(f"{w}\t{ids}\t\n" for w, ids in rows)
    )
    out = tmp_path / "out"
    args = ["evaluate", "search", "--data", str(data), "--judged", str(judged), "--out", str(out)]
    assert main(args) == 0
    result = json.loads((out / "search-judged-ic-heldout.json").read_text())
    assert result["queries"] == 3
    for order in ("raw", "new-shopper"):
        mean, low, high = result["orders"][order]["p@10"]
        assert low <= mean <= high and mean == 1.0  # every product named "milk" is milk
    with pytest.raises(ValidationError, match=r"queries\.tsv"):
        load_judged(tmp_path)
