"""WeaviateSearch without a server: what it sends, and how it degrades."""

from __future__ import annotations

from typing import Any

import pytest

from leafloaf import SearchFilters
from leafloaf.search.weaviate import WeaviateSearch, build_filter, product_properties
from tests.contract.test_search_backend import PRODUCTS


def test_filter_building() -> None:
    assert build_filter(None) is None and build_filter(SearchFilters()) is None
    single = build_filter(SearchFilters(max_price=3.0))
    assert (single.target, single.value, single.operator.value) == (
        "price", 3.0, "LessThanEqual")  # fmt: skip
    combined = build_filter(
        SearchFilters(categories=("aisle:milk",), attributes=("tag:vegan",), min_price=1.0,
                      exclude_attributes=("department:meat",))
    )  # fmt: skip
    parts = {(f.target, f.operator.value, str(f.value)) for f in combined.filters}
    assert ("attributes", "ContainsAny", "['aisle:milk']") in parts
    assert ("attributes", "ContainsAll", "['tag:vegan']") in parts
    assert ("attributes", "ContainsNone", "['department:meat']") in parts
    assert ("price", "GreaterThanEqual", "1.0") in parts


def test_unreachable_server_falls_back_to_local_search() -> None:
    search = WeaviateSearch("http://127.0.0.1:9", dense=False)  # nothing listens on port 9
    assert search.health().mode == "local-fallback"
    search.index(PRODUCTS)
    hits = search.search("milk", k=2)
    assert hits and all(h.retriever == "bm25" for h in hits)


def test_hybrid_arguments_carry_alpha_vector_and_filters() -> None:
    search = WeaviateSearch("http://127.0.0.1:9", alpha=0.7, dense=True)
    args = search.hybrid_arguments("oat milk", 5, SearchFilters(max_price=2.0))
    assert args["alpha"] == 0.7 and args["limit"] == 5 and len(args["vector"]) == 256
    assert args["fusion_type"].value == "FUSION_TYPE_RELATIVE_SCORE"
    assert args["filters"].target == "price"
    assert product_properties(PRODUCTS[3], ["aisle:milk"])["attributes"] == ["aisle:milk"]


class _Objects:
    def __init__(self, ids: list[str]) -> None:
        self.objects = [
            type(
                "O",
                (),
                {"properties": {"product_id": i}, "metadata": type("M", (), {"score": 1.0})},
            )
            for i in ids
        ]


class _Query:
    """Stands in for the server's query endpoint to inject faults (no server runs here)."""

    def __init__(self, hybrid_fails: bool, bm25_fails: bool) -> None:
        self.hybrid_fails, self.bm25_fails = hybrid_fails, bm25_fails
        self.calls: list[str] = []

    def hybrid(self, **kwargs: Any) -> _Objects:
        self.calls.append("hybrid")
        if self.hybrid_fails:
            raise RuntimeError("vectorizer unavailable")
        return _Objects(["3"])

    def bm25(self, **kwargs: Any) -> _Objects:
        self.calls.append("bm25")
        if self.bm25_fails:
            raise ConnectionError("server gone")
        return _Objects(["5"])


class _Client:
    def __init__(self, query: _Query) -> None:
        self.collections = self
        self.query = query

    def get(self, name: str) -> _Client:
        return self


@pytest.mark.parametrize(
    ("hybrid_fails", "bm25_fails", "expected"),
    [(False, False, "hybrid"), (True, False, "bm25"), (True, True, "local")],
)
def test_degradation_chain(hybrid_fails: bool, bm25_fails: bool, expected: str) -> None:
    query = _Query(hybrid_fails, bm25_fails)
    search = WeaviateSearch("http://unused", dense=True, client=_Client(query))
    search.fallback.index(PRODUCTS)
    hits = search.search("milk", k=3)
    if expected == "local":
        assert query.calls == ["hybrid", "bm25"] and search.mode == "local-fallback"
        assert {h.product_id for h in hits} <= {"3", "4", "5"} and hits
    else:
        assert hits[0].retriever == expected
        assert query.calls[-1] == expected
