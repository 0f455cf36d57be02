"""LocalSearch specifics: typos, fusion, persistence, and filter invariants."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leafloaf import SearchFilters, ValidationError
from leafloaf.search.local import LocalSearch, relative_score_fusion
from tests.contract.test_search_backend import PRODUCTS


@pytest.fixture(scope="module")
def bm25() -> LocalSearch:
    search = LocalSearch(dense=False)
    search.index(PRODUCTS)
    return search


def test_typo_is_corrected(bm25: LocalSearch) -> None:
    hits = bm25.search("yoghurt", k=3)
    assert hits and hits[0].product_id == "7" and hits[0].retriever == "fuzzy"
    assert bm25.search("strawbery", k=1)[0].product_id == "8"


def test_unknown_words_find_nothing_lexically(bm25: LocalSearch) -> None:
    assert bm25.search("zzzzqqq", k=5) == []


def test_fusion_extremes() -> None:
    lexical, dense = {0: 3.0, 1: 1.0}, {1: 0.9, 2: 0.5}
    assert relative_score_fusion(lexical, dense, 0.0) == {0: 1.0, 1: 0.0}
    assert relative_score_fusion(lexical, dense, 1.0) == {1: 1.0, 2: 0.0}
    with pytest.raises(ValidationError):
        LocalSearch(dense=False, alpha=1.5)


def test_dense_search_finds_meaning_without_shared_words() -> None:
    search = LocalSearch(dense=True, alpha=1.0)
    search.index(PRODUCTS)
    hits = search.search("dairy drink", k=3)
    assert hits[0].retriever == "vector"
    assert {h.product_id for h in hits} & {"3", "4", "5"}


def test_index_persists_and_reloads(tmp_path: Path) -> None:
    search = LocalSearch(dense=True, alpha=0.3)
    search.index(PRODUCTS)
    search.remove(["2"])
    before = search.search("banana bread", k=5)
    search.save(tmp_path / "idx")
    again = LocalSearch.load(tmp_path / "idx")
    assert len(again) == len(PRODUCTS) - 1 and again.alpha == 0.3
    after = again.search("banana bread", k=5)
    assert [h.product_id for h in after] == [h.product_id for h in before]
    assert "2" not in {h.product_id for h in after}


@settings(max_examples=40, deadline=None)
@given(
    query=st.sampled_from(["milk", "bread", "banana", "organic", "fruit", "oat", "yogurt"]),
    k=st.integers(0, 10),
    max_price=st.one_of(st.none(), st.floats(0, 6)),
    category=st.one_of(st.none(), st.sampled_from(["department:dairy", "aisle:bread"])),
)
def test_results_obey_k_and_filters(
    bm25: LocalSearch, query: str, k: int, max_price: float | None, category: str | None
) -> None:
    filters = SearchFilters(max_price=max_price, categories=(category,) if category else ())
    hits = bm25.search(query, k=k, filters=filters)
    assert len(hits) <= k
    by_id = {p.product_id: p for p in PRODUCTS}
    for hit in hits:
        product = by_id[hit.product_id]
        assert math.isfinite(hit.score)
        if max_price is not None:
            assert product.price is not None and product.price <= max_price
        if category:
            assert category in bm25._catalog.attributes(hit.product_id)


def test_bench_search_cli_writes_report(tmp_path: Path) -> None:
    import json

    from leafloaf.cli import main
    from tests.datagen import write_instacart

    folder = write_instacart(tmp_path / "ic", users=10)
    out = tmp_path / "bench"
    assert main(["bench", "search", "--data", str(folder), "--out", str(out), "--quick"]) == 0
    figures = json.loads((out / "search.json").read_text())
    assert 0 < figures["bm25_p50_ms"] <= figures["bm25_p95_ms"]
    assert figures["hybrid_p95_ms"] > 0 and figures["personal_rerank_200_p95_ms"] > 0
    assert "| BM25 search, k=10 |" in (out / "search.md").read_text()
