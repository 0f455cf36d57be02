"""LeafLoaf: an embeddable grocery shopping assistant that learns each shopper from behaviour.

>>> from leafloaf import Catalog, Event, GraphitiPersonalizationEngine
"""

from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as _installed_version
from typing import TYPE_CHECKING, Any

from leafloaf.analytics import AnalyticsSink, NullSink
from leafloaf.cache import Cache, InMemoryCache
from leafloaf.catalog import Catalog
from leafloaf.config import EngineConfig
from leafloaf.engine import GraphitiPersonalizationEngine
from leafloaf.errors import (
    ConfigError,
    LeafLoafError,
    MissingExtraError,
    StoreError,
    StoreUnavailableError,
    UnknownProductError,
    ValidationError,
)
from leafloaf.health import BackendHealth
from leafloaf.memory import InMemoryMemory, MemoryBackend, MemoryFact
from leafloaf.models import (
    AttributeAffinity,
    BudgetProfile,
    Complement,
    DietaryAvoidance,
    DietaryProfile,
    Event,
    EventType,
    Explanation,
    HouseholdProfile,
    Product,
    QuantitySuggestion,
    Ranking,
    RecordReport,
    Rejection,
    ReorderItem,
    ReorderPrediction,
    ScoredProduct,
    UserPreferences,
    UsualItem,
    UsualOrder,
)
from leafloaf.runtime.aio import AsyncEngine
from leafloaf.runtime.breaker import CircuitBreaker
from leafloaf.runtime.outbox import Outbox
from leafloaf.search import (
    PersonalizedHit,
    SearchBackend,
    SearchFilters,
    SearchHealth,
    SearchHit,
    personalized_search,
)
from leafloaf.stores import InMemoryStore, SQLiteStore, StateStore, open_store
from leafloaf.stores.cached import CachedStore

if TYPE_CHECKING:
    from leafloaf.cache.redis import RedisCache
    from leafloaf.settings import LeafLoafSettings
    from leafloaf.stores.redis import RedisStore

_LAZY = {
    "LeafLoafSettings": "leafloaf.settings",
    "RedisCache": "leafloaf.cache.redis",
    "RedisStore": "leafloaf.stores.redis",
}


def __getattr__(name: str) -> Any:
    """Names whose modules need more than the core (pydantic-settings, redis) load on use."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'leafloaf' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)


try:  # one place for the version: pyproject.toml, read back from the installed metadata
    __version__ = _installed_version("leafloaf")
except PackageNotFoundError:  # imported from a source tree that was never installed
    __version__ = "0+unknown"

__all__ = [
    "AnalyticsSink",
    "AsyncEngine",
    "AttributeAffinity",
    "BackendHealth",
    "BudgetProfile",
    "Cache",
    "CachedStore",
    "Catalog",
    "CircuitBreaker",
    "Complement",
    "ConfigError",
    "DietaryAvoidance",
    "DietaryProfile",
    "EngineConfig",
    "Event",
    "EventType",
    "Explanation",
    "GraphitiPersonalizationEngine",
    "HouseholdProfile",
    "InMemoryCache",
    "InMemoryMemory",
    "InMemoryStore",
    "LeafLoafError",
    "LeafLoafSettings",
    "MemoryBackend",
    "MemoryFact",
    "MissingExtraError",
    "NullSink",
    "Outbox",
    "PersonalizedHit",
    "Product",
    "QuantitySuggestion",
    "Ranking",
    "RecordReport",
    "RedisCache",
    "RedisStore",
    "Rejection",
    "ReorderItem",
    "ReorderPrediction",
    "SQLiteStore",
    "ScoredProduct",
    "SearchBackend",
    "SearchFilters",
    "SearchHealth",
    "SearchHit",
    "StateStore",
    "StoreError",
    "StoreUnavailableError",
    "UnknownProductError",
    "UserPreferences",
    "UsualItem",
    "UsualOrder",
    "ValidationError",
    "__version__",
    "open_store",
    "personalized_search",
]
