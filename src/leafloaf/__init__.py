"""LeafLoaf: an embeddable grocery shopping assistant that learns each shopper from behaviour.

>>> from leafloaf import Catalog, Event, GraphitiPersonalizationEngine
"""

from importlib import import_module as _import_module
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as _installed_version
from typing import TYPE_CHECKING, Any

from leafloaf.agents import (
    Assistant,
    AssistantReply,
    AsyncAssistant,
    CartAgent,
    Choice,
    InMemorySessionStore,
    Intent,
    LLMSupervisor,
    LocalSupervisor,
    OrderAgent,
    PendingAction,
    PlannedChange,
    ProductSearchAgent,
    ProductSuggestion,
    ReplyCompiler,
    ReplyPart,
    ResponseCompiler,
    Route,
    SearchAgent,
    SessionState,
    SessionStore,
    Slots,
    SQLiteSessionStore,
    Supervisor,
    ToolCallError,
    ToolLoop,
    TurnResult,
)
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
from leafloaf.llm import LLM, LLMError, OpenAICompatibleLLM
from leafloaf.memory import InMemoryMemory, MemoryBackend
from leafloaf.models import (
    REASON_TEXTS,
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
    Fact,
    HouseholdProfile,
    NextBasketSettings,
    Product,
    QuantitySuggestion,
    Ranking,
    Reason,
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
from leafloaf.orders import CartChange, InMemoryOrders, Order, OrderBackend, SQLiteOrders
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
    from leafloaf.agents.sessions_redis import RedisSessionStore
    from leafloaf.analytics.bigquery import BigQuerySink
    from leafloaf.analytics.duckdb import DuckDBAnalytics
    from leafloaf.cache.redis import RedisCache
    from leafloaf.settings import LeafLoafSettings
    from leafloaf.stores.redis import RedisStore
    from leafloaf.stores.spanner import SpannerStore

try:  # one place for the version: pyproject.toml, read back from the installed metadata
    __version__ = _installed_version("leafloaf")
except PackageNotFoundError:  # imported from a source tree that was never installed
    __version__ = "0+unknown"

_LAZY = {  # names whose modules need more than the core: they load on first use
    "BigQuerySink": "leafloaf.analytics.bigquery",
    "DuckDBAnalytics": "leafloaf.analytics.duckdb",
    "LeafLoafSettings": "leafloaf.settings",
    "RedisCache": "leafloaf.cache.redis",
    "RedisSessionStore": "leafloaf.agents.sessions_redis",
    "RedisStore": "leafloaf.stores.redis",
    "SpannerStore": "leafloaf.stores.spanner",
}


def __getattr__(name: str) -> Any:
    """Adapters of optional backends (and the settings) import their extra on first use."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'leafloaf' has no attribute {name!r}")
    return getattr(_import_module(module), name)


__all__ = [
    "LLM",
    "REASON_TEXTS",
    "AnalyticsSink",
    "Assistant",
    "AssistantReply",
    "AsyncAssistant",
    "AsyncEngine",
    "AttributeAffinity",
    "BackendHealth",
    "BigQuerySink",
    "BudgetProfile",
    "Cache",
    "CachedStore",
    "Cart",
    "CartAgent",
    "CartChange",
    "CartLine",
    "Catalog",
    "Choice",
    "CircuitBreaker",
    "Complement",
    "ConfigError",
    "DietaryAvoidance",
    "DietaryProfile",
    "DuckDBAnalytics",
    "EngineConfig",
    "Event",
    "EventType",
    "Explanation",
    "Fact",
    "GraphitiPersonalizationEngine",
    "HouseholdProfile",
    "InMemoryCache",
    "InMemoryMemory",
    "InMemoryOrders",
    "InMemorySessionStore",
    "InMemoryStore",
    "Intent",
    "LLMError",
    "LLMSupervisor",
    "LeafLoafError",
    "LeafLoafSettings",
    "LocalSupervisor",
    "MemoryBackend",
    "MissingExtraError",
    "NextBasketSettings",
    "NullSink",
    "OpenAICompatibleLLM",
    "Order",
    "OrderAgent",
    "OrderBackend",
    "Outbox",
    "PendingAction",
    "PersonalizedHit",
    "PlannedChange",
    "Product",
    "ProductSearchAgent",
    "ProductSuggestion",
    "QuantitySuggestion",
    "Ranking",
    "Reason",
    "RecordReport",
    "RedisCache",
    "RedisSessionStore",
    "RedisStore",
    "Rejection",
    "Relation",
    "ReorderItem",
    "ReorderPrediction",
    "ReplyCompiler",
    "ReplyPart",
    "ResponseCompiler",
    "Route",
    "SQLiteOrders",
    "SQLiteSessionStore",
    "SQLiteStore",
    "ScoredProduct",
    "SearchAgent",
    "SearchBackend",
    "SearchFilters",
    "SearchHealth",
    "SearchHit",
    "SessionState",
    "SessionStore",
    "Slots",
    "SpannerStore",
    "StateStore",
    "StoreError",
    "StoreUnavailableError",
    "Supervisor",
    "ToolCallError",
    "ToolLoop",
    "TurnResult",
    "UnknownProductError",
    "UserPreferences",
    "UsualItem",
    "UsualOrder",
    "ValidationError",
    "__version__",
    "open_store",
    "personalized_search",
]
