"""Ingest: validate, commit log and statistics atomically, defer to the outbox, quarantine poison.

The contract (``docs/concepts.md``, "Durability"): an event is *accepted* only once it is in
the state store or in the durable outbox. What neither can take is refused at the call with
:class:`StoreUnavailableError`; nothing accepted waits in RAM. An event the store refuses as
data is isolated by bisecting its batch, reported as rejected with the store's error and kept
in the dead-letter list; the rest of its batch is stored.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC
from typing import Any

from leafloaf.catalog import Catalog
from leafloaf.errors import StoreUnavailableError, UnknownProductError, ValidationError
from leafloaf.learning.pacing import in_slices
from leafloaf.learning.stats import DeltaBatch
from leafloaf.models import Event, RecordReport, Rejection
from leafloaf.runtime.outbox import DeadLetter, Outbox
from leafloaf.stores.base import EventRecord, StateStore, event_to_record

__all__ = ["Ingestor", "check_storable", "coerce_event"]

log = logging.getLogger("leafloaf")

_TEXT_FIELDS = ("user_id", "product_id", "query", "basket_id", "member_id", "household_id")
_DEAD_LETTER_MEMORY = 1_000
"""Quarantined events kept in memory when no outbox file is configured."""


def _storable_text(field: str, value: str | None) -> None:
    if value is None or value.isascii():
        return
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValidationError(
            field, value, "contains a character no store can keep (a lone surrogate)"
        ) from None


def check_storable(event: Event) -> None:
    """Re-check what an already-built :class:`Event` may carry past validation.

    ``Event.model_copy(update=...)`` and ``model_construct`` skip pydantic's validators, so the
    engine checks again the values a store cannot keep or learn from. The common case (ASCII
    text, ordinary numbers and years) takes one comparison per field.
    """
    user_id, event_id = event.user_id, event.event_id
    if not isinstance(user_id, str) or not user_id.strip():
        raise ValidationError("user_id", user_id, "must not be empty or blank")
    if not isinstance(event_id, str) or not event_id:
        raise ValidationError("event_id", event_id, "must not be empty")
    texts = [getattr(event, field) for field in _TEXT_FIELDS]
    joined = "".join(t for t in texts if isinstance(t, str)) + event_id
    if not joined.isascii():
        for field, text in zip(_TEXT_FIELDS, texts, strict=True):
            _storable_text(field, text)
        _storable_text("event_id", event_id)
    quantity = event.quantity
    if not (isinstance(quantity, int | float) and 0.0 < quantity < math.inf):
        raise ValidationError("quantity", quantity, "must be a finite number greater than 0")
    price = event.unit_price
    if price is not None and not (isinstance(price, int | float) and 0.0 <= price < math.inf):
        raise ValidationError("unit_price", price, "must be a finite number >= 0")
    ts = event.ts
    if ts.tzinfo is None or ts.utcoffset() is None:
        raise ValidationError("ts", ts, "must be timezone-aware")
    if not 1 < ts.year < 9999:  # only the first and last years can leave the range in UTC
        try:
            ts.astimezone(UTC)
        except OverflowError:
            raise ValidationError("ts", ts, "is outside the years 1-9999 in UTC") from None


def coerce_event(raw: Any, catalog: Catalog) -> Event:
    """An :class:`Event` from an event or a mapping, checked against the catalog."""
    if isinstance(raw, Event):
        event = raw
        if not event.validated:  # built by model_construct or model_copy(update=...)
            check_storable(event)
    elif isinstance(raw, Mapping):
        for key in raw:
            if not isinstance(key, str):
                raise ValidationError("event", key, "mapping keys must be field names (str)")
        event = Event.model_validate_named(raw)
    else:
        raise ValidationError("event", type(raw).__name__, "must be an Event or a mapping")
    if event.product_id is not None and event.product_id not in catalog:
        raise UnknownProductError(event.product_id)
    return event


def _is_outage(exc: BaseException) -> bool:
    return isinstance(exc, StoreUnavailableError | ConnectionError | TimeoutError)


class Ingestor:
    """Writes validated events to the store (or the outbox) under one writer lock.

    ``on_commit(new_events)`` runs after each commit, still under the caller's lock, with the
    events that were new to the store (duplicates by id are dropped).
    """

    def __init__(
        self,
        store: StateStore,
        decay_rate: float,
        on_commit: Callable[[list[Event]], None],
        outbox: Outbox | None = None,
        batch_size: int = 20_000,
    ) -> None:
        self.store = store
        self.decay_rate = decay_rate
        self.on_commit = on_commit
        self.outbox = outbox
        self.batch_size = batch_size
        self._dead: list[DeadLetter] = []

    # --- one batch -------------------------------------------------------------------------------
    def commit(self, events: Sequence[Event]) -> list[Event]:
        """Append and learn ``events`` in one store transaction; returns the new ones."""
        store = self.store
        records: list[EventRecord] = []  # each event's fields read once
        for part in in_slices(events):
            records.extend([event_to_record(e) for e in part])
        with store.transaction():
            fresh = store.append_records(events, records)
            keep = [i for i, is_new in enumerate(fresh) if is_new]
            new = [events[i] for i in keep]
            batch = DeltaBatch(self.decay_rate)
            batch.add_records([records[i] for i in keep], new)
            if batch.updates:
                store.apply(batch.updates)
        return new

    def _commit_isolating(
        self, events: Sequence[Event], committed: list[Event]
    ) -> list[tuple[Event, BaseException]]:
        """Commit ``events``, bisecting around any the store refuses as data.

        New events stored are appended to ``committed``; returns the refused ones. An outage
        propagates (with the halves already stored in ``committed``).
        """
        try:
            new = self.commit(events)
        except Exception as exc:
            if _is_outage(exc):
                raise
            if len(events) == 1:
                return [(events[0], exc)]
            mid = len(events) // 2
            refused = self._commit_isolating(events[:mid], committed)
            return refused + self._commit_isolating(events[mid:], committed)
        self.on_commit(new)
        committed.extend(new)
        return []

    def _try_commit(
        self, events: Sequence[Event]
    ) -> tuple[list[Event], list[tuple[Event, BaseException]], Exception | None]:
        """Commit with poison isolation: (new events stored, events refused, outage or None)."""
        committed: list[Event] = []
        try:
            refused = self._commit_isolating(events, committed)
        except Exception as exc:
            if not _is_outage(exc):
                raise
            return committed, [], exc
        return committed, refused, None

    # --- the write path ---------------------------------------------------------------------------
    def write(self, events: Sequence[Event], indices: Sequence[int], report: RecordReport) -> None:
        """Store ``events`` (rows ``indices`` of the caller's input), filling ``report``.

        Raises :class:`StoreUnavailableError` when the events can be kept neither in the store
        nor in the outbox; none of them is then accepted.
        """
        if not events:
            return
        if self.outbox is not None and len(self.outbox):
            self.drain()
            if len(self.outbox):  # still waiting: keep arrival order behind them
                self._defer(events, report)
                return
        committed, refused, outage = self._try_commit(events)
        if outage is not None:
            done = {e.event_id for e in committed}
            rest = [e for e in events if e.event_id not in done]
            report.accepted += len(events) - len(rest)
            if self.outbox is None:
                raise StoreUnavailableError(
                    f"state store unavailable: {len(rest)} events of this batch were not kept "
                    f"(configure an outbox to ride out outages): {outage}",
                    report,
                ) from outage
            log.warning("state store unavailable (%s); %d events to the outbox", outage, len(rest))
            self._defer(rest, report)
            return
        refused_ids = {id(e) for e, _ in refused}
        position = {id(e): i for e, i in zip(events, indices, strict=True)} if refused else {}
        for event, error in refused:
            self._quarantine(event, error)
            report.rejected.append(
                Rejection(
                    index=position[id(event)],
                    field="event",
                    value=event.event_id,
                    message=f"the store refused it and it was quarantined: {error}",
                )
            )
        kept = len(events) - len(refused_ids)
        report.accepted += kept
        report.duplicates += kept - len(committed)

    def _defer(self, events: Sequence[Event], report: RecordReport) -> None:
        assert self.outbox is not None
        try:
            self.outbox.put(events)
        except StoreUnavailableError as exc:
            exc.report = report
            raise
        report.accepted += len(events)
        report.buffered += len(events)

    def drain(self) -> int:
        """Replay the outbox into the store, oldest first; returns how many are still waiting.

        Stops at the first outage (they stay in the outbox, in order).
        """
        outbox = self.outbox
        if outbox is None:
            return 0
        while len(outbox):
            waiting = outbox.peek(self.batch_size)
            _, refused, outage = self._try_commit([e for _, e in waiting])
            if outage is not None:
                # the stored part is idempotent on replay: ids already in the store are no-ops
                return len(outbox)
            for event, error in refused:
                self._quarantine(event, error)
            outbox.remove_through(waiting[-1][0])
        return 0

    # --- quarantine ------------------------------------------------------------------------------
    def _quarantine(self, event: Event, exc: BaseException) -> None:
        error = f"{type(exc).__name__}: {exc}"
        log.warning("quarantined event %s of %s: %s", event.event_id, event.user_id, error)
        if self.outbox is not None:
            try:
                self.outbox.dead_letter(event, error)
                return
            except Exception as err:  # the outbox file failed too: keep it in memory
                log.warning("outbox dead-letter write failed: %s", err)
        self._dead.append((event, error))
        del self._dead[:-_DEAD_LETTER_MEMORY]

    def dead_letters(self) -> list[DeadLetter]:
        """Quarantined events with the store's error, oldest first."""
        stored = self.outbox.dead_letters() if self.outbox is not None else []
        return stored + list(self._dead)

    def forget_user(self, user_id: str) -> None:
        """Erase a user's waiting and quarantined events."""
        self._dead = [(e, err) for e, err in self._dead if e.user_id != user_id]
        if self.outbox is not None:
            self.outbox.forget_user(user_id)
