"""The AnalyticsSink seam: where the accepted event stream goes for analytics and batch jobs."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import ClassVar

from leafloaf.health import BackendHealth
from leafloaf.models import Event

__all__ = ["AnalyticsSink", "NullSink"]


class AnalyticsSink(ABC):
    """Receives every accepted event, after it is stored; must never block ``record``.

    Adapters batch internally (DuckDB locally, BigQuery at scale). A failing sink is logged
    and skipped by the engine: analytics never costs an accepted event. Sinks that keep
    events (``keeps_events``) answer :meth:`count` from what actually arrived, so a test or
    an operator can check that nothing was lost. Every sink passes the contract suite in
    ``tests/contract/test_analytics_sink.py``.
    """

    name: ClassVar[str]
    keeps_events: ClassVar[bool] = True
    """False for sinks that discard what they are given (the contract skips read-backs)."""

    @abstractmethod
    def emit(self, events: Sequence[Event]) -> None:
        """Take a batch of accepted events (never blocks on the backend)."""

    @abstractmethod
    def forget_user(self, user_id: str) -> None:
        """Erase a user's events from the sink (queued, stored and dead-lettered), and other
        accounts' events that name the user as member or household."""

    @abstractmethod
    def count(self, user_id: str | None = None) -> int:
        """Distinct events that reached the sink's storage, of one user or of everyone."""

    @abstractmethod
    def health(self) -> BackendHealth:
        """What the sink observed: reachable or not, queue depth, last error."""

    def flush(self) -> None:
        """Push anything buffered, waiting until it is stored or dead-lettered."""

    def close(self) -> None:
        """Flush and release resources."""
        self.flush()


class NullSink(AnalyticsSink):
    """The default: analytics switched off. Counts what it was given, keeps nothing.

    >>> sink = NullSink()
    >>> sink.emitted, sink.count(), sink.health().status
    (0, 0, 'ok')
    """

    name: ClassVar[str] = "null"
    keeps_events: ClassVar[bool] = False

    def __init__(self) -> None:
        self.emitted = 0

    def emit(self, events: Sequence[Event]) -> None:
        self.emitted += len(events)

    def forget_user(self, user_id: str) -> None:
        """Nothing is kept, so nothing to erase."""

    def count(self, user_id: str | None = None) -> int:
        """Always 0: nothing is kept."""
        return 0

    def health(self) -> BackendHealth:
        """Always ok: there is no backend to fail."""
        return BackendHealth(backend=self.name, kind="analytics", status="ok", queue_depth=0)
