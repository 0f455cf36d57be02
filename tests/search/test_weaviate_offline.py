"""WeaviateSearch without a server: what it would send, and how it degrades.

Requests are checked against the installed weaviate-client itself: the collection schema
is serialised with the client's own config model, and query arguments are bound to the
real ``query.hybrid`` / ``query.bm25`` signatures. The live round trip is the contract
suite's job (``WEAVIATE_URL=http://localhost:8080 make test``).
"""

from __future__ import annotations

import inspect
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from leafloaf import MissingExtraError, SearchFilters
from leafloaf.search.weaviate import WeaviateSearch, build_filter, product_properties
from tests.contract.test_search_backend import PRODUCTS

UNREACHABLE = "http://127.0.0.1:9"  # nothing listens on the discard port


def test_missing_client_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "weaviate", None)
    with pytest.raises(MissingExtraError, match=r"leafloaf\[weaviate\]"):
        WeaviateSearch(UNREACHABLE, dense=False)


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
    assert combined.operator.value == "And"


def test_schema_as_the_client_would_send_it() -> None:
    from weaviate.collections.classes.config import _CollectionConfigCreate

    search = WeaviateSearch(UNREACHABLE, collection="Products", dense=False)
    sent = _CollectionConfigCreate(**search.collection_arguments())._to_dict()
    assert sent["class"] == "Products"
    assert sent["vectorConfig"]["default"]["vectorizer"] == {"none": {}}  # self-provided
    props = {p["name"]: p for p in sent["properties"]}
    assert set(props) == {"product_id", "name", "brand", "categories", "search_text",
                          "attributes", "price"}  # fmt: skip
    for exact in ("product_id", "attributes"):  # filter keys match whole, not per word
        assert props[exact]["tokenization"] == "field"
        assert props[exact]["indexSearchable"] is False
    assert props["attributes"]["dataType"] == ["text[]"]
    assert props["search_text"]["tokenization"] == "word"
    assert props["price"]["dataType"] == ["number"]


def _bind(method: Any, arguments: dict[str, Any]) -> None:
    inspect.signature(method).bind(None, **arguments)  # raises on any unknown argument


def test_query_arguments_fit_the_installed_client() -> None:
    from weaviate.collections.queries.bm25.query.executor import _BM25QueryExecutor
    from weaviate.collections.queries.hybrid.query.executor import _HybridQueryExecutor

    search = WeaviateSearch(UNREACHABLE, alpha=0.7, dense=True)
    search.index(PRODUCTS)  # fills the embedded fallback, whose vocabulary fixes typos
    hybrid = search.hybrid_arguments("Yoghurts", 5, SearchFilters(max_price=2.0))
    _bind(_HybridQueryExecutor.hybrid, hybrid)
    assert hybrid["alpha"] == 0.7 and hybrid["limit"] == 5 and len(hybrid["vector"]) == 256
    assert hybrid["query"] == "yogurt" and hybrid["query_properties"] == ["search_text"]
    assert hybrid["fusion_type"].value == "FUSION_TYPE_RELATIVE_SCORE"
    assert hybrid["filters"].target == "price"
    bm25 = search.bm25_arguments("organic bananas", 3, None)
    _bind(_BM25QueryExecutor.bm25, bm25)
    assert bm25["query"] == "organic banana" and bm25["filters"] is None


def test_objects_as_they_would_be_imported() -> None:
    collection = _Collection(_Query(False, False))
    search = WeaviateSearch("http://unused", dense=True, client=_Client(collection))
    assert search.index(PRODUCTS) == len(PRODUCTS)
    assert collection.created is not None and collection.created["name"] == "LeafLoafProduct"
    oat = next(o for o in collection.added if o["properties"]["product_id"] == "4")
    assert oat["properties"]["attributes"] == ["department:dairy", "aisle:milk", "brand:Oatly",
                                               "tag:vegan"]  # fmt: skip
    assert oat["properties"]["search_text"] == "oat milk oat dairi milk vegan"
    assert oat["properties"]["price"] == 3.5 and len(oat["vector"]) == 256
    assert len({o["uuid"] for o in collection.added}) == len(PRODUCTS)  # deterministic ids
    assert (
        "price"
        not in next(o for o in collection.added if o["properties"]["product_id"] == "8")[
            "properties"
        ]
    )
    assert product_properties(PRODUCTS[3], ["aisle:milk"])["attributes"] == ["aisle:milk"]


def test_unreachable_server_falls_back_to_local_search() -> None:
    search = WeaviateSearch(UNREACHABLE, dense=False)
    assert search.health().mode == "local-fallback" and search.health().ok
    search.index(PRODUCTS)
    hits = search.search("milk", k=2)
    assert hits and all(h.retriever == "bm25" for h in hits)
    assert search.remove(["3"]) == 1
    assert "3" not in {h.product_id for h in search.search("milk", k=10)}


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


class _Batch:
    def __init__(self, sink: list[dict[str, Any]]) -> None:
        self.sink = sink

    def add_object(self, **kwargs: Any) -> None:
        self.sink.append(kwargs)


class _BatchManager:
    def __init__(self, sink: list[dict[str, Any]]) -> None:
        self.sink = sink
        self.failed_objects: list[Any] = []

    @contextmanager
    def dynamic(self) -> Iterator[_Batch]:
        yield _Batch(self.sink)


class _Collection:
    def __init__(self, query: _Query) -> None:
        self.query = query
        self.added: list[dict[str, Any]] = []
        self.created: dict[str, Any] | None = None
        self.batch = _BatchManager(self.added)
        self.aggregate = self

    def over_all(self, total_count: bool) -> Any:
        return type("Total", (), {"total_count": len({o["uuid"] for o in self.added})})()


class _Client:
    def __init__(self, collection: _Collection) -> None:
        self.collections = self
        self.collection = collection

    def exists(self, name: str) -> bool:
        return self.collection.created is not None

    def create(self, name: str, **kwargs: Any) -> None:
        self.collection.created = {"name": name, **kwargs}

    def get(self, name: str) -> _Collection:
        return self.collection


@pytest.mark.parametrize(
    ("hybrid_fails", "bm25_fails", "expected"),
    [(False, False, "hybrid"), (True, False, "bm25"), (True, True, "local")],
)
def test_degradation_chain(hybrid_fails: bool, bm25_fails: bool, expected: str) -> None:
    query = _Query(hybrid_fails, bm25_fails)
    search = WeaviateSearch("http://unused", dense=True, client=_Client(_Collection(query)))
    search.fallback.index(PRODUCTS)
    hits = search.search("milk", k=3)
    if expected == "local":
        assert query.calls == ["hybrid", "bm25"] and search.mode == "local-fallback"
        assert {h.product_id for h in hits} <= {"3", "4", "5"} and hits
    else:
        assert hits[0].retriever == expected and search.mode == expected
        assert query.calls[-1] == expected


def test_a_failing_step_is_skipped_until_retry_after() -> None:
    query = _Query(True, True)
    search = WeaviateSearch("http://unused", dense=True, client=_Client(_Collection(query)),
                            retry_after=60)  # fmt: skip
    search.fallback.index(PRODUCTS)
    search.search("milk", k=3)
    search.search("bread", k=3)  # within retry_after: straight to the embedded index
    assert query.calls == ["hybrid", "bm25"]
    query.bm25_fails = False
    search._server_down_until = 0.0  # time passes: the server is tried again, BM25 first
    assert search.search("milk", k=3)[0].retriever == "bm25"
    assert query.calls == ["hybrid", "bm25", "bm25"]
