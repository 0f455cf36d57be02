"""WeaviateSearch: hybrid product search on a Weaviate server (``leafloaf[weaviate]``, client v4).

Degrades in two steps, because search must answer even when parts of the stack fail:
hybrid (BM25 + vectors, relative-score fusion with ``alpha``) → BM25 only when the vector
side fails → the embedded :class:`LocalSearch` when Weaviate cannot be reached at all.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import Any, ClassVar
from urllib.parse import urlparse

from leafloaf.errors import MissingExtraError
from leafloaf.models import Product
from leafloaf.search.base import SearchBackend, SearchFilters, SearchHealth, SearchHit
from leafloaf.search.local import LocalSearch, WordLlamaEncoder

__all__ = ["WeaviateSearch", "build_filter", "product_properties"]

log = logging.getLogger("leafloaf.search")


def _weaviate() -> Any:
    try:
        import weaviate
    except ImportError:
        raise MissingExtraError("weaviate", "weaviate-client") from None
    return weaviate


def build_filter(filters: SearchFilters | None) -> Any:
    """The Weaviate ``Filter`` for our filters (None when nothing is filtered)."""
    if filters is None or filters.empty:
        return None
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


def product_properties(product: Product, attributes: Sequence[str]) -> dict[str, Any]:
    """The object stored for a product (searchable text plus filterable fields)."""
    props: dict[str, Any] = {
        "product_id": product.product_id,
        "name": product.name,
        "brand": product.brand or "",
        "categories": list(product.categories),
        "attributes": list(attributes),
    }
    if product.price is not None:
        props["price"] = product.price
    return props


class WeaviateSearch(SearchBackend):
    """Products in a Weaviate collection, queried with hybrid search.

    Vectors are computed here (``WordLlamaEncoder`` when ``leafloaf[embeddings]`` is
    installed) and stored as self-provided vectors, so the server needs no vectoriser
    module. ``fallback`` (a :class:`LocalSearch` over the same products) answers when the
    server is unreachable.
    """

    name: ClassVar[str] = "weaviate"

    def __init__(
        self,
        url: str = "http://localhost:8080",
        collection: str = "LeafLoafProduct",
        alpha: float = 0.5,
        grpc_port: int = 50051,
        dense: bool = True,
        fallback: LocalSearch | None = None,
        client: Any = None,
    ) -> None:
        self._wv = _weaviate()
        self.url = url
        self.collection_name = collection
        self.alpha = alpha
        self.encoder = WordLlamaEncoder() if dense else None
        self.fallback = fallback if fallback is not None else LocalSearch(dense=False)
        self.mode = "hybrid" if self.encoder is not None else "bm25"
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
    def ensure_collection(self) -> Any:
        """Create the collection if missing; returns its handle."""
        from weaviate.classes.config import Configure, DataType, Property

        client = self._client
        if not client.collections.exists(self.collection_name):
            client.collections.create(
                self.collection_name,
                properties=[
                    Property(name="product_id", data_type=DataType.TEXT, skip_vectorization=True),
                    Property(name="name", data_type=DataType.TEXT),
                    Property(name="brand", data_type=DataType.TEXT),
                    Property(name="categories", data_type=DataType.TEXT_ARRAY),
                    Property(name="attributes", data_type=DataType.TEXT_ARRAY),
                    Property(name="price", data_type=DataType.NUMBER),
                ],
                vector_config=Configure.Vectors.self_provided(),
            )
        return client.collections.get(self.collection_name)

    def index(self, products: Iterable[Product]) -> int:
        items = list(products)
        count = self.fallback.index(items)
        if self._client is None:
            return count
        from weaviate.util import generate_uuid5

        collection = self.ensure_collection()
        catalog = self.fallback._catalog
        vectors = self.encoder.encode([p.name for p in items]) if self.encoder else None
        with collection.batch.dynamic() as batch:
            for i, product in enumerate(items):
                batch.add_object(
                    properties=product_properties(product, catalog.attributes(product.product_id)),
                    uuid=generate_uuid5(product.product_id),
                    vector=vectors[i].tolist() if vectors is not None else None,
                )
        failed = collection.batch.failed_objects
        if failed:
            log.warning("%d products failed to import into Weaviate", len(failed))
        return int(collection.aggregate.over_all(total_count=True).total_count or 0)

    # --- querying -----------------------------------------------------------------------------
    def hybrid_arguments(self, query: str, k: int, filters: SearchFilters | None) -> dict[str, Any]:
        """Keyword arguments of ``collection.query.hybrid`` for this search (testable offline)."""
        from weaviate.classes.query import HybridFusion, MetadataQuery

        return {
            "query": query,
            "alpha": self.alpha,
            "vector": self.encoder.encode([query])[0].tolist() if self.encoder else None,
            "fusion_type": HybridFusion.RELATIVE_SCORE,
            "limit": k,
            "filters": build_filter(filters),
            "return_metadata": MetadataQuery(score=True),
            "return_properties": ["product_id"],
        }

    def search(
        self, query: str, k: int = 10, filters: SearchFilters | None = None
    ) -> list[SearchHit]:
        if k <= 0 or not query.strip():
            return []
        if self._client is None:
            return self.fallback.search(query, k, filters)
        collection = self._client.collections.get(self.collection_name)
        try:
            if self.encoder is None:
                raise LookupError("no query vector: keyword search only")
            response = collection.query.hybrid(**self.hybrid_arguments(query, k, filters))
            kind = "hybrid"
        except Exception as exc:  # vectoriser or vector index down: keyword search
            if not isinstance(exc, LookupError):
                log.warning("Weaviate hybrid search failed (%s); falling back to BM25", exc)
            try:
                response = collection.query.bm25(
                    query=query,
                    limit=k,
                    filters=build_filter(filters),
                    return_metadata=self._metadata(),
                    return_properties=["product_id"],
                )
                kind = "bm25"
            except Exception as exc2:  # the server itself is gone: embedded index
                log.warning("Weaviate unavailable (%s); using LocalSearch", exc2)
                self.mode = "local-fallback"
                return self.fallback.search(query, k, filters)
        return [
            SearchHit(
                product_id=str(obj.properties["product_id"]),
                score=float(obj.metadata.score or 0.0),
                retriever=kind,
            )
            for obj in response.objects
        ]

    @staticmethod
    def _metadata() -> Any:
        from weaviate.classes.query import MetadataQuery

        return MetadataQuery(score=True)

    def remove(self, product_ids: Iterable[str]) -> int:
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
        if self._client is None:
            return SearchHealth(backend=self.name, ok=True, mode="local-fallback",
                                detail=f"{self.url} unreachable")  # fmt: skip
        try:
            ready = bool(self._client.is_ready())
        except Exception as exc:
            return SearchHealth(backend=self.name, ok=True, mode="local-fallback", detail=str(exc))
        return SearchHealth(backend=self.name, ok=ready, mode=self.mode, detail=self.url)

    def close(self) -> None:
        """Close the client connection."""
        if self._client is not None:
            self._client.close()
