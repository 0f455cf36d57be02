"""Split, baselines and the end-to-end next-basket evaluation on generated data."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from leafloaf.catalog import Catalog
from leafloaf.cli import main
from leafloaf.evaluation.baselines import TIFUKNN, PTopFreq, TIFUParams, _weights
from leafloaf.evaluation.data import Basket, BasketData, load_basket_data
from leafloaf.evaluation.split import leave_last_out
from leafloaf.models import Product
from tests.datagen import write_instacart

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _basket(day: int, *items: str) -> Basket:
    return Basket(T0 + timedelta(days=day), items)


def test_leave_last_out() -> None:
    catalog = Catalog([Product(product_id=p, name=p) for p in "abcd"])
    data = BasketData(
        "t",
        catalog,
        {
            "u": [_basket(0, "a"), _basket(7, "b"), _basket(14, "c"), _basket(21, "d")],
            "short": [_basket(0, "a"), _basket(3, "b")],
        },
    )
    splits = leave_last_out(data)
    assert list(splits) == ["u"]
    s = splits["u"]
    assert [b.items for b in s.history] == [("a",), ("b",)]
    assert s.validation.items == ("c",) and s.test.items == ("d",)
    assert [b.items for b in s.known("test")] == [("a",), ("b",), ("c",)]


def test_tifu_paper_variant_weights_follow_the_paper() -> None:
    baskets = [_basket(i, "x") for i in range(6)]
    weights = [w for w, _ in _weights(3, 0.9, 0.7, baskets, "paper")]
    # 3 groups of 2: inside a group newer baskets weigh r_b^0, older r_b^1; groups r_g^age
    expected = [0.9 * 0.49, 0.49, 0.9 * 0.7, 0.7, 0.9, 1.0]
    assert weights == pytest.approx([e / 2 / 3 for e in expected])


def test_ptopfreq_and_tifu_prefer_the_users_staples() -> None:
    known = {
        "u": [_basket(i, "milk", f"x{i}") for i in range(5)],
        "v": [_basket(i, "milk", "bread") for i in range(5)],
        "w": [_basket(i, "bread") for i in range(5)],
    }
    p = PTopFreq()
    p.fit(known)
    assert p.predict("u", 1) == ["milk"]
    assert p.predict("w", 2) == ["bread", "milk"]  # padded with the popular item
    # the authors' code counts the shopper among their own neighbours: k = 2 is u and v
    tifu = TIFUKNN(TIFUParams(groups=2, neighbours=2, alpha=0.5))
    tifu.fit(known)
    assert tifu.predict("u", 1) == ["milk"]
    assert "bread" in tifu.predict("u", 3)  # from its nearest neighbour v


def test_evaluate_next_basket_cli_writes_fixed_shape_json(tmp_path: Path) -> None:
    folder = write_instacart(tmp_path / "ic", users=25, orders=6)
    out = tmp_path / "out"
    assert main(["evaluate", "next-basket", "--data", str(folder), "--out", str(out),
                 "--no-progress"]) == 0  # fmt: skip
    result = json.loads((out / "next-basket-ic.json").read_text())
    assert result["dataset"] == "ic" and result["users"] == 25 and result["k"] == [10, 20]
    assert set(result["methods"]) == {
        "g-topfreq", "p-topfreq", "tifu-knn", "tifu-knn-paper", "leafloaf"
    }  # fmt: skip
    assert result["params"]["tifu-knn"]["variant"] == "authors"
    assert result["params"]["tifu-knn-paper"]["variant"] == "paper"
    effect = result["tifu_variants"]["recall@10 tifu-knn - tifu-knn-paper"]
    low, high = effect["ci95"]
    assert low <= effect["mean_difference"] <= high
    for figures in result["methods"].values():
        for key in ("recall@10", "ndcg@10", "phr@10", "recall@20", "ndcg@20", "phr@20"):
            assert 0.0 <= figures[key] <= 1.0
        assert {"repeat", "explore"} <= set(figures)
    # the generated shoppers repeat staples: personal methods must beat global popularity
    m = result["methods"]
    assert m["p-topfreq"]["recall@10"] > m["g-topfreq"]["recall@10"]
    assert m["leafloaf"]["recall@10"] > m["g-topfreq"]["recall@10"]
    assert (out / "next-basket-ic.md").read_text().startswith("# Next-basket evaluation")
    assert (out / "next-basket-ic.png").stat().st_size > 1000


@pytest.mark.parametrize(
    "what", ["complements", "dietary", "household", "quantity", "budget", "search"]
)
def test_capability_evaluations_run(tmp_path: Path, what: str) -> None:
    folder = write_instacart(tmp_path / "ic", users=30, orders=6)
    out = tmp_path / "out"
    assert main(["evaluate", what, "--data", str(folder), "--out", str(out), "--no-progress"]) == 0
    result = json.loads((out / f"{what}-ic.json").read_text())
    assert result["dataset"] == "ic"
    if what in {"quantity", "budget"}:
        assert "skipped" in result  # no quantities or prices in this layout
    elif what == "household":
        assert 0.0 <= result["merged"]["roc_auc"] <= 1.0
        low, high = result["merged"]["roc_auc_ci95"]
        assert low <= result["merged"]["roc_auc"] <= high
        assert "real" not in result  # this layout carries no household sizes
    elif what == "dietary":
        cells = [c for by_dept in result["diet"].values() for c in by_dept.values()]
        assert cells  # every planted prevalence × department scored
        for cell in cells:  # [mean, low, high] of a bootstrap interval, or NaN when empty
            for name in ("precision", "recall"):
                mean, low, high = cell[name]
                assert mean != mean or 0.0 <= low <= mean <= high <= 1.0, (name, cell)
    else:
        assert result["methods"]


def test_dnntsp_layout(tmp_path: Path) -> None:
    path = tmp_path / "X.json"
    seqs = {str(u): [[1, 2], [2, 3], [1, 2, 4], [2]] for u in range(6)}
    path.write_text(json.dumps({"train": seqs, "validate": {}, "test": {"99": [[5], [5], [5]]}}))
    data = load_basket_data(path)
    assert data.name == "X" and len(data.baskets) == 7
    assert data.baskets["0"][2].items == ("1", "2", "4")
    assert data.baskets["0"][1].at - data.baskets["0"][0].at == timedelta(days=7)
