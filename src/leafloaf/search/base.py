"""The SearchBackend seam: retrieve products for a query; personal re-ranking sits on top."""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping, Sequence
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field, field_validator

from leafloaf.models import Product, Reason, ValidatedModel

__all__ = [
    "PersonalizedHit",
    "QueryMatch",
    "SearchBackend",
    "SearchFilters",
    "SearchHealth",
    "SearchHit",
]


class SearchFilters(ValidatedModel):
    """Restrictions every returned product satisfies.

    ``categories``: any of these attribute keys (``"aisle:milk"``, ``"department:bakery"``);
    ``attributes``: all of these (``"tag:organic"``, ``"brand:Oatly"``); prices inclusive —
    products without a price never pass a price filter.

    >>> SearchFilters(categories=["aisle:milk"], max_price=3.0).max_price
    3.0
    """

    categories: tuple[str, ...] = ()
    attributes: tuple[str, ...] = ()
    min_price: float | None = Field(default=None, ge=0)
    max_price: float | None = Field(default=None, ge=0)
    exclude_attributes: tuple[str, ...] = ()
    """None of these (used for declared dietary avoidances)."""

    @field_validator("min_price", "max_price")
    @classmethod
    def _finite(cls, value: float | None) -> float | None:
        if value is not None and not math.isfinite(value):
            raise ValueError("must be finite")
        return value

    def allows(self, product: Product, attributes: Sequence[str]) -> bool:
        """True when ``product`` (with its catalog attribute keys) passes every filter."""
        if self.categories and not any(c in attributes for c in self.categories):
            return False
        if self.attributes and not all(a in attributes for a in self.attributes):
            return False
        if self.exclude_attributes and any(a in attributes for a in self.exclude_attributes):
            return False
        if self.min_price is not None or self.max_price is not None:
            price = product.price
            if price is None:
                return False
            if self.min_price is not None and price < self.min_price:
                return False
            if self.max_price is not None and price > self.max_price:
                return False
        return True

    @property
    def empty(self) -> bool:
        """True when nothing is filtered."""
        return self == SearchFilters()


class SearchHit(BaseModel):
    """One retrieved product: its score and which retriever found it."""

    model_config = ConfigDict(frozen=True)

    product_id: str
    score: float
    retriever: str
    """``"bm25"``, ``"vector"``, ``"hybrid"`` or ``"fuzzy"``."""


class PersonalizedHit(BaseModel):
    """A search result after personal re-ranking and dietary filtering."""

    product_id: str
    name: str
    score: float
    retrieval_rank: int
    retriever: str
    reasons: list[Reason]


class QueryMatch(BaseModel):
    """Which words of a query a product holds, as the backend's analyzer reads them.

    Words are the query's own (lower-cased, the catalog's function words dropped), in query
    order; a word counts as matched when the search matched it in any field of the product,
    through a spelling reading or a compound too.

    >>> QueryMatch(matched=("milk",), missing=("oat",)).partial
    True
    """

    model_config = ConfigDict(frozen=True)

    matched: tuple[str, ...]
    missing: tuple[str, ...]

    @property
    def partial(self) -> bool:
        """True when some query words matched and others did not."""
        return bool(self.matched) and bool(self.missing)


class SearchHealth(BaseModel):
    """Whether a backend can serve, and in which mode."""

    backend: str
    ok: bool
    mode: str
    detail: str = ""


class SearchBackend(ABC):
    """Finds products for a query; every backend passes the contract suite in tests/contract."""

    name: ClassVar[str]

    @abstractmethod
    def index(self, products: Iterable[Product]) -> int:
        """Add or replace products; returns how many the index holds afterwards."""

    @abstractmethod
    def search(
        self, query: str, k: int = 10, filters: SearchFilters | None = None
    ) -> list[SearchHit]:
        """The best ``k`` products for ``query`` that pass ``filters``, best first."""

    def search_with_prior(
        self,
        query: str,
        k: int = 10,
        filters: SearchFilters | None = None,
        prior: Mapping[str, float] | None = None,
    ) -> list[SearchHit]:
        """:meth:`search`, with equally scored hits ordered by ``prior`` (largest first).

        Equal scores are equally relevant matches; a prior such as population purchases
        may order products inside such a tier, never across tiers. This default re-sorts
        the backend's own ``k`` hits; a backend that can should override it to also let
        the prior choose which products of a tier that ``k`` cuts are kept
        (:class:`~leafloaf.search.local.LocalSearch` does).
        """
        hits = self.search(query, k, filters)
        if not prior:
            return hits

        def key(i: int) -> tuple[float, float, int]:
            return -round(hits[i].score, 6), -prior.get(hits[i].product_id, 0.0), i

        return [hits[i] for i in sorted(range(len(hits)), key=key)]

    def query_matches(self, query: str, product_ids: Sequence[str]) -> dict[str, QueryMatch]:
        """For each product that can be told, which words of ``query`` it holds.

        Search results say "matches 'milk' but not 'oat'" from this. The default knows
        nothing (an empty dict): results then say they match the query as a whole. A
        backend whose analyzer can tell overrides it
        (:class:`~leafloaf.search.local.LocalSearch` does).
        """
        return {}

    @abstractmethod
    def remove(self, product_ids: Iterable[str]) -> int:
        """Drop products; returns how many were removed."""

    @abstractmethod
    def health(self) -> SearchHealth:
        """Current state of the backend."""
