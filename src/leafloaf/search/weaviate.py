"""WeaviateSearch: hybrid product search on a Weaviate server (``leafloaf[weaviate]``, client v4).

Degrades in two steps, because search must answer even when parts of the stack fail:
hybrid (BM25 + vectors, relative-score fusion with ``alpha``) → BM25 only when the vector
side fails → the embedded :class:`LocalSearch` when Weaviate cannot be reached at all.
After a failure the failing step is skipped for ``retry_after`` seconds, so an outage
costs one timeout, not one per query.

Lexical behaviour matches :class:`LocalSearch`: the BM25 side searches a ``search_text``
property holding the Snowball stems of name, brand, categories and tags, and the query is
stemmed and typo-corrected against the same vocabulary before it is sent, so "bananas" and
"yoghurt" find what they find locally.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Sequence
from typing import Any, ClassVar
from urllib.parse import urlparse

from leafloaf.errors import MissingExtraError, ValidationError
from leafloaf.models import Product
from leafloaf.search.base import (
    QueryMatch,
    SearchBackend,
    SearchFilters,
    SearchHealth,
    SearchHit,
)
from leafloaf.search.local import LocalSearch, WordLlamaEncoder, embeddings_available

__all__ = ["WeaviateSearch", "build_filter", "product_properties"]

log = logging.getLogger("leafloaf.search")

_RETURN = ["product_id"]
"""Only the id comes back: the engine's catalog has the rest."""


def _weaviate() -> Any:
    try:
        import weaviate
    except ImportError:
        raise MissingExtraError("weaviate", "weaviate-client") from None
    return weaviate


def build_filter(filters: SearchFilters | None) -> Any:
    """The Weaviate ``Filter`` for our filters (None when nothing is filtered).

    Attribute keys are matched whole (the property uses field tokenization), so
    ``"department:dairy eggs"`` never matches a product that merely has ``"eggs"``.

    >>> build_filter(SearchFilters(max_price=3.0)).target           # doctest: +SKIP
    'price'
    """
    if filters is None or filters.empty:
        return None
    _weaviate()
    from weaviate.classes.query import Filter

    parts = []
    if filters.categories:
        parts.append(Filter.by_property("attributes").contains_any(list(filters.categories)))
    if filters.attributes:
        parts.append(Filter.by_property("attributes").contains_all(list(filters.attributes)))
    if filters.exclude_attributes:
        parts.append(
            Filter.by_property("attributes").contains_none(list(filters.exclude_attributes))
        )
    if filters.min_price is not None:
        parts.append(Filter.by_property("price").greater_or_equal(filters.min_price))
    if filters.max_price is not None:
        parts.append(Filter.by_property("price").less_or_equal(filters.max_price))
    return parts[0] if len(parts) == 1 else Filter.all_of(parts)


def product_properties(
    product: Product, attributes: Sequence[str], search_text: str = ""
) -> dict[str, Any]:
    """The object stored for a product (searchable text plus filterable fields).

    >>> product_properties(Product(product_id="4", name="Oat Milk"), ["aisle:milk"])["attributes"]
    ['aisle:milk']
    """
    props: dict[str, Any] = {
        "product_id": product.product_id,
        "name": product.name,
        "brand": product.brand or "",
        "categories": list(product.categories),
        "attributes": list(attributes),
        "search_text": search_text,
    }
    if product.price is not None:
        props["price"] = product.price
    return props


class WeaviateSearch(SearchBackend):
    """Products in a Weaviate collection, queried with hybrid search.

    Vectors are computed here (``WordLlamaEncoder`` when ``leafloaf[embeddings]`` is
    installed) and stored as self-provided vectors, so the server needs no vectoriser
    module. ``fallback`` (a :class:`LocalSearch` over the same products, BM25 only by
    default) answers when the server is unreachable.

    >>> search = WeaviateSearch("http://localhost:8080", alpha=0.5)  # doctest: +SKIP
    >>> search.index(catalog)                                         # doctest: +SKIP
    >>> search.search("oat milk", k=10)                               # doctest: +SKIP
    """

    name: ClassVar[str] = "weaviate"

    def __init__(
        self,
        url: str = "http://localhost:8080",
        collection: str = "LeafLoafProduct",
        alpha: float = 0.5,
        grpc_port: int = 50051,
        dense: bool | None = None,
        fallback: LocalSearch | None = None,
        client: Any = None,
        retry_after: float = 30.0,
    ) -> None:
        if not 0.0 <= alpha <= 1.0:
            raise ValidationError("alpha", alpha, "must be between 0 and 1")
        self._wv = _weaviate()
        self.url = url
        self.collection_name = collection
        self.alpha = alpha
        self.retry_after = retry_after
        if dense is None:
            dense = embeddings_available()
        self.encoder = WordLlamaEncoder() if dense else None
        self.fallback = fallback if fallback is not None else LocalSearch(dense=False)
        self.mode = "hybrid" if self.encoder is not None else "bm25"
        self._hybrid_down_until = 0.0
        self._server_down_until = 0.0
        self._client = client
        if client is None:
            try:
                self._client = self._connect(url, grpc_port)
            except Exception as exc:  # unreachable: serve from the embedded index
                log.warning("Weaviate at %s unreachable (%s); using LocalSearch", url, exc)
                self._client = None
                self.mode = "local-fallback"

    def _connect(self, url: str, grpc_port: int) -> Any:
        parts = urlparse(url)
        secure = parts.scheme == "https"
        host = parts.hostname or "localhost"
        return self._wv.connect_to_custom(
            http_host=host,
            http_port=parts.port or (443 if secure else 8080),
            http_secure=secure,
            grpc_host=host,
            grpc_port=grpc_port,
            grpc_secure=secure,
        )

    # --- schema and import --------------------------------------------------------------------
    def collection_arguments(self) -> dict[str, Any]:
        """Keyword arguments of ``client.collections.create`` (testable offline)."""
        from weaviate.classes.config import Configure, DataType, Property, Tokenization

        def exact(name: str, data_type: Any) -> Any:
            # matched whole in filters, never part of BM25 or the vector
            return Property(name=name, data_type=data_type, tokenization=Tokenization.FIELD,
                            index_searchable=False, skip_vectorization=True)  # fmt: skip

        def text(name: str, data_type: Any = DataType.TEXT) -> Any:
            return Property(name=name, data_type=data_type, tokenization=Tokenization.WORD)

        return {
            "name": self.collection_name,
            "description": "LeafLoaf catalog products",
            "properties": [
                exact("product_id", DataType.TEXT),
                text("name"),
                text("brand"),
                text("categories", DataType.TEXT_ARRAY),
                text("search_text"),
                exact("attributes", DataType.TEXT_ARRAY),
                Property(name="price", data_type=DataType.NUMBER),
            ],
            "vector_config": Configure.Vectors.self_provided(),
        }

    def ensure_collection(self) -> Any:
        """Create the collection if missing; returns its handle."""
        client = self._client
        if not client.collections.exists(self.collection_name):
            arguments = self.collection_arguments()
            client.collections.create(arguments.pop("name"), **arguments)
        return client.collections.get(self.collection_name)

    def drop(self) -> None:
        """Delete the collection on the server (the embedded fallback is kept)."""
        if self._client is not None:
            self._client.collections.delete(self.collection_name)

    def _stemmed_text(self, product: Product) -> str:
        words = self.fallback.query_words(LocalSearch.document_text(product))
        return " ".join(words)

    def index(self, products: Iterable[Product]) -> int:
        """Import products (upsert by id) into Weaviate and into the embedded fallback."""
        items = list(products)
        count = self.fallback.index(items)
        if self._client is None:
            return count
        from weaviate.util import generate_uuid5

        collection = self.ensure_collection()
        vectors = self.encoder.encode([p.name for p in items]) if self.encoder else None
        with collection.batch.dynamic() as batch:
            for i, product in enumerate(items):
                pid = product.product_id
                props = product_properties(
                    product, self.fallback.attributes(pid), self._stemmed_text(product)
                )
                batch.add_object(
                    properties=props,
                    uuid=generate_uuid5(pid),
                    vector=vectors[i].tolist() if vectors is not None else None,
                )
        failed = collection.batch.failed_objects
        if failed:
            log.warning("%d products failed to import into Weaviate: %s", len(failed),
                        failed[0].message)  # fmt: skip
        return int(collection.aggregate.over_all(total_count=True).total_count or 0)

    # --- querying -----------------------------------------------------------------------------
    def lexical_query(self, query: str) -> tuple[str, bool]:
        """The BM25 text sent for ``query`` (stemmed, typo-corrected) and whether corrected."""
        if len(self.fallback):
            terms, corrected = self.fallback.query_terms(query)
            if terms:
                return " ".join(terms), corrected
        return " ".join(self.fallback.query_words(query)), False

    def hybrid_arguments(self, query: str, k: int, filters: SearchFilters | None) -> dict[str, Any]:
        """Keyword arguments of ``collection.query.hybrid`` for this search (testable offline)."""
        from weaviate.classes.query import HybridFusion, MetadataQuery

        text, _ = self.lexical_query(query)
        return {
            "query": text,
            "query_properties": ["search_text"],
            "alpha": self.alpha,
            "vector": self.encoder.encode([query])[0].tolist() if self.encoder else None,
            "fusion_type": HybridFusion.RELATIVE_SCORE,
            "limit": k,
            "filters": build_filter(filters),
            "return_metadata": MetadataQuery(score=True),
            "return_properties": _RETURN,
        }

    def bm25_arguments(self, query: str, k: int, filters: SearchFilters | None) -> dict[str, Any]:
        """Keyword arguments of ``collection.query.bm25`` for this search (testable offline)."""
        from weaviate.classes.query import MetadataQuery

        text, _ = self.lexical_query(query)
        return {
            "query": text,
            "query_properties": ["search_text"],
            "limit": k,
            "filters": build_filter(filters),
            "return_metadata": MetadataQuery(score=True),
            "return_properties": _RETURN,
        }

    def search(
        self, query: str, k: int = 10, filters: SearchFilters | None = None
    ) -> list[SearchHit]:
        """Hybrid on the server; BM25 when that fails; the embedded index when it is gone."""
        if k <= 0 or not query.strip():
            return []
        now = time.monotonic()
        if self._client is None or now < self._server_down_until:
            return self.fallback.search(query, k, filters)
        collection = self._client.collections.get(self.collection_name)
        _, corrected = self.lexical_query(query)
        response = None
        kind = "hybrid"
        if self.encoder is not None and now >= self._hybrid_down_until:
            try:
                response = collection.query.hybrid(**self.hybrid_arguments(query, k, filters))
                self.mode = "hybrid"
            except Exception as exc:  # vectoriser or vector index down: keyword search
                log.warning("Weaviate hybrid search failed (%s); falling back to BM25", exc)
                self._hybrid_down_until = now + self.retry_after
        if response is None:
            kind = "fuzzy" if corrected else "bm25"
            try:
                response = collection.query.bm25(**self.bm25_arguments(query, k, filters))
                self.mode = "bm25"
            except Exception as exc:  # the server itself is gone: embedded index
                log.warning("Weaviate unavailable (%s); using LocalSearch", exc)
                self.mode = "local-fallback"
                self._server_down_until = now + self.retry_after
                return self.fallback.search(query, k, filters)
        return [
            SearchHit(
                product_id=str(obj.properties["product_id"]),
                score=float(obj.metadata.score or 0.0),
                retriever=kind,
            )
            for obj in response.objects
        ]

    def query_matches(self, query: str, product_ids: Sequence[str]) -> dict[str, QueryMatch]:
        """Which words of ``query`` each product holds: the embedded fallback indexes the
        same products with the same stemmed words the server's BM25 sees."""
        return self.fallback.query_matches(query, product_ids)

    def remove(self, product_ids: Iterable[str]) -> int:
        """Delete products on the server and in the fallback; returns how many were held."""
        ids = list(product_ids)
        removed = self.fallback.remove(ids)
        if self._client is not None and ids:
            from weaviate.classes.query import Filter

            collection = self._client.collections.get(self.collection_name)
            result = collection.data.delete_many(
                where=Filter.by_property("product_id").contains_any(ids)
            )
            removed = int(getattr(result, "successful", removed))
        return removed

    def health(self) -> SearchHealth:
        """``mode``: ``hybrid``, ``bm25`` or ``local-fallback``; ``ok`` while search answers."""
        if self._client is None:
            return SearchHealth(backend=self.name, ok=True, mode="local-fallback",
                                detail=f"{self.url} unreachable")  # fmt: skip
        try:
            ready = bool(self._client.is_ready())
        except Exception as exc:
            ready, detail = False, str(exc)
        else:
            detail = self.url if ready else f"{self.url} not ready"
        mode = self.mode if ready else "local-fallback"
        return SearchHealth(backend=self.name, ok=True, mode=mode, detail=detail)

    def close(self) -> None:
        """Close the client connection."""
        if self._client is not None:
            self._client.close()
