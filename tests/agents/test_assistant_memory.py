"""The assistant cites what memory holds about a shopper, with dates, and invents nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from leafloaf import Assistant, Catalog, Event, GraphitiPersonalizationEngine, Product
from leafloaf.memory.base import InMemoryMemory, MemoryBackend
from leafloaf.models import Fact
from tests.agents.world import PRODUCTS, T0

NOW = T0 + timedelta(days=60)


@pytest.fixture(params=["memory", "graphiti"])
def memory(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[MemoryBackend]:
    if request.param == "memory":
        yield InMemoryMemory()
        return
    from leafloaf.memory.graphiti import GraphitiMemory

    graph = GraphitiMemory(tmp_path / "graph.kuzu")
    yield graph


@pytest.fixture
def assistant(memory: MemoryBackend) -> Iterator[Assistant]:
    catalog = Catalog(
        Product(product_id=p, name=n, categories=c, price=2.0) for p, n, c in PRODUCTS
    )
    engine = GraphitiPersonalizationEngine(catalog, memory=memory, clock=lambda: NOW)
    events = []
    for week in range(6):  # "ann" buys oat milk, three at a time, and bananas, from T0 on
        ts = T0 + timedelta(days=7 * week)
        events.append(Event.purchase("ann", "1", quantity=3, ts=ts, basket_id=f"a{week}"))
        events.append(Event.purchase("ann", "5", ts=ts, basket_id=f"a{week}"))
    events.append(Event.purchase("bob", "1", ts=T0, basket_id="b0"))  # once: not "regularly"
    engine.record_many(events)
    assert engine.sync_memory(timeout=120)
    yield Assistant(engine)
    engine.close()


def test_a_reply_cites_a_regular_purchase_with_its_date(assistant: Assistant) -> None:
    since = "you have bought Oat Milk regularly since 2026-01-05"
    found = assistant.reply("ann", "show me oat milk")
    oat = next(p for p in found.products if p.product_id == "1")
    assert oat.reasons[0].code == "remembered"
    assert oat.reasons[0].params == {
        "citation": since,
        "relation": "buys_regularly",
        "subject": "product:1",
        "since": "2026-01-05",
    }
    assert since in found.text
    added = assistant.reply("ann", "add oat milk")
    assert added.cart.summary() == {"1": 3.0}
    assert f"(you usually take 3; {since})" in added.text
    usual = assistant.reply("ann", "what's my usual order")
    assert since in usual.text and "you have bought Bananas regularly since 2026-01-05" in (
        usual.text
    )


def test_no_memory_no_citation(assistant: Assistant) -> None:
    for user in ("bob", "newbie"):  # bob bought once (no belief); newbie never
        for message in ("show me oat milk", "add oat milk"):
            reply = assistant.reply(user, message)
            codes = {r.code for p in reply.products for r in p.reasons}
            assert "remembered" not in codes
            assert "since" not in reply.text
    assert assistant.engine.current_beliefs("bob") == []


def test_a_declared_avoidance_is_cited_with_the_day_it_was_said(assistant: Assistant) -> None:
    said = assistant.reply("dee", "i'm vegetarian")
    assert assistant.engine.sync_memory(["dee"], timeout=120)
    found = assistant.reply("dee", "show me chicken", session=said.session)
    assert all(p.product_id != "6" for p in found.products)
    assert "skipped: you told us on 2026-03-06 that you avoid meat seafood" in found.text
    assert "you told us" not in assistant.reply("ann", "show me chicken").text


def test_one_recall_per_clause(assistant: Assistant, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = assistant.engine
    calls: list[str] = []
    real = engine.current_beliefs

    def counted(user_id: str) -> list[object]:
        calls.append(user_id)
        return real(user_id)  # type: ignore[return-value]

    monkeypatch.setattr(engine, "current_beliefs", counted)
    reply = assistant.reply("ann", "show me milk")
    assert len(reply.products) >= 2
    assert calls == ["ann"]


class _DownMemory(InMemoryMemory):
    """A real in-memory backend whose reads fail (fault injection)."""

    def recall(self, *args: object, **kwargs: object) -> list[Fact]:
        raise ConnectionError("memory is down")


def test_a_memory_outage_costs_the_citations_not_the_answer() -> None:
    catalog = Catalog(Product(product_id=p, name=n, categories=c) for p, n, c in PRODUCTS)
    engine = GraphitiPersonalizationEngine(catalog, memory=_DownMemory(), clock=lambda: NOW)
    engine.record_many(
        Event.purchase("ann", "1", ts=T0 + timedelta(days=7 * w), basket_id=f"a{w}")
        for w in range(4)
    )
    reply = Assistant(engine).reply("ann", "show me oat milk")
    assert reply.products and reply.products[0].product_id == "1"
    assert "remembered" not in {r.code for p in reply.products for r in p.reasons}
    engine.close()
