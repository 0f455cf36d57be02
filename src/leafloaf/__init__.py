"""LeafLoaf: an embeddable grocery shopping assistant that learns each shopper from behaviour.

>>> from leafloaf import Catalog, Event, GraphitiPersonalizationEngine
"""

from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as _installed_version

from leafloaf.analytics import AnalyticsSink, NullSink
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
from leafloaf.memory import InMemoryMemory, MemoryBackend
from leafloaf.models import (
    AttributeAffinity,
    BudgetProfile,
    Complement,
    DietaryAvoidance,
    DietaryProfile,
    Event,
    EventType,
    Explanation,
    Fact,
    HouseholdProfile,
    Product,
    QuantitySuggestion,
    Ranking,
    RecordReport,
    Rejection,
    Relation,
    ReorderItem,
    ReorderPrediction,
    ScoredProduct,
    UserPreferences,
    UsualItem,
    UsualOrder,
)
from leafloaf.runtime.aio import AsyncEngine
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
    "Catalog",
    "Complement",
    "ConfigError",
    "DietaryAvoidance",
    "DietaryProfile",
    "EngineConfig",
    "Event",
    "EventType",
    "Explanation",
    "Fact",
    "GraphitiPersonalizationEngine",
    "HouseholdProfile",
    "InMemoryMemory",
    "InMemoryStore",
    "LeafLoafError",
    "MemoryBackend",
    "MissingExtraError",
    "NullSink",
    "Outbox",
    "PersonalizedHit",
    "Product",
    "QuantitySuggestion",
    "Ranking",
    "RecordReport",
    "Rejection",
    "Relation",
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
