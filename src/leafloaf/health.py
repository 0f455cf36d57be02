"""What ``engine.health()`` reports for each configured backend.

Every adapter (store, cache, analytics sink, memory, search) answers ``health()`` with a
:class:`BackendHealth` built from what it really observed: a probe's latency, its queue
depth, the last error it saw and its circuit-breaker state. A health report that cannot
say "down" is not a health report.

>>> h = BackendHealth(backend="sqlite", kind="store", status="ok", latency_ms=0.2)
>>> h.ok
True
>>> BackendHealth(backend="redis", kind="cache", status="down", last_error="refused").ok
False
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

__all__ = ["BackendHealth", "BackendKind", "BackendStatus"]

BackendKind = Literal[
    "store", "cache", "analytics", "memory", "search", "outbox", "sessions", "orders", "llm"
]
BackendStatus = Literal["ok", "degraded", "down"]


class BackendHealth(BaseModel):
    """One backend's state, as measured by the backend itself."""

    model_config = ConfigDict(frozen=True)

    backend: str
    kind: BackendKind
    status: BackendStatus
    latency_ms: float | None = None
    queue_depth: int | None = None
    last_error: str | None = None
    breaker: Literal["closed", "open", "half_open"] | None = None
    detail: str = ""

    @property
    def ok(self) -> bool:
        """True when the backend serves normally."""
        return self.status == "ok"
