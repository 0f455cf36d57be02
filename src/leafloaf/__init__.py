"""LeafLoaf: an embeddable grocery shopping assistant that learns each shopper from behaviour.

>>> from leafloaf import Catalog, Event, GraphitiPersonalizationEngine
"""

from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as _installed_version

from leafloaf.agents import (
    Assistant,
    AssistantReply,
    AsyncAssistant,
    InMemorySessionStore,
    Intent,
    LLMSupervisor,
    LocalSupervisor,
    OrderAgent,
    PendingAction,
    ProductSearchAgent,
    ProductSuggestion,
    ReplyPart,
    ResponseCompiler,
    Route,
    SessionState,
    SessionStore,
    Slots,
    SQLiteSessionStore,
    Supervisor,
    TurnResult,
)
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
from leafloaf.llm import LLM, LLMError, OpenAICompatibleLLM
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
    "LLM",
    "AnalyticsSink",
    "Assistant",
    "AssistantReply",
    "AsyncAssistant",
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
    "InMemorySessionStore",
    "InMemoryStore",
    "Intent",
    "LLMError",
    "LLMSupervisor",
    "LeafLoafError",
    "LocalSupervisor",
    "MemoryBackend",
    "MemoryFact",
    "MissingExtraError",
    "NullSink",
    "OpenAICompatibleLLM",
    "Order",
    "OrderAgent",
    "OrderBackend",
    "Outbox",
    "PendingAction",
    "PersonalizedHit",
    "Product",
    "ProductSearchAgent",
    "ProductSuggestion",
    "QuantitySuggestion",
    "Ranking",
    "Reason",
    "RecordReport",
    "Rejection",
    "ReorderItem",
    "ReorderPrediction",
    "ReplyPart",
    "ResponseCompiler",
    "Route",
    "SQLiteOrders",
    "SQLiteSessionStore",
    "SQLiteStore",
    "ScoredProduct",
    "SearchBackend",
    "SearchFilters",
    "SearchHealth",
    "SearchHit",
    "SessionState",
    "SessionStore",
    "Slots",
    "StateStore",
    "StoreError",
    "StoreUnavailableError",
    "Supervisor",
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
