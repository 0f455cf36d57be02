"""InMemoryStore: the default StateStore, plain dictionaries in this process."""

from __future__ import annotations

from array import array
from collections.abc import Iterator, Mapping, Sequence
from typing import ClassVar

from leafloaf.models import Event
from leafloaf.stores.base import (
    EventRecord,
    RowDelta,
    StateStore,
    UserRows,
    event_from_record,
    event_to_record,
    merger_for,
)

__all__ = ["InMemoryStore"]


class InMemoryStore(StateStore):
    """Statistics and event log in dictionaries: fastest, gone when the process ends.

    Duplicate detection covers every event still in the log (the window is the log itself).

    >>> store = InMemoryStore()
    >>> store.event_count()
    0
    """

    name: ClassVar[str] = "memory"

    def __init__(self) -> None:
        self._rows: dict[str, dict[str, array[float]]] = {}
        self._log: dict[str, EventRecord] = {}

    def apply(self, updates: Mapping[str, Mapping[str, RowDelta]]) -> None:
        for user_id, deltas in updates.items():
            rows = self._rows.get(user_id)
            if rows is None:
                rows = self._rows[user_id] = {}
            for key, (ops, values) in deltas.items():
                current = rows.get(key)
                if current is None:
                    # packed doubles: a third of the memory of a list of float objects
                    rows[key] = array("d", values)
                else:
                    merger_for(ops)(current, values)  # type: ignore[arg-type]

    def rows(self, user_id: str) -> UserRows:
        return {k: list(v) for k, v in self._rows.get(user_id, {}).items()}

    def live_rows(self, user_id: str) -> Mapping[str, Sequence[float]]:
        """The stored rows themselves, without copying (read-only use by the engine)."""
        return self._rows.get(user_id, {})

    def users(self) -> Iterator[str]:
        seen = set(self._rows)
        yield from self._rows
        for record in list(self._log.values()):
            if record[1] not in seen:
                seen.add(record[1])
                yield record[1]

    def append_events(self, events: Sequence[Event]) -> list[bool]:
        log = self._log
        fresh = []
        for event in events:
            new = event.event_id not in log
            if new:
                log[event.event_id] = event_to_record(event)
            fresh.append(new)
        return fresh

    def events(self, user_id: str | None = None) -> Iterator[Event]:
        for record in list(self._log.values()):
            if user_id is None or record[1] == user_id:
                yield event_from_record(record)

    def records(self) -> Iterator[EventRecord]:
        """The stored event records, without building Event objects (fast batch scans)."""
        return iter(list(self._log.values()))

    def event_count(self) -> int:
        return len(self._log)

    def forget_user(self, user_id: str) -> None:
        self._rows.pop(user_id, None)
        for event_id in [k for k, r in self._log.items() if r[1] == user_id]:
            del self._log[event_id]
