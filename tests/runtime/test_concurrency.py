"""Threads, asyncio, other processes and the refitter: reads stay correct and never wait."""

from __future__ import annotations

import asyncio
import random
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from leafloaf import EngineConfig, Event, GraphitiPersonalizationEngine
from leafloaf.learning import population as population_module
from tests.runtime.faults import (
    CATALOG,
    T0,
    assert_same_state,
    history,
    real_events,
    reference,
)


@pytest.fixture(autouse=True)
def _fast_switching() -> Any:
    """Switch threads every 5 µs (default 5 ms) so races show up in a short test."""
    interval = sys.getswitchinterval()
    sys.setswitchinterval(5e-6)
    yield
    sys.setswitchinterval(interval)


def _run(threads: list[Callable[[], None]]) -> list[BaseException]:
    errors: list[BaseException] = []

    def guard(work: Callable[[], None]) -> None:
        try:
            work()
        except BaseException as exc:  # collected and asserted on below
            errors.append(exc)

    running = [threading.Thread(target=guard, args=(w,)) for w in threads]
    for t in running:
        t.start()
    for t in running:
        t.join()
    return errors


def _every_read(engine: GraphitiPersonalizationEngine, user: str, pids: list[str]) -> None:
    engine.usual_order(user)
    engine.next_basket(user, at=T0)
    engine.reorder_due(user, at=T0)
    engine.dietary_profile(user)
    engine.complements(user, pids[:2])
    engine.suggest_quantity(user, pids[0])
    engine.budget_profile(user)
    engine.household_profile(user)
    list(engine.rerank(user, pids))
    engine.explain(user, pids[0])
    engine.preferences(user)


def test_eight_writers_and_eight_readers_on_real_events_match_one_thread() -> None:
    data = real_events(100_000)
    events = data.events
    users = sorted({e.user_id for e in events})
    pids = sorted({e.product_id for e in events[:2000] if e.product_id})[:30]
    engine = GraphitiPersonalizationEngine(
        data.catalog, config=EngineConfig(batch_size=500, refit_fraction=0.05)
    )
    engine.record_many(events[:5000])
    engine.fit()
    done = threading.Event()
    shards = [events[5000 + i :: 8] for i in range(8)]

    def writer(shard: list[Event]) -> Callable[[], None]:
        return lambda: engine.record_many(shard) and None

    def reader(seed: int) -> Callable[[], None]:
        def work() -> None:
            rng = random.Random(seed)
            while not done.is_set():
                _every_read(engine, rng.choice(users), pids)

        return work

    readers = [threading.Thread(target=reader(i)) for i in range(8)]
    errors: list[BaseException] = []
    for t in readers:
        t.start()
    errors += _run([writer(s) for s in shards])
    done.set()
    for t in readers:
        t.join()
    assert errors == []
    single = GraphitiPersonalizationEngine(data.catalog)
    single.record_many(events)
    assert_same_state(engine, single)
    engine.close()


def _forget_while_busy(
    engine: GraphitiPersonalizationEngine, victim: str, others: list[Event]
) -> None:
    stop = threading.Event()

    def read_victim() -> None:
        while not stop.is_set():
            engine.usual_order(victim)
            list(engine.rerank(victim, CATALOG.ids))

    reader = threading.Thread(target=read_victim)
    reader.start()
    errors = _run([lambda: engine.record_many(others) and None, lambda: engine.forget_user(victim)])
    stop.set()
    reader.join()
    assert errors == []


def test_forget_racing_writes_and_reads_leaves_no_trace_of_the_shopper() -> None:
    base = history(users=12)
    victim = "u3"
    for trial in range(25):
        engine = GraphitiPersonalizationEngine(CATALOG)
        engine.record_many(base)
        engine.fit()
        others = [e for e in history(users=12, seed=trial + 5) if e.user_id != victim]
        _forget_while_busy(engine, victim, others)
        assert engine.usual_order(victim).orders_seen == 0
        assert engine.memory.recall(victim) == []
        assert victim not in engine.users()
        pop = engine.population  # the same 11 other shoppers, whichever fit is current
        assert pop.n_users == 11
        assert pop.household is not None and victim not in pop.household.population_users
        nb = pop.neighbourhood
        assert nb is not None
        row = nb.user_index.get(victim)
        assert row is None or not nb.row_values[nb.row_starts[row] : nb.row_starts[row + 1]].any()
        engine.close()


def test_forget_subtracts_the_shopper_from_population_counts_at_once() -> None:
    events = history(users=12)
    engine = GraphitiPersonalizationEngine(CATALOG, config=EngineConfig(background_refit=False))
    engine.record_many(events)
    engine.fit()
    engine.forget_user("u3")
    after = engine.population  # no refit: background refits are off here
    without = reference([e for e in events if e.user_id != "u3"]).fit()
    assert after.n_users == without.n_users
    assert after.item_lines == pytest.approx(
        {k: v for k, v in without.item_lines.items()}
        | {k: 0.0 for k in after.item_lines if k not in without.item_lines}
    )
    co_a, co_b = after.cooccurrence, without.cooccurrence
    for a in CATALOG.ids:
        assert co_a.count(a) == co_b.count(a)
        for b in CATALOG.ids:
            assert co_a.together_count(a, b) == co_b.together_count(a, b)


def test_reads_never_wait_for_a_refit(monkeypatch: pytest.MonkeyPatch) -> None:
    engine = GraphitiPersonalizationEngine(CATALOG)
    engine.record_many(history(users=12))
    engine.fit()
    entered, release = threading.Event(), threading.Event()
    real_fit = population_module.fit_population

    def slow_fit(*args: Any, **kwargs: Any) -> Any:
        entered.set()
        release.wait(30)
        return real_fit(*args, **kwargs)

    monkeypatch.setattr("leafloaf.engine.fit_population", slow_fit)
    engine.record_many(history(users=12, seed=4))  # log grew > 5 %: background refit starts
    assert entered.wait(10)
    # the refit is blocked inside the fit: every read still answers, from the last model
    before = engine.population
    assert engine.usual_order("u1").items and list(engine.rerank("u1", CATALOG.ids))
    assert engine.population is before
    release.set()
    assert engine._refitter.wait(10)
    assert engine.population is not before


def test_many_stale_readers_cause_one_refit() -> None:
    engine = GraphitiPersonalizationEngine(CATALOG)
    engine.record_many(history(users=12))
    engine.fit()
    fits = engine._refitter.fits
    engine.record_many(history(users=12, seed=3))
    errors = _run([lambda: engine.usual_order("u1") and None for _ in range(4)])
    assert errors == []
    assert engine._refitter.wait(10)
    assert engine._refitter.fits == fits + 1


def test_sqlite_readers_see_another_process_commits(tmp_path: Path) -> None:
    db = tmp_path / "shop.db"
    writer = GraphitiPersonalizationEngine(CATALOG, store="sqlite", path=db)
    reader = GraphitiPersonalizationEngine(CATALOG, store="sqlite", path=db)
    events = history(users=3)
    writer.record_many(events[:20])
    seen = reader.usual_order("u0").orders_seen
    writer.record_many(events[20:])
    assert reader.usual_order("u0").orders_seen > seen
    assert reader.usual_order("u0").orders_seen == writer.usual_order("u0").orders_seen


def test_the_async_surface_answers_like_the_engine() -> None:
    engine = GraphitiPersonalizationEngine(CATALOG)

    async def main() -> tuple[Any, ...]:
        report = await engine.aio.record_many(history(users=12))
        ranking, usual = await asyncio.gather(
            engine.aio.rerank("u1", CATALOG.ids), engine.aio.usual_order("u1")
        )
        return report, ranking, usual

    report, ranking, usual = asyncio.run(main())
    assert report.accepted == len(history(users=12))
    assert ranking.product_ids == engine.rerank("u1", CATALOG.ids).product_ids
    assert usual == engine.usual_order("u1")
    with pytest.raises(AttributeError):
        engine.aio.no_such_method  # noqa: B018


def test_async_calls_run_on_the_engines_workers_with_the_callers_context() -> None:
    import contextvars

    request: contextvars.ContextVar[str] = contextvars.ContextVar("request", default="none")
    engine = GraphitiPersonalizationEngine(CATALOG)
    seen: list[tuple[str, str]] = []
    real_users = engine.users

    def users() -> list[str]:
        seen.append((threading.current_thread().name, request.get()))
        return real_users()

    engine.users = users  # type: ignore[method-assign]

    async def main() -> None:
        request.set("r-17")
        await engine.aio.users()
        await engine.aio.users()

    asyncio.run(main())
    assert [ctx for _, ctx in seen] == ["r-17", "r-17"]
    assert all(name.startswith("leafloaf-aio-") for name, _ in seen)
    assert engine.aio.__dict__["users"] is engine.aio.users  # built once, then cached


def test_closing_from_inside_the_async_surface_does_not_wait_for_itself() -> None:
    engine = GraphitiPersonalizationEngine(CATALOG)

    async def main() -> int:
        report = await engine.aio.record_many(history(users=3))
        await asyncio.wait_for(engine.aio.close(), timeout=30)
        return report.accepted

    assert asyncio.run(main()) == len(history(users=3))
    assert engine.aio._executor is None  # the workers were let go


def test_answers_do_not_depend_on_arrival_order() -> None:
    events = history(users=14)
    shuffled = list(events)
    random.Random(3).shuffle(shuffled)
    a, b = reference(events), reference(shuffled)
    a.fit()
    b.fit()
    for user in sorted({e.user_id for e in events}):
        assert a.household_profile(user).shared_probability == pytest.approx(
            b.household_profile(user).shared_probability, abs=1e-9
        )
        assert a.next_basket(user, at=T0).product_ids == b.next_basket(user, at=T0).product_ids
        assert a.dietary_profile(user) == b.dietary_profile(user)
