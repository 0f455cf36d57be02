"""The AnalyticsSink seam: where the accepted event stream goes for analytics and batch jobs."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import ClassVar

from leafloaf.models import Event

__all__ = ["AnalyticsSink", "NullSink"]


class AnalyticsSink(ABC):
    """Receives every accepted event, after it is stored; must never block ``record``.

    Later adapters (DuckDB locally, BigQuery at scale) batch internally. A failing sink is
    logged and skipped by the engine: analytics never costs an accepted event.
    """

    name: ClassVar[str]

    @abstractmethod
    def emit(self, events: Sequence[Event]) -> None:
        """Take a batch of accepted events."""

    @abstractmethod
    def forget_user(self, user_id: str) -> None:
        """Erase a user's events from the sink."""

    def flush(self) -> None:
        """Push anything buffered."""

    def close(self) -> None:
        """Flush and release resources."""
        self.flush()


class NullSink(AnalyticsSink):
    """The default: analytics switched off. Counts what it was given, keeps nothing.

    >>> sink = NullSink()
    >>> sink.emitted
    0
    """

    name: ClassVar[str] = "null"

    def __init__(self) -> None:
        self.emitted = 0

    def emit(self, events: Sequence[Event]) -> None:
        self.emitted += len(events)

    def forget_user(self, user_id: str) -> None:
        """Nothing is kept, so nothing to erase."""
