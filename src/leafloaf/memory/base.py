"""The MemoryBackend seam: bi-temporal beliefs about each shopper, for explanations and assistants.

A belief is a :class:`~leafloaf.models.Fact` ("ann buys oat milk regularly, since 2017-03-02").
Beliefs are never deleted: one that stops holding gets ``invalid_at``, so ``recall(user,
as_of=d)`` answers what was believed at ``d``. ``forget_user`` is the one erasure.
"""

from __future__ import annotations

import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import ClassVar

from leafloaf.errors import ValidationError
from leafloaf.health import BackendHealth
from leafloaf.models import Fact, Relation

__all__ = ["Fact", "InMemoryMemory", "MemoryBackend", "Relation", "select_facts"]


class MemoryBackend(ABC):
    """Stores beliefs per shopper with valid time and record time; a temporal graph plugs in.

    Implementations pass ``tests/contract/test_memory_backend.py``.
    """

    name: ClassVar[str]

    @abstractmethod
    def remember(self, facts: Sequence[Fact]) -> int:
        """Store beliefs; one whose key (see :attr:`Fact.key`) is held already is updated
        (its ``invalid_at``, ``object``, ``confidence``). Returns how many were stored."""

    @abstractmethod
    def recall(
        self,
        user_id: str,
        query: str | None = None,
        as_of: datetime | None = None,
        limit: int = 10,
    ) -> list[Fact]:
        """Beliefs about a user: current ones (``invalid_at`` unset), or those valid at
        ``as_of``; only those whose subject or words contain ``query`` when given. Newest
        ``valid_at`` first, at most ``limit``."""

    @abstractmethod
    def history(self, user_id: str, subject: str | None = None) -> list[Fact]:
        """Every belief ever held about one subject of a user (about every subject when
        ``subject`` is None), valid or not, oldest ``valid_at`` first."""

    @abstractmethod
    def forget_user(self, user_id: str) -> None:
        """Erase every belief about a user (the only deletion)."""

    @abstractmethod
    def health(self) -> BackendHealth:
        """What a probe of the backend observed now."""

    def close(self) -> None:
        """Release resources."""


def check_recall(user_id: object, as_of: datetime | None, limit: object) -> None:
    """Raise :class:`ValidationError` for a bad ``recall`` argument."""
    if not isinstance(user_id, str) or not user_id:
        raise ValidationError("user_id", user_id, "must be a non-empty string")
    if as_of is not None and (not isinstance(as_of, datetime) or as_of.utcoffset() is None):
        raise ValidationError("as_of", as_of, "must be a timezone-aware datetime (or None)")
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
        raise ValidationError("limit", limit, "must be a whole number >= 0")


def select_facts(
    facts: Iterable[Fact], query: str | None, as_of: datetime | None, limit: int
) -> list[Fact]:
    """The recall rule every backend answers with (backends may pre-filter, then call this)."""
    needle = query.lower() if query else None
    chosen = [
        f
        for f in facts
        if (f.invalid_at is None if as_of is None else f.holds_at(as_of))
        and (needle is None or needle in f.subject.lower() or needle in f.text.lower())
    ]
    chosen.sort(key=lambda f: (-f.valid_at.timestamp(), f.subject, f.relation.value))
    return chosen[:limit]


def oldest_first(facts: Iterable[Fact], subject: str | None) -> list[Fact]:
    """``history``'s answer: beliefs about ``subject`` (all when None), oldest first."""
    chosen = [f for f in facts if subject is None or f.subject == subject]
    return sorted(chosen, key=lambda f: (f.valid_at, f.subject, f.relation.value))


def record_times(
    fact: Fact, held: tuple[datetime | None, datetime | None] | None, now: datetime
) -> tuple[datetime, datetime | None]:
    """``fact``'s record times (``recorded_at``, ``expired_at``) when stored ``now``, given
    those of the same belief already ``held``: first recorded then, expired when invalidated."""
    recorded, expired = held if held is not None else (None, None)
    if fact.invalid_at is None:
        expired = None
    elif expired is None:
        expired = now
    return recorded or now, expired


def stamp(fact: Fact, held: Fact | None, now: datetime) -> Fact:
    """``fact`` with its record times (see :func:`record_times`)."""
    times = (held.recorded_at, held.expired_at) if held is not None else None
    recorded, expired = record_times(fact, times, now)
    return fact.model_copy(update={"recorded_at": recorded, "expired_at": expired})


class InMemoryMemory(MemoryBackend):
    """The default: every belief in this process (lost when it ends).

    >>> from datetime import datetime, UTC
    >>> mem = InMemoryMemory()
    >>> since = datetime(2017, 3, 2, tzinfo=UTC)
    >>> mem.remember([Fact(user_id="ann", subject="product:7", relation="buys_regularly",
    ...                    object="Oat milk", valid_at=since)])
    1
    >>> [f.text for f in mem.recall("ann")]
    ['buys regularly Oat milk']
    """

    name: ClassVar[str] = "memory"

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._facts: dict[str, dict[tuple[str, str, str, float], Fact]] = {}

    def remember(self, facts: Sequence[Fact]) -> int:
        now = datetime.now(UTC)
        with self._lock:
            for fact in facts:
                held = self._facts.setdefault(fact.user_id, {})
                held[fact.key] = stamp(fact, held.get(fact.key), now)
        return len(facts)

    def recall(
        self,
        user_id: str,
        query: str | None = None,
        as_of: datetime | None = None,
        limit: int = 10,
    ) -> list[Fact]:
        check_recall(user_id, as_of, limit)
        with self._lock:
            held = list(self._facts.get(user_id, {}).values())
        return select_facts(held, query, as_of, limit)

    def history(self, user_id: str, subject: str | None = None) -> list[Fact]:
        with self._lock:
            held = list(self._facts.get(user_id, {}).values())
        return oldest_first(held, subject)

    def forget_user(self, user_id: str) -> None:
        with self._lock:
            self._facts.pop(user_id, None)

    def health(self) -> BackendHealth:
        start = time.perf_counter()
        with self._lock:
            beliefs = sum(len(v) for v in self._facts.values())
        return BackendHealth(
            backend=self.name,
            kind="memory",
            status="ok",
            latency_ms=(time.perf_counter() - start) * 1000,
            detail=f"{beliefs} beliefs about {len(self._facts)} shoppers",
        )
