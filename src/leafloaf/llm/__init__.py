"""LLM backends: the ``LLM`` seam and an OpenAI-compatible HTTP client (``leafloaf[llm]``)."""

from leafloaf.llm.base import LLM, LLMError, Message
from leafloaf.llm.openai_compatible import OpenAICompatibleLLM

__all__ = ["LLM", "LLMError", "Message", "OpenAICompatibleLLM"]
