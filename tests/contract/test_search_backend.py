"""Contract suite every SearchBackend passes (Weaviate when WEAVIATE_URL is set)."""

from __future__ import annotations

import math
import os
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leafloaf import Catalog, Product, SearchBackend, SearchFilters
from leafloaf.search.base import QueryMatch
from leafloaf.search.local import LocalSearch

PRODUCTS = [
    Product(product_id="1", name="Organic Bananas", categories=("produce", "fruit"), price=0.3,
            tags=("organic",)),
    Product(product_id="2", name="Banana Bread", categories=("bakery", "bread"), price=4.0),
    Product(product_id="3", name="Whole Milk", categories=("dairy", "milk"), price=1.2),
    Product(product_id="4", name="Oat Milk", brand="Oatly", categories=("dairy", "milk"),
            price=3.5, tags=("vegan",)),
    Product(product_id="5", name="Chocolate Milk", categories=("dairy", "milk"), price=2.0),
    Product(product_id="6", name="Sourdough Bread", categories=("bakery", "bread"), price=5.0),
    Product(product_id="7", name="Greek Yogurt", categories=("dairy", "yogurt"), price=1.5),
    Product(product_id="8", name="Strawberries", categories=("produce", "fruit")),
]  # fmt: skip
BY_ID = {p.product_id: p for p in PRODUCTS}
ATTRIBUTES = Catalog(PRODUCTS)

BACKENDS = ["local-bm25", "local-hybrid", "weaviate"]
NO_WEAVIATE = (
    "WEAVIATE_URL not set: no Weaviate server to run the contract against "
    "(WEAVIATE_URL=http://localhost:8080 make test runs it)"
)


def make_backend(kind: str) -> SearchBackend:
    """A fresh, empty backend of ``kind`` (skips Weaviate without a server)."""
    if kind == "local-bm25":
        return LocalSearch(dense=False)
    if kind == "local-hybrid":
        return LocalSearch(dense=True, alpha=0.5)
    url = os.environ.get("WEAVIATE_URL")
    if not url:
        pytest.skip(NO_WEAVIATE)
    from leafloaf.search.weaviate import WeaviateSearch

    instance = WeaviateSearch(url, collection="LeafLoafContract", alpha=0.5)
    if instance.health().mode == "local-fallback":
        pytest.fail(f"WEAVIATE_URL={url} is set but the server cannot be reached")
    instance.drop()
    return instance


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> Iterator[SearchBackend]:
    instance = make_backend(request.param)
    instance.index(PRODUCTS)
    yield instance
    close = getattr(instance, "close", None)
    if close is not None:
        close()


def test_finds_by_name_and_respects_k(backend: SearchBackend) -> None:
    hits = backend.search("milk", k=2)
    assert 1 <= len(hits) <= 2
    assert all(h.product_id in {"3", "4", "5"} for h in hits)
    assert hits == sorted(hits, key=lambda h: -h.score)
    assert backend.search("milk", k=0) == []
    assert backend.search("   ", k=5) == []


def test_filters_are_always_respected(backend: SearchBackend) -> None:
    only_cheap = backend.search("milk", k=10, filters=SearchFilters(max_price=2.0))
    assert only_cheap and only_cheap[0].product_id in {"3", "5"}
    assert all((BY_ID[h.product_id].price or 99) <= 2.0 for h in only_cheap)
    vegan = backend.search("milk", k=10, filters=SearchFilters(attributes=("tag:vegan",)))
    assert [h.product_id for h in vegan] == ["4"]
    bakery = backend.search(
        "banana", k=10, filters=SearchFilters(categories=("department:bakery",))
    )
    assert bakery[0].product_id == "2"
    assert all(BY_ID[h.product_id].department == "bakery" for h in bakery)
    no_dairy = backend.search(
        "milk", k=10, filters=SearchFilters(exclude_attributes=("department:dairy",))
    )
    assert all(h.product_id not in {"3", "4", "5", "7"} for h in no_dairy)  # fmt: skip


def test_removed_products_are_never_returned(backend: SearchBackend) -> None:
    assert backend.remove(["4"]) == 1
    assert "4" not in {h.product_id for h in backend.search("oat milk", k=10)}
    assert backend.remove(["4", "no-such-id"]) == 0


def test_indexing_again_replaces_a_product(backend: SearchBackend) -> None:
    backend.index([PRODUCTS[2].model_copy(update={"name": "Kefir"})])
    assert backend.search("kefir", k=3)[0].product_id == "3"
    backend.remove(["2"])
    backend.index([PRODUCTS[1]])  # a removed product comes back when indexed again
    assert "2" in {h.product_id for h in backend.search("banana bread", k=3)}


def test_plural_and_health(backend: SearchBackend) -> None:
    assert "1" in {h.product_id for h in backend.search("banana", k=3)}
    assert "6" in {h.product_id for h in backend.search("breads", k=3)}
    health = backend.health()
    assert health.ok and health.backend == backend.name


def test_query_matches_tell_the_truth_or_nothing(backend: SearchBackend) -> None:
    hits = backend.search("oat milk", k=10)
    matches = backend.query_matches("oat milk", [h.product_id for h in hits])
    assert set(matches) <= {h.product_id for h in hits}
    for match in matches.values():  # every query word is either matched or missing
        assert sorted(match.matched + match.missing) == ["milk", "oat"]
    if matches:  # a backend may not tell; one that tells is right
        assert matches["4"] == QueryMatch(matched=("oat", "milk"), missing=())
        assert matches["3"] == QueryMatch(matched=("milk",), missing=("oat",))


QUERIES = ["milk", "bread", "bananas", "organic", "fruit", "oat", "yoghurt", "strawbery", "xyz"]
KEYS = sorted({a for p in PRODUCTS for a in ATTRIBUTES.attributes(p.product_id)})


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    query=st.sampled_from(QUERIES),
    k=st.integers(0, 10),
    categories=st.lists(st.sampled_from(KEYS), max_size=2),
    required=st.lists(st.sampled_from(KEYS), max_size=1),
    excluded=st.lists(st.sampled_from(KEYS), max_size=2),
    max_price=st.one_of(st.none(), st.floats(0, 6)),
    removed=st.lists(st.sampled_from(sorted(BY_ID)), max_size=3, unique=True),
)
def test_invariants_hold_for_any_query(
    backend: SearchBackend,
    query: str,
    k: int,
    categories: list[str],
    required: list[str],
    excluded: list[str],
    max_price: float | None,
    removed: list[str],
) -> None:
    filters = SearchFilters(categories=tuple(categories), attributes=tuple(required),
                            exclude_attributes=tuple(excluded), max_price=max_price)  # fmt: skip
    backend.remove(removed)
    try:
        hits = backend.search(query, k=k, filters=filters)
    finally:
        backend.index([BY_ID[pid] for pid in removed])
    ids = [h.product_id for h in hits]
    assert len(hits) <= k and len(set(ids)) == len(ids)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    for hit in hits:
        assert math.isfinite(hit.score)
        assert hit.product_id not in removed
        assert filters.allows(BY_ID[hit.product_id], ATTRIBUTES.attributes(hit.product_id))
