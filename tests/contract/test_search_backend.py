"""Contract suite every SearchBackend passes (Weaviate when WEAVIATE_URL is set)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from leafloaf import Product, SearchBackend, SearchFilters
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

BACKENDS = ["local-bm25", "local-hybrid", "weaviate"]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> Iterator[SearchBackend]:
    if request.param == "local-bm25":
        instance: SearchBackend = LocalSearch(dense=False)
    elif request.param == "local-hybrid":
        instance = LocalSearch(dense=True, alpha=0.5)
    else:
        url = os.environ.get("WEAVIATE_URL")
        if not url:
            pytest.skip("WEAVIATE_URL not set: no Weaviate server to run the contract against")
        from leafloaf.search.weaviate import WeaviateSearch

        instance = WeaviateSearch(url, collection="LeafLoafContract")
    instance.index(PRODUCTS)
    yield instance


def test_finds_by_name_and_respects_k(backend: SearchBackend) -> None:
    hits = backend.search("milk", k=2)
    assert 1 <= len(hits) <= 2
    assert all(h.product_id in {"3", "4", "5"} for h in hits)
    assert hits == sorted(hits, key=lambda h: -h.score)
    assert backend.search("milk", k=0) == []


def test_filters_are_always_respected(backend: SearchBackend) -> None:
    by_id = {p.product_id: p for p in PRODUCTS}
    only_cheap = backend.search("milk", k=10, filters=SearchFilters(max_price=2.0))
    assert only_cheap and only_cheap[0].product_id in {"3", "5"}
    assert all((by_id[h.product_id].price or 99) <= 2.0 for h in only_cheap)
    vegan = backend.search("milk", k=10, filters=SearchFilters(attributes=("tag:vegan",)))
    assert [h.product_id for h in vegan] == ["4"]
    bakery = backend.search(
        "banana", k=10, filters=SearchFilters(categories=("department:bakery",))
    )
    assert bakery[0].product_id == "2"
    assert all(by_id[h.product_id].department == "bakery" for h in bakery)
    no_dairy = backend.search(
        "milk", k=10, filters=SearchFilters(exclude_attributes=("department:dairy",))
    )
    assert all(h.product_id not in {"3", "4", "5", "7"} for h in no_dairy)  # fmt: skip


def test_removed_products_are_never_returned(backend: SearchBackend) -> None:
    assert backend.remove(["4"]) == 1
    assert "4" not in {h.product_id for h in backend.search("oat milk", k=10)}


def test_plural_and_health(backend: SearchBackend) -> None:
    assert "1" in {h.product_id for h in backend.search("banana", k=3)}
    assert "6" in {h.product_id for h in backend.search("breads", k=3)}
    health = backend.health()
    assert health.ok and health.backend == backend.name
