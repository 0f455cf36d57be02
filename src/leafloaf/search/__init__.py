"""Product search backends (embedded ``LocalSearch``, ``WeaviateSearch``) and personalisation."""

from leafloaf.search.base import (
    PersonalizedHit,
    SearchBackend,
    SearchFilters,
    SearchHealth,
    SearchHit,
)
from leafloaf.search.personalized import personalized_search

__all__ = [
    "LocalSearch",
    "PersonalizedHit",
    "SearchBackend",
    "SearchFilters",
    "SearchHealth",
    "SearchHit",
    "WeaviateSearch",
    "personalized_search",
]


def __getattr__(name: str) -> object:
    # backends import their optional libraries; load them only when asked for
    if name == "LocalSearch":
        from leafloaf.search.local import LocalSearch

        return LocalSearch
    if name == "WeaviateSearch":
        from leafloaf.search.weaviate import WeaviateSearch

        return WeaviateSearch
    raise AttributeError(name)
