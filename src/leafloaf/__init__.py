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
from leafloaf.memory import InMemoryMemory, MemoryBackend, MemoryFact
from leafloaf.models import (
    AttributeAffinity,
    BudgetProfile,
    Cart,
    CartLine,
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
    Reason,
    RecordReport,
    Rejection,
    ReorderItem,
    ReorderPrediction,
    ScoredProduct,
    UserPreferences,
    UsualItem,
    UsualOrder,
)
from leafloaf.orders import CartChange, InMemoryOrders, Order, OrderBackend, SQLiteOrders
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
    "Cart",
    "CartChange",
    "CartLine",
    "Catalog",
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
    "InMemoryMemory",
    "InMemoryOrders",
    "InMemoryStore",
    "LeafLoafError",
    "MemoryBackend",
    "MemoryFact",
    "MissingExtraError",
    "NullSink",
    "Order",
    "OrderBackend",
    "Outbox",
    "PersonalizedHit",
    "Product",
    "QuantitySuggestion",
    "Ranking",
    "Reason",
    "RecordReport",
    "Rejection",
    "ReorderItem",
    "ReorderPrediction",
    "SQLiteOrders",
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
