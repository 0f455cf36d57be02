"""``leafloaf evaluate reorder``: restock calibration on held-out baskets, on generated data."""

from __future__ import annotations

import json
import random
from datetime import timedelta
from pathlib import Path

import pytest

from leafloaf.evaluation.data import Basket, BasketData
from leafloaf.evaluation.reorder import (
    CUTOFFS,
    evaluate_reorder,
    plot_reorder,
    reorder_markdown,
)
from leafloaf.evaluation.report import write_report
from tests.learning.builders import PRODUCTS, T0, catalog


def _data(shoppers: int = 24, weeks: int = 12, seed: int = 3) -> BasketData:
    rng = random.Random(seed)
    pool = [p.product_id for p in PRODUCTS if p.categories]
    baskets: dict[str, list[Basket]] = {}
    for u in range(shoppers):
        cycles = {p: rng.randint(1, 3) for p in rng.sample(pool, 3)}
        history = []
        for week in range(weeks):
            items = [p for p, c in cycles.items() if week % c == 0] + [rng.choice(pool)]
            history.append(Basket(T0 + timedelta(days=7 * week), tuple(dict.fromkeys(items))))
        baskets[f"u{u}"] = history
    return BasketData("generated", catalog(), baskets)


def _no_nan(name: str) -> None:
    raise AssertionError(f"{name} in the JSON report")


@pytest.fixture(scope="module")
def result() -> dict[str, object]:
    return evaluate_reorder(_data(), show=False)


def test_every_previously_bought_product_is_a_case(result: dict[str, object]) -> None:
    data = _data()
    expected = sum(
        len({p for b in history[:-1] for p in b.items}) for history in data.baskets.values()
    )
    assert result["cases"] == expected
    assert result["shoppers"] == len(data.baskets)


def test_every_method_reports_calibration_and_cutoffs(result: dict[str, object]) -> None:
    methods = result["methods"]
    assert isinstance(methods, dict)
    assert set(methods) == {"leafloaf", "leafloaf-uncalibrated", "pooled-shape (before)"}
    for report in methods.values():
        assert 0.0 <= report["brier"] <= 1.0 and 0.0 <= report["ece"] <= 1.0
        assert 0.0 <= report["roc_auc"] <= 1.0
        recalls = [report["cutoffs"][f"{c:.1f}"]["recall"] for c in CUTOFFS]
        assert recalls == sorted(recalls, reverse=True)  # a higher cut-off never recalls more
    # the cyclic shoppers make timing informative: better than the base rate
    assert methods["leafloaf"]["brier"] < methods["leafloaf"]["brier_base_rate"]


def test_comparison_carries_intervals(result: dict[str, object]) -> None:
    effect = result["effect"]["vs pooled-shape (before)"]  # type: ignore[index]
    for metric in ("brier", "log_loss"):
        low, high = effect[metric]["ci95"]
        assert low <= effect[metric]["old_minus_new"] <= high
        assert effect[metric]["win"] == (low > 0)


def test_report_files(result: dict[str, object], tmp_path: Path) -> None:
    markdown = reorder_markdown(result)
    assert "p ≥ 0.5" in markdown and "paired bootstrap" in markdown
    paths = write_report(result, tmp_path, "reorder-generated", markdown, plot_reorder)
    loaded = json.loads(paths[0].read_text(), parse_constant=_no_nan)  # strict JSON
    assert loaded["cases"] == result["cases"]
    assert all(p.exists() for p in paths)
