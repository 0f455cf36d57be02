"""Product search backends (embedded ``LocalSearch``, ``WeaviateSearch``) and personalisation.

``LocalSearch``, ``WeaviateSearch`` and ``evaluate_search`` load on first use: they import
optional libraries (``leafloaf[search]``, ``leafloaf[weaviate]``) or the evaluation harness.

>>> from leafloaf.search import LocalSearch, personalized_search   # doctest: +SKIP
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from leafloaf.search.base import (
    PersonalizedHit,
    QueryMatch,
    SearchBackend,
    SearchFilters,
    SearchHealth,
    SearchHit,
)
from leafloaf.search.personalized import (
    match_reason,
    personalized_search,
    popularity_prior_order,
    shopper_first_prior,
)

if TYPE_CHECKING:
    from leafloaf.search.evaluate import evaluate_search
    from leafloaf.search.judged import evaluate_judged
    from leafloaf.search.local import LocalSearch
    from leafloaf.search.weaviate import WeaviateSearch

__all__ = [
    "LocalSearch",
    "PersonalizedHit",
    "QueryMatch",
    "SearchBackend",
    "SearchFilters",
    "SearchHealth",
    "SearchHit",
    "WeaviateSearch",
    "evaluate_judged",
    "evaluate_search",
    "match_reason",
    "personalized_search",
    "popularity_prior_order",
    "shopper_first_prior",
]

_LAZY = {
    "LocalSearch": "leafloaf.search.local",
    "WeaviateSearch": "leafloaf.search.weaviate",
    "evaluate_search": "leafloaf.search.evaluate",
    "evaluate_judged": "leafloaf.search.judged",
}


def __getattr__(name: str) -> object:
    # optional libraries, and the evaluation harness (which imports the engine, which
    # imports this package), load only when asked for
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'leafloaf.search' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
