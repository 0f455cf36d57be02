"""The engine writes beliefs (not events) to memory, off the request path, and uses them."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from leafloaf import (
    Catalog,
    ConfigError,
    EngineConfig,
    Event,
    Fact,
    GraphitiPersonalizationEngine,
    InMemoryMemory,
    Product,
    Relation,
)
from leafloaf.runtime.beliefs import diff_beliefs

T0 = datetime(2017, 3, 2, 9, 0, tzinfo=UTC)
NOW = T0 + timedelta(days=200)
CATALOG = Catalog(
    [
        Product(
            product_id="oat", name="Oat milk", categories=("dairy eggs", "milk"), brand="Oatly"
        ),
        Product(product_id="ban", name="Bananas", categories=("produce", "fruit")),
        Product(product_id="egg", name="Eggs", categories=("dairy eggs", "eggs")),
        Product(product_id="st", name="Steak", categories=("meat seafood", "beef")),
    ]
)


def _orders(user: str, n: int, start: datetime = T0) -> list[Event]:
    return [
        Event.purchase(
            user, pid, ts=start + timedelta(days=7 * i), basket_id=f"{user}-{i}", quantity=q
        )
        for i in range(n)
        for pid, q in (("oat", 2), ("ban", 1))
    ]


def _engine(memory: InMemoryMemory | None = None) -> GraphitiPersonalizationEngine:
    return GraphitiPersonalizationEngine(
        CATALOG, memory=memory or InMemoryMemory(), clock=lambda: NOW
    )


def test_beliefs_are_written_after_a_refit_without_being_asked() -> None:
    engine = _engine()
    engine.record_many(_orders("ann", 4))
    engine.refit(wait=True, timeout=60)
    writer = engine._beliefs
    assert writer is not None and writer.wait(60)
    held = {(f.subject, f.relation): f for f in engine.memory.recall("ann", limit=50)}
    regular = held[("product:oat", Relation.BUYS_REGULARLY)]
    assert regular.object == "Oat milk"
    assert regular.valid_at == T0  # since the first purchase, not since the write
    assert held[("product:oat", Relation.TYPICAL_QUANTITY)].object == "2"
    assert ("product:ban", Relation.TYPICAL_QUANTITY) not in held  # one each: nothing to say
    assert held[("brand:Oatly", Relation.PREFERS_BRAND)].object == "Oatly"
    engine.close()


def test_memory_holds_beliefs_not_events() -> None:
    engine = _engine()
    engine.record_many(_orders("ann", 1))  # bought once: not "regularly"
    assert engine.sync_memory(timeout=60)
    assert [f for f in engine.memory.history("ann") if f.relation == Relation.BUYS_REGULARLY] == []
    engine.close()


def test_a_belief_that_stops_holding_is_invalidated_and_recalled_as_of_then() -> None:
    engine = _engine()
    engine.record_many(_orders("ann", 3))
    engine.declare_avoidance("ann", "department:meat seafood", at=T0 + timedelta(days=20))
    assert engine.sync_memory(timeout=60)
    avoids = [f for f in engine.memory.recall("ann") if f.relation == Relation.AVOIDS]
    assert [(f.subject, f.source, f.valid_at) for f in avoids] == [
        ("diet:department:meat seafood", "declared", T0 + timedelta(days=20))
    ]
    engine.declare_avoidance("ann", "department:meat seafood", avoid=False, at=NOW)
    assert engine.sync_memory(timeout=60)
    assert [f for f in engine.memory.recall("ann") if f.relation == Relation.AVOIDS] == []
    history = engine.memory.history("ann", "diet:department:meat seafood")
    assert len(history) == 1 and history[0].invalid_at == NOW  # invalidated, never deleted
    then = engine.memory.recall("ann", as_of=T0 + timedelta(days=100), query="meat")
    assert [f.relation for f in then] == [Relation.AVOIDS]
    engine.close()


def test_only_changes_are_written() -> None:
    engine = _engine()
    engine.record_many(_orders("ann", 3))
    assert engine.sync_memory(timeout=60)
    writer = engine._beliefs
    assert writer is not None
    written = writer.written
    assert written > 0
    assert engine.sync_memory(timeout=60)
    assert writer.written == written  # nothing changed: nothing written
    engine.close()


def test_explain_cites_remembered_beliefs_with_their_dates() -> None:
    engine = _engine()
    engine.record_many(_orders("ann", 4))
    assert engine.sync_memory(timeout=60)
    explanation = engine.explain("ann", "oat")
    said = [r.text for r in explanation.reasons if r.code == "remembered"]
    assert "you have bought Oat milk regularly since 2017-03-02" in said
    assert {f.relation for f in explanation.facts} >= {
        Relation.BUYS_REGULARLY,
        Relation.TYPICAL_QUANTITY,
        Relation.PREFERS_BRAND,
    }
    assert engine.explain("ann", "st").facts == []  # nothing believed about steak
    engine.close()


class FlakyMemory(InMemoryMemory):
    """A real in-memory backend whose writes fail while ``down`` (fault injection)."""

    def __init__(self) -> None:
        super().__init__()
        self.down = True
        self.calls = 0

    def remember(self, facts: Sequence[Fact]) -> int:
        self.calls += 1
        if self.down:
            raise ConnectionError("memory is down")
        return super().remember(facts)


def test_a_memory_outage_loses_no_belief_and_blocks_no_record() -> None:
    memory = FlakyMemory()
    engine = _engine(memory)
    engine.record_many(_orders("ann", 4))
    engine.sync_memory(wait=False)
    writer = engine._beliefs
    assert writer is not None
    assert not writer.wait(1.5)  # refused, kept queued
    assert memory.calls >= 1 and writer.queue_depth > 0
    assert engine.record(Event.purchase("bob", "ban", ts=NOW)).accepted == 1  # not blocked
    assert engine.usual_order("ann").items
    memory.down = False
    assert writer.wait(30)
    assert {f.subject for f in memory.recall("ann", limit=50)} >= {"product:oat", "product:ban"}
    engine.close()


def test_forget_user_waits_for_no_writer_and_erases_memory() -> None:
    engine = _engine()
    engine.record_many(_orders("ann", 3) + _orders("bob", 3))
    assert engine.sync_memory(timeout=60)
    engine.forget_user("ann")
    assert engine.memory.history("ann") == []
    assert engine.memory.history("bob")
    assert engine.sync_memory(timeout=60)  # a later sync brings nothing back
    assert engine.memory.history("ann") == []
    engine.close()


def test_default_engine_writes_no_beliefs_and_says_how_to_turn_it_on() -> None:
    engine = GraphitiPersonalizationEngine(CATALOG)
    with pytest.raises(ConfigError) as err:
        engine.sync_memory()
    assert err.value.field == "remember_beliefs"
    on = GraphitiPersonalizationEngine(CATALOG, config=EngineConfig(remember_beliefs=True))
    on.record_many(_orders("ann", 3))
    assert on.sync_memory(timeout=60)
    assert on.memory.recall("ann")


def test_diff_never_overwrites_a_past_belief() -> None:
    old = Fact(
        user_id="a",
        subject="product:1",
        relation=Relation.BUYS_REGULARLY,
        object="Tea",
        valid_at=T0,
        invalid_at=T0 + timedelta(days=50),
    )
    again = old.model_copy(update={"invalid_at": None})
    writes = diff_beliefs([again], [old], NOW)
    assert [(f.valid_at, f.invalid_at) for f in writes] == [(NOW, None)]


def test_engine_on_graphiti_memory_erases_the_shoppers_graph(tmp_path: Path) -> None:
    from leafloaf.memory.graphiti import GraphitiMemory

    memory = GraphitiMemory(tmp_path / "graph.kuzu")
    engine = GraphitiPersonalizationEngine(CATALOG, memory=memory, clock=lambda: NOW)
    engine.record_many(_orders("ann", 4) + _orders("bob", 4))
    assert engine.sync_memory(timeout=120)
    assert memory.count("ann")["edges"] >= 3
    assert "you have bought Oat milk regularly since 2017-03-02" in [
        r.text for r in engine.explain("ann", "oat").reasons
    ]
    engine.forget_user("ann")
    assert memory.count("ann") == {"nodes": 0, "edges": 0}
    rows, _, _ = memory.run(
        memory.driver.execute_query("MATCH (n:Entity) WHERE n.name = 'ann' RETURN count(n) AS c")
    )
    assert rows[0]["c"] == 0  # type: ignore[call-overload]
    assert memory.count("bob")["edges"] >= 3
    engine.close()


def test_writes_do_not_hold_the_engine_write_lock() -> None:
    engine = _engine()
    engine.record_many(_orders("ann", 3))
    gate = threading.Event()
    inner = engine.memory.remember

    def slow(facts: Sequence[Fact]) -> int:
        gate.wait(10)
        return inner(facts)

    engine.memory.remember = slow  # type: ignore[method-assign]
    engine.sync_memory(wait=False)
    assert engine.record(Event.purchase("ann", "egg", ts=NOW)).accepted == 1
    gate.set()
    assert engine.sync_memory(timeout=60)
    engine.close()


class CountingMemory(InMemoryMemory):
    """The in-memory backend, noting the size of every ``remember`` call."""

    def __init__(self) -> None:
        super().__init__()
        self.sizes: list[int] = []

    def remember(self, facts: Sequence[Fact]) -> int:
        self.sizes.append(len(facts))
        return super().remember(facts)


def test_the_writer_fills_each_batch_across_groups_of_shoppers() -> None:
    from leafloaf.runtime.beliefs import BeliefWriter

    memory = CountingMemory()
    engine = GraphitiPersonalizationEngine(
        CATALOG, memory=memory, clock=lambda: NOW, config=EngineConfig(remember_beliefs=False)
    )
    engine.record_many([e for n in range(60) for e in _orders(f"u{n}", 4)])
    engine.fit()
    # 20 facts a batch: one shopper per group, so every batch gathers several groups
    writer = BeliefWriter(memory, engine._derive_beliefs, lambda: NOW, background=False,
                          batch_facts=20)  # fmt: skip
    writer.schedule(engine.users())
    held = sum(len(memory.history(u)) for u in engine.users())
    assert held == sum(memory.sizes) > 60  # every belief written, several per shopper
    assert all(size >= 20 for size in memory.sizes[:-1])  # only the last batch falls short
    assert len(memory.sizes) <= held // 20 + 1
    engine.close()
