"""The embeddable assistant: supervisor, search and order agents, response compiler, sessions."""

from leafloaf.agents.assistant import Assistant, AssistantReply, AsyncAssistant, ReplyPart
from leafloaf.agents.base import (
    Intent,
    PendingAction,
    Route,
    SessionState,
    SessionStore,
    Slots,
    Supervisor,
)
from leafloaf.agents.compiler import ProductSuggestion, ResponseCompiler, TurnResult
from leafloaf.agents.order_agent import OrderAgent
from leafloaf.agents.search_agent import ProductSearchAgent
from leafloaf.agents.sessions import InMemorySessionStore, SQLiteSessionStore
from leafloaf.agents.supervisor import LLMSupervisor, LocalSupervisor

__all__ = [
    "Assistant",
    "AssistantReply",
    "AsyncAssistant",
    "InMemorySessionStore",
    "Intent",
    "LLMSupervisor",
    "LocalSupervisor",
    "OrderAgent",
    "PendingAction",
    "ProductSearchAgent",
    "ProductSuggestion",
    "ReplyPart",
    "ResponseCompiler",
    "Route",
    "SQLiteSessionStore",
    "SessionState",
    "SessionStore",
    "Slots",
    "Supervisor",
    "TurnResult",
]
