"""Metric code checked by hand and against trec_eval (pytrec-eval-terrier)."""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leafloaf.evaluation.metrics import ndcg_at_k, phr_at_k, recall_at_k, score_rankings


def test_hand_computed_example() -> None:
    ranked = ["a", "x", "b", "y", "c"]
    target = {"a", "b", "z"}
    assert recall_at_k(ranked, target, 3) == pytest.approx(2 / 3)
    dcg = 1 / math.log2(2) + 1 / math.log2(4)
    idcg = 1 / math.log2(2) + 1 / math.log2(3) + 1 / math.log2(4)
    assert ndcg_at_k(ranked, target, 3) == pytest.approx(dcg / idcg)
    assert phr_at_k(ranked, target, 1) == 1.0
    assert phr_at_k(["x", "y"], target, 2) == 0.0
    # K larger than the target: the ideal DCG stops at |target|
    assert ndcg_at_k(["q", "a"], {"a"}, 10) == pytest.approx(1 / math.log2(3))


def test_repeat_explore_split() -> None:
    result = score_rankings(
        {"u": ["a", "n1", "b"]}, {"u": {"a", "n1", "n2"}}, {"u": {"a", "b"}}, ks=(2,)
    )
    assert result["recall@2"] == pytest.approx(2 / 3)
    assert result["repeat"]["recall@2"] == pytest.approx(1.0)  # type: ignore[index]
    assert result["explore"]["recall@2"] == pytest.approx(0.5)  # type: ignore[index]
    assert result["repeat_ratio@2"] == pytest.approx(0.5)


def test_agrees_with_trec_eval() -> None:
    pytrec_eval = pytest.importorskip("pytrec_eval")
    rng = random.Random(4)
    items = [f"i{n}" for n in range(40)]
    qrels, run, ours = {}, {}, {}
    for q in range(60):
        target = set(rng.sample(items, rng.randint(1, 8)))
        ranked = rng.sample(items, 20)
        qrels[f"q{q}"] = {i: 1 for i in target}
        run[f"q{q}"] = {i: float(20 - r) for r, i in enumerate(ranked)}
        ours[f"q{q}"] = (ranked, target)
    evaluator = pytrec_eval.RelevanceEvaluator(qrels, {"ndcg_cut.10", "recall.10", "P.10"})
    theirs = evaluator.evaluate(run)
    for q, (ranked, target) in ours.items():
        assert ndcg_at_k(ranked, target, 10) == pytest.approx(theirs[q]["ndcg_cut_10"], abs=1e-9)
        assert recall_at_k(ranked, target, 10) == pytest.approx(theirs[q]["recall_10"], abs=1e-9)
        hits = len(set(ranked[:10]) & target)
        assert hits / 10 == pytest.approx(theirs[q]["P_10"])


@given(
    st.lists(st.sampled_from("abcdefghij"), unique=True, max_size=10),
    st.sets(st.sampled_from("abcdefghij"), min_size=1),
    st.integers(1, 12),
)
def test_metrics_bounded(ranked: list[str], target: set[str], k: int) -> None:
    for fn in (recall_at_k, ndcg_at_k, phr_at_k):
        assert 0.0 <= fn(ranked, target, k) <= 1.0 + 1e-12
    assert recall_at_k(sorted(target), target, len(target)) == 1.0
    assert ndcg_at_k(sorted(target), target, k) == pytest.approx(1.0)
