"""The ingest contract: accepted means stored (or in the durable outbox), learned exactly once."""

from __future__ import annotations

import math
import os
import random
import signal
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from leafloaf import (
    EngineConfig,
    Event,
    GraphitiPersonalizationEngine,
    SQLiteStore,
    StoreUnavailableError,
    ValidationError,
)
from leafloaf.runtime.outbox import Outbox
from tests.runtime.faults import (
    CATALOG,
    T0,
    FaultyStore,
    assert_same_state,
    history,
    make_store,
    reference,
)

STORES = ["memory", "sqlite"]


# --- poison events -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "poison",
    [
        {"basket_id": "b\udc80"},
        {"query": "milk\ud800"},
        {"member_id": "\udfff"},
        {"household_id": "h\ud83d"},
        {"quantity": math.nan},
        {"unit_price": math.inf},
    ],
)
def test_an_event_no_store_can_keep_is_refused_at_the_call(poison: dict[str, Any]) -> None:
    engine = GraphitiPersonalizationEngine(CATALOG, store="sqlite", path=":memory:")
    good = Event.purchase("ann", "p1", ts=T0, basket_id="b1")
    bad = good.model_copy(update={"event_id": "bad", **poison})  # skips pydantic's validators
    with pytest.raises(ValidationError) as caught:
        engine.record(bad)
    assert caught.value.field in poison
    later = history(users=3)
    report = engine.record_many([bad, *later])
    assert report.accepted == len(later) and [r.index for r in report.rejected] == [0]
    assert engine.store.event_count() == len(later)
    assert engine.record(good).accepted == 1


def test_a_poison_event_the_store_refuses_is_quarantined_and_blocks_nothing() -> None:
    events = history()
    poison = next(e.event_id for e in events if e.event_id.startswith("u3-o2-"))

    class Picky(FaultyStore):
        def append_events(self, events):  # type: ignore[no-untyped-def]
            if any(e.event_id == poison for e in events):
                raise ValueError("cannot encode this row")
            return super().append_events(events)

    store = Picky(make_store("memory", Path()))
    engine = GraphitiPersonalizationEngine(CATALOG, store=store, config=EngineConfig(batch_size=64))
    report = engine.record_many(events)
    assert report.accepted == len(events) - 1
    assert [r.field for r in report.rejected] == ["event"]
    assert events[report.rejected[0].index].event_id == poison
    assert [e.event_id for e, _ in engine.dead_letters()] == [poison]
    assert "cannot encode" in engine.dead_letters()[0][1]
    assert_same_state(engine, reference([e for e in events if e.event_id != poison]))
    assert engine.record_many(history(seed=9)).accepted  # later writes flow


# --- faults at every step of a commit ------------------------------------------------------------
@pytest.mark.parametrize("kind", STORES)
def test_a_fault_at_any_step_of_a_commit_leaves_nothing_half_done(
    kind: str, tmp_path: Path
) -> None:
    events = history(users=6, orders=4)
    batches = [events[i : i + 16] for i in range(0, len(events), 16)]
    for step in range(1, 2 * len(batches) + 1):  # every append and every apply
        store = FaultyStore(make_store(kind, tmp_path / str(step)))
        store.plan = {step: StoreUnavailableError("injected")}
        engine = GraphitiPersonalizationEngine(CATALOG, store=store)
        accepted: list[Event] = []
        for batch in batches:
            try:
                engine.record_many(batch)
                accepted += batch
            except StoreUnavailableError:
                pass  # refused at the call: the host keeps it and retries
        assert_same_state(engine, reference(accepted))
        assert store.event_count() == len(accepted)
        for batch in batches:  # the host's retry: every line learned exactly once
            engine.record_many(batch)
        assert_same_state(engine, reference(events))
        store.close()


def test_ten_percent_of_writes_failing_loses_and_doubles_nothing() -> None:
    rng = random.Random(7)
    events = history(users=40)
    store = FaultyStore(make_store("memory", Path()))
    store.plan = {n: StoreUnavailableError("flaky") for n in range(1, 5000) if rng.random() < 0.1}
    engine = GraphitiPersonalizationEngine(CATALOG, store=store)
    for event in events:  # a host that retries until accepted
        while True:
            try:
                engine.record(event)
                break
            except StoreUnavailableError:
                continue
    assert_same_state(engine, reference(events))


@pytest.mark.parametrize("kind", STORES)
def test_ctrl_c_during_record_many_then_rerun_learns_every_line_once(
    kind: str, tmp_path: Path
) -> None:
    events = history(users=20)
    for trial in range(10):
        inner = make_store(kind, tmp_path / f"t{trial}")
        store = FaultyStore(inner, {3 + trial: KeyboardInterrupt()})
        engine = GraphitiPersonalizationEngine(
            CATALOG, store=store, config=EngineConfig(batch_size=50)
        )
        with pytest.raises(KeyboardInterrupt):
            engine.record_many(events)
        engine.record_many(events)
        assert_same_state(engine, reference(events))
        store.close()


# --- bad input keeps every valid row --------------------------------------------------------------
def test_odd_mapping_keys_are_rejected_rows_not_a_crash() -> None:
    good = [e.model_dump() for e in history(users=5)]
    rows: list[Any] = [*good[:10], {"self": 1, **good[0]}, {1: "x"}, "not an event", *good[10:]]
    engine = GraphitiPersonalizationEngine(CATALOG)
    report = engine.record_many(rows)
    assert report.accepted == len(good)
    assert [(r.index, r.field) for r in report.rejected] == [
        (10, "self"),
        (11, "event"),
        (12, "event"),
    ]
    assert engine.store.event_count() == len(good)


def test_an_input_that_fails_part_way_keeps_what_it_yielded() -> None:
    events = history(users=4)

    def feed() -> Iterator[Event]:
        yield from events[:25]
        raise ConnectionResetError("upstream closed")

    engine = GraphitiPersonalizationEngine(CATALOG, config=EngineConfig(batch_size=10))
    with pytest.raises(ConnectionResetError) as caught:
        engine.record_many(feed())
    assert engine.store.event_count() == 25
    assert any("25 events accepted" in note for note in caught.value.__notes__)


# --- the durable outbox ---------------------------------------------------------------------
def test_a_locked_sqlite_file_defers_to_the_outbox_then_replays(tmp_path: Path) -> None:
    db = tmp_path / "shop.db"
    engine = GraphitiPersonalizationEngine(
        CATALOG, store=SQLiteStore(db, timeout=0.05), outbox=tmp_path / "outbox.db"
    )
    events = history(users=5)
    engine.record_many(events[:50])
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    report = engine.record_many(events[50:])
    assert report.buffered == len(events) - 50 and engine.pending == report.buffered
    holder.execute("ROLLBACK")
    holder.close()
    assert engine.flush() == 0
    assert_same_state(engine, reference(events))


def test_without_an_outbox_a_locked_file_refuses_at_the_call(tmp_path: Path) -> None:
    db = tmp_path / "shop.db"
    engine = GraphitiPersonalizationEngine(CATALOG, store=SQLiteStore(db, timeout=0.05))
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    with pytest.raises(StoreUnavailableError):
        engine.record(history(users=1)[0])
    holder.execute("ROLLBACK")
    holder.close()
    engine.close()  # nothing was accepted, so nothing can be lost at close
    assert SQLiteStore(db).event_count() == 0


def test_a_full_outbox_refuses_and_keeps_what_it_held(tmp_path: Path) -> None:
    store = FaultyStore(make_store("memory", tmp_path))
    outbox = Outbox(tmp_path / "outbox.db", capacity=30)
    engine = GraphitiPersonalizationEngine(CATALOG, store=store, outbox=outbox)
    events = history(users=2)
    store.down = True
    assert engine.record_many(events[:30]).buffered == 30
    with pytest.raises(StoreUnavailableError, match="outbox is full"):
        engine.record(events[30])
    store.down = False
    assert engine.flush() == 0
    assert_same_state(engine, reference(events[:30]))


# --- SIGKILL: what was reported accepted is there after a restart -------------------------
WRITER = textwrap.dedent(
    """
    import sys
    from tests.runtime.faults import CATALOG, history
    from leafloaf import GraphitiPersonalizationEngine
    engine = GraphitiPersonalizationEngine(CATALOG, store="sqlite", path=sys.argv[1])
    for event in history(users=40) * 50:
        if engine.record(event).accepted:
            print(event.event_id, flush=True)
    """
)


def test_sigkill_loses_nothing_that_was_reported_accepted(tmp_path: Path) -> None:
    db = tmp_path / "shop.db"
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(db)], stdout=subprocess.PIPE, text=True, cwd=root
    )
    assert proc.stdout is not None
    reported = [proc.stdout.readline().strip() for _ in range(700)]
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    engine = GraphitiPersonalizationEngine(CATALOG, store="sqlite", path=db)
    stored = {e.event_id for e in engine.store.events()}
    assert set(reported) <= stored
    logged = list(engine.store.events())
    assert_same_state(engine, reference(logged))  # statistics match the log exactly
