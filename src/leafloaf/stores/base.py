"""The StateStore seam: where learned statistics and the event log live."""

from __future__ import annotations

import math
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import UTC, datetime, timedelta, timezone
from enum import IntEnum
from types import TracebackType
from typing import Any, ClassVar, Self

from leafloaf.health import BackendHealth
from leafloaf.models import Event, EventType

__all__ = [
    "EventRecord",
    "Op",
    "RowDelta",
    "StateStore",
    "StoreSnapshot",
    "UserRows",
    "event_from_record",
    "event_to_record",
    "merge_row",
    "merger_for",
    "offset_merger_for",
]


class Op(IntEnum):
    """How one column of a statistics row combines with a new value.

    Every op is commutative and associative, so rows can be updated in any order, on any
    shard, and summed afterwards: that is what makes state independent of event order.
    """

    ADD = 0
    MIN = 1
    MAX = 2
    LOGADD = 3
    """``log(exp(a) + exp(b))``: decayed sums kept in log-space against a fixed reference."""


RowDelta = tuple[tuple[Op, ...], Sequence[float]]
"""Column ops of a row and the values to combine into it."""
UserRows = dict[str, list[float]]
"""All statistics rows of one user, by row key."""

EventRecord = tuple[
    str, str, float, str | None, float, float | None, str | None, str | None, str | None,
    str | None, str, float,
]  # fmt: skip
"""Compact stored form of an :class:`Event` (type, user, unix seconds, product, quantity,
price, query, basket, member, household, event id, UTC offset in seconds).

The offset is kept so an event read back has the local time it was recorded with: the
hour-of-day statistics are local hours, and a replayed or merged event must land in the
same hour as the original."""


def _logaddexp(a: float, b: float) -> float:
    hi, lo = (a, b) if a > b else (b, a)
    return hi if lo == -math.inf else hi + math.log1p(math.exp(lo - hi))


_STATEMENTS = {
    Op.ADD: "    c[{i}] += d[{i}]",
    Op.MIN: "    if d[{i}] < c[{i}]: c[{i}] = d[{i}]",
    Op.MAX: "    if d[{i}] > c[{i}]: c[{i}] = d[{i}]",
    Op.LOGADD: "    c[{i}] = logaddexp(c[{i}], d[{i}])",
}
Merger = Callable[[list[float], Sequence[float]], list[float]]
_MERGERS: dict[tuple[Op, ...], Merger] = {}
_BY_ID: dict[int, tuple[Sequence[Op], Merger]] = {}


def merger_for(ops: Sequence[Op]) -> Merger:
    """A straight-line merge function for one column layout (generated once, then cached).

    Ingest applies one merge per touched row, so this is the hottest loop of ``record_many``;
    unrolling the columns is several times faster than interpreting the ops each time.
    """
    hit = _BY_ID.get(id(ops))
    if hit is not None and hit[0] is ops:  # the column layouts are module constants
        return hit[1]
    key = tuple(ops)
    fn = _MERGERS.get(key)
    if fn is None:
        body = "\n".join(_STATEMENTS[Op(op)].format(i=i) for i, op in enumerate(key))
        namespace: dict[str, Any] = {"logaddexp": _logaddexp}
        exec(f"def merge(c, d):\n{body}\n    return c", namespace)
        fn = _MERGERS[key] = namespace["merge"]
    _BY_ID[id(ops)] = (ops, fn)
    return fn


_OFFSET_STATEMENTS = {
    Op.ADD: "    c[o + {i}] += d[{i}]",
    Op.MIN: "    if d[{i}] < c[o + {i}]: c[o + {i}] = d[{i}]",
    Op.MAX: "    if d[{i}] > c[o + {i}]: c[o + {i}] = d[{i}]",
    Op.LOGADD: "    c[o + {i}] = logaddexp(c[o + {i}], d[{i}])",
}
OffsetMerger = Callable[[Any, int, Sequence[float]], None]
_OFFSET_MERGERS: dict[tuple[Op, ...], OffsetMerger] = {}


def offset_merger_for(ops: Sequence[Op]) -> OffsetMerger:
    """Like :func:`merger_for`, for a row that starts at offset ``o`` of a larger array."""
    key = tuple(ops)
    fn = _OFFSET_MERGERS.get(key)
    if fn is None:
        body = "\n".join(_OFFSET_STATEMENTS[Op(op)].format(i=i) for i, op in enumerate(key))
        namespace: dict[str, Any] = {"logaddexp": _logaddexp}
        exec(f"def merge(c, o, d):\n{body}", namespace)
        fn = _OFFSET_MERGERS[key] = namespace["merge"]
    return fn


def merge_row(
    ops: Sequence[Op], current: list[float] | None, delta: Sequence[float]
) -> list[float]:
    """Combine ``delta`` into ``current`` column by column (a new row when ``current`` is None).

    >>> merge_row((Op.ADD, Op.MIN, Op.MAX), [1.0, 5.0, 5.0], [2.0, 3.0, 7.0])
    [3.0, 3.0, 7.0]
    """
    if current is None:
        return list(delta)
    return merger_for(ops)(current, delta)


def event_to_record(event: Event) -> EventRecord:
    """Pack an event for storage (stores that keep strings intern or table them)."""
    ts = event.ts
    return (
        event.type._value_,
        event.user_id,
        ts.timestamp(),
        event.product_id,
        event.quantity,
        event.unit_price,
        event.query,
        event.basket_id,
        event.member_id,
        event.household_id,
        event.event_id,
        0.0 if ts.tzinfo is UTC else _offset_seconds(ts),
    )


_ZONES: dict[float, timezone] = {0.0: UTC}


def _offset_seconds(ts: datetime) -> float:
    offset = ts.utcoffset()
    return offset.total_seconds() if offset else 0.0


def _zone(offset: float) -> timezone:
    zone = _ZONES.get(offset)
    if zone is None:
        zone = _ZONES[offset] = timezone(timedelta(seconds=offset))
    return zone


def event_from_record(record: Sequence[Any]) -> Event:
    """Rebuild an :class:`Event` from its stored form, in the time zone it was recorded in."""
    kind, user, ts, product, qty, price, query, basket, member, household, event_id = record[:11]
    offset = float(record[11]) if len(record) > 11 and record[11] else 0.0
    return Event.trusted(  # it was checked when it was accepted
        type=EventType(kind),
        user_id=user,
        ts=datetime.fromtimestamp(ts, _zone(offset)),
        product_id=product,
        quantity=qty,
        unit_price=price,
        query=query,
        basket_id=basket,
        member_id=member,
        household_id=household,
        event_id=event_id,
    )


class StoreSnapshot(ABC):
    """A consistent, read-only view of a store at one moment (what a population fit reads).

    Writes that commit after the snapshot was taken are not visible through it, so a fit
    running beside live ingest sees every user's rows and the event log as of one instant.
    """

    @abstractmethod
    def users(self) -> list[str]:
        """Every user id with rows or events, sorted."""

    @abstractmethod
    def rows(self, user_id: str) -> Mapping[str, Sequence[float]]:
        """Rows of one user as of the snapshot (do not modify)."""

    @abstractmethod
    def records(self) -> Iterator[EventRecord]:
        """The logged events as of the snapshot, in log order."""

    @abstractmethod
    def event_count(self) -> int:
        """Events in the log as of the snapshot."""

    def purchase_arrays(self) -> tuple[Any, Any, Any, Any, list[str], list[str]] | None:
        """Purchased lines as numpy code columns ``(user, basket, product, day, product ids,
        user ids)``
        when the store keeps them in columns (None: fits decode :meth:`records` instead)."""
        return None

    def close(self) -> None:
        """Release what the snapshot holds (a read transaction, references)."""


class _LiveSnapshot(StoreSnapshot):
    """Fallback view for stores without snapshots: reads the live store (not isolated)."""

    def __init__(self, store: StateStore) -> None:
        self._store = store
        self._count = store.event_count()

    def users(self) -> list[str]:
        return sorted(set(self._store.users()))

    def rows(self, user_id: str) -> Mapping[str, Sequence[float]]:
        return self._store.rows(user_id)

    def records(self) -> Iterator[EventRecord]:
        return self._store.records()

    def event_count(self) -> int:
        return self._count


class StateStore(ABC):
    """Durable home of per-user statistics rows and of the accepted-event log.

    A row is a short vector of floats whose columns combine by an :class:`Op`; ops travel
    with every update, so a store needs no knowledge of what the columns mean. The event
    log is what makes replays idempotent: :meth:`append_events` reports which event ids are
    new, and the engine only learns from those.

    Every store commits the log and the statistics of a batch together: writes made inside
    :meth:`transaction` are all visible after it, or none of them if it raised (a
    ``KeyboardInterrupt`` included). A store that cannot reach its backend raises
    :class:`~leafloaf.errors.StoreUnavailableError`; any other exception from a write means
    the data itself could not be stored, and the engine quarantines the events involved.

    Implementations are picked by short name (see :func:`leafloaf.stores.open_store`) and
    all pass the contract suite in ``tests/contract/test_state_store.py``.
    """

    name: ClassVar[str]

    @abstractmethod
    def transaction(self) -> AbstractContextManager[Any]:
        """Group writes so they commit together, or roll back together on any exception."""

    @abstractmethod
    def apply(self, updates: Mapping[str, Mapping[str, RowDelta]]) -> None:
        """Combine ``{user: {row key: (ops, values)}}`` into the stored rows, atomically."""

    @abstractmethod
    def rows(self, user_id: str) -> UserRows:
        """A copy of every row of one user (empty for an unknown user)."""

    def rows_view(self, user_id: str) -> Mapping[str, Sequence[float]]:
        """Rows of one user for reading only; stores that can, return them without copying."""
        return self.rows(user_id)

    @abstractmethod
    def replace_rows(self, user_id: str, rows: Mapping[str, Sequence[float]]) -> None:
        """Drop every row of a user and store ``rows`` instead (rebuilding after an erasure)."""

    @abstractmethod
    def users(self) -> Iterator[str]:
        """Every user id that has rows or events."""

    @abstractmethod
    def append_events(self, events: Sequence[Event]) -> list[bool]:
        """Log events; for each, True if its ``event_id`` was new (duplicates are not kept)."""

    def append_records(self, events: Sequence[Event], records: Sequence[EventRecord]) -> list[bool]:
        """:meth:`append_events`, given each event's stored form too (``event_to_record``).

        The ingest path packs every event once and hands both over; stores that keep the
        packed form override this to skip packing it again.
        """
        return self.append_events(events)

    @abstractmethod
    def events(self, user_id: str | None = None) -> Iterator[Event]:
        """Logged events of one user, or of everyone, in the order they were logged."""

    def records(self) -> Iterator[EventRecord]:
        """Logged events in their compact stored form (batch fits scan these)."""
        return (event_to_record(event) for event in self.events())

    def mentioning(self, subject: str) -> list[Event]:
        """Logged events of *other* accounts naming ``subject`` as member or household."""
        return [
            e
            for e in self.events()
            if e.user_id != subject and subject in (e.member_id, e.household_id)
        ]

    @abstractmethod
    def event_count(self) -> int:
        """Number of events in the log."""

    @abstractmethod
    def forget_user(self, user_id: str) -> None:
        """Erase every row and every logged event of a user."""

    @abstractmethod
    def forget_events(self, event_ids: Sequence[str]) -> None:
        """Erase logged events by id (their ids become unknown again)."""

    def checkpoint(self) -> None:
        """Make erasures final on disk (stores without a separate log have nothing to do)."""

    def snapshot(self) -> StoreSnapshot:
        """A consistent read-only view for batch fits (live reads where a store has none)."""
        return _LiveSnapshot(self)

    def external_changes(self) -> bool:
        """True (once) when another process changed the store since the last call.

        In-process stores never change behind the engine's back; a shared file or server
        says so here, and the engine then drops its cached per-user statistics.
        """
        return False

    def health(self) -> BackendHealth:
        """Probe the store (count the log) and say how it went; stores with a server override."""
        start = time.perf_counter()
        try:
            count = self.event_count()
        except Exception as exc:
            return BackendHealth(
                backend=self.name, kind="store", status="down", last_error=f"{exc}"
            )
        latency = round((time.perf_counter() - start) * 1000, 3)
        return BackendHealth(
            backend=self.name, kind="store", status="ok", latency_ms=latency,
            detail=f"{count} events logged",
        )  # fmt: skip

    def close(self) -> None:
        """Release connections and files."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
