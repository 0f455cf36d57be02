"""The LLM seam: one call that returns JSON matching a schema, or raises LLMError."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from leafloaf.errors import LeafLoafError
from leafloaf.health import BackendHealth

__all__ = ["LLM", "LLMError", "Message"]

Message = Mapping[str, str]
"""A chat message: ``{"role": "system" | "user" | "assistant", "content": "..."}``."""


class LLMError(LeafLoafError):
    """The model could not answer (timeout, HTTP error, output that breaks the schema).

    Callers fall back to a local answer; ``retryable`` says whether trying again may help.
    """

    def __init__(self, message: str, retryable: bool = False) -> None:
        super().__init__(message)
        self.retryable = retryable


class LLM(ABC):
    """A chat model that answers with JSON constrained to a JSON Schema.

    >>> class Echo(LLM):
    ...     name = "echo"
    ...     def complete_json(self, messages, schema, name="answer"):
    ...         return {"intent": "other"}
    ...     def health(self):
    ...         return BackendHealth(backend="echo", kind="llm", status="ok")
    >>> Echo().complete_json([{"role": "user", "content": "hi"}], {"type": "object"})
    {'intent': 'other'}
    """

    name: ClassVar[str]

    @abstractmethod
    def complete_json(
        self, messages: Sequence[Message], schema: Mapping[str, Any], name: str = "answer"
    ) -> dict[str, Any]:
        """The model's answer to ``messages`` as a JSON object valid under ``schema``.

        Raises :class:`LLMError` on a timeout, a transport or HTTP error, or an answer that
        is not such an object, after the implementation's own retries.
        """

    @abstractmethod
    def health(self) -> BackendHealth:
        """Whether the endpoint answers (a probe that can fail)."""
