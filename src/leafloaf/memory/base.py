"""The MemoryBackend seam: episodic memory of what a shopper did, for assistants to recall."""

from __future__ import annotations

import struct
import threading
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from typing import ClassVar

from pydantic import BaseModel, ConfigDict

from leafloaf.models import Event, EventType

__all__ = ["InMemoryMemory", "MemoryBackend", "MemoryFact"]


class MemoryFact(BaseModel):
    """One remembered episode, in words, with when it happened."""

    model_config = ConfigDict(frozen=True)

    user_id: str
    text: str
    at: datetime


class MemoryBackend(ABC):
    """Keeps episodes per shopper; a temporal knowledge graph (graphiti-core) plugs in here."""

    name: ClassVar[str]

    @abstractmethod
    def remember(self, events: Sequence[Event]) -> None:
        """Take a batch of accepted events (must not block)."""

    @abstractmethod
    def recall(self, user_id: str, query: str | None = None, limit: int = 10) -> list[MemoryFact]:
        """The most recent episodes of a user, those mentioning ``query`` when given."""

    @abstractmethod
    def forget_user(self, user_id: str) -> None:
        """Erase everything remembered about a user."""

    def close(self) -> None:
        """Release resources."""


_VERBS = {
    EventType.SEARCH: "searched for",
    EventType.VIEW: "looked at",
    EventType.ADD_TO_CART: "added to cart",
    EventType.REMOVE_FROM_CART: "removed from cart",
    EventType.PURCHASE: "bought",
    EventType.DISMISS: "dismissed",
}


_KINDS = list(EventType)
_KIND_CODE = {kind: code for code, kind in enumerate(_KINDS)}
_EPISODE = struct.Struct("<Bdd")
"""An episode packed in one bytes object: event type code, unix seconds, UTC offset seconds,
then the product id or query in UTF-8. Fifty of them cost about 3 KB a shopper, where fifty
event objects cost over 30 KB."""


class InMemoryMemory(MemoryBackend):
    """The default: the last ``capacity`` episodes per shopper, in this process.

    >>> mem = InMemoryMemory(capacity=2)
    >>> mem.recall("nobody")
    []
    """

    name: ClassVar[str] = "memory"

    def __init__(self, capacity: int = 50) -> None:
        self.capacity = capacity
        self._lock = threading.Lock()
        self._facts: dict[str, deque[bytes]] = {}

    def remember(self, events: Sequence[Event]) -> None:
        facts, capacity = self._facts, self.capacity
        if len(events) > capacity:  # a bulk load: only each shopper's latest episodes matter
            seen: dict[str, int] = {}
            latest = []
            for event in reversed(events):
                count = seen.get(event.user_id, 0)
                if count < capacity:
                    seen[event.user_id] = count + 1
                    latest.append(event)
            events = latest[::-1]
        with self._lock:
            for event in events:
                episodes = facts.get(event.user_id)
                if episodes is None:
                    episodes = facts[event.user_id] = deque(maxlen=capacity)
                offset = event.ts.utcoffset()
                subject = event.query or event.product_id or ""
                episodes.append(
                    _EPISODE.pack(
                        _KIND_CODE[event.type],
                        event.ts.timestamp(),
                        offset.total_seconds() if offset else 0.0,
                    )
                    + subject.encode("utf-8")
                )

    def recall(self, user_id: str, query: str | None = None, limit: int = 10) -> list[MemoryFact]:
        with self._lock:
            packed = list(self._facts.get(user_id, ()))
        episodes = sorted(
            ((*_EPISODE.unpack_from(p), p[_EPISODE.size :].decode("utf-8")) for p in packed),
            key=lambda e: e[1],
            reverse=True,
        )
        out = []
        for kind, ts, offset, subject in episodes:
            text = f"{_VERBS[_KINDS[kind]]} {subject}"
            if query is None or query.lower() in text.lower():
                at = datetime.fromtimestamp(ts, timezone(timedelta(seconds=offset)))
                out.append(MemoryFact(user_id=user_id, text=text, at=at))
            if len(out) >= limit:
                break
        return out

    def forget_user(self, user_id: str) -> None:
        with self._lock:
            self._facts.pop(user_id, None)
