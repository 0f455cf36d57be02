"""The embeddable assistant: supervisor, search and order agents, response compiler, sessions."""

from leafloaf.agents.assistant import Assistant, AssistantReply, AsyncAssistant, ReplyPart
from leafloaf.agents.base import (
    CartAgent,
    Intent,
    PendingAction,
    ReplyCompiler,
    Route,
    SearchAgent,
    SessionState,
    SessionStore,
    Slots,
    Supervisor,
)
from leafloaf.agents.compiler import ProductSuggestion, ResponseCompiler, TurnResult
from leafloaf.agents.order_agent import OrderAgent
from leafloaf.agents.search_agent import Choice, ProductSearchAgent
from leafloaf.agents.sessions import InMemorySessionStore, SQLiteSessionStore
from leafloaf.agents.supervisor import LLMSupervisor, LocalSupervisor
from leafloaf.agents.tool_loop import TOOL_SCHEMA, PlannedChange, ToolCallError, ToolLoop

__all__ = [
    "TOOL_SCHEMA",
    "Assistant",
    "AssistantReply",
    "AsyncAssistant",
    "CartAgent",
    "Choice",
    "InMemorySessionStore",
    "Intent",
    "LLMSupervisor",
    "LocalSupervisor",
    "OrderAgent",
    "PendingAction",
    "PlannedChange",
    "ProductSearchAgent",
    "ProductSuggestion",
    "ReplyCompiler",
    "ReplyPart",
    "ResponseCompiler",
    "Route",
    "SQLiteSessionStore",
    "SearchAgent",
    "SessionState",
    "SessionStore",
    "Slots",
    "Supervisor",
    "ToolCallError",
    "ToolLoop",
    "TurnResult",
]
