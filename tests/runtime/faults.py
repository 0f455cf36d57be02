"""Shared pieces for runtime tests: a small real catalog, histories, fault-injecting stores."""

from __future__ import annotations

import random
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from leafloaf import Catalog, Event, GraphitiPersonalizationEngine, Product, StoreUnavailableError
from leafloaf.datasets import Dataset, load_instacart
from leafloaf.stores import InMemoryStore, SQLiteStore
from leafloaf.stores.base import RowDelta, StateStore

T0 = datetime(2026, 1, 5, 9, tzinfo=UTC)
CATALOG = Catalog(
    [
        Product(product_id=f"p{i}", name=f"P{i}", categories=(f"d{i % 3}", f"a{i % 5}"))
        for i in range(20)
    ]
)
SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "instacart_1k"
SAMPLE = Path(__file__).resolve().parents[2] / "examples" / "data" / "instacart_sample"


def history(users: int = 30, orders: int = 8, seed: int = 1) -> list[Event]:
    """Purchases, views and searches of ``users`` shoppers with known ids."""
    rng = random.Random(seed)
    out: list[Event] = []
    for u in range(users):
        for o in range(orders):
            ts = T0 + timedelta(days=7 * o + u % 5, hours=u % 9)
            for p in rng.sample(range(20), 4):
                out.append(
                    Event.purchase(
                        f"u{u}",
                        f"p{p}",
                        quantity=float(rng.choice([1, 1, 2])),
                        unit_price=rng.choice([None, 1.5, 3.0]),
                        basket_id=f"u{u}-o{o}",
                        ts=ts,
                        event_id=f"u{u}-o{o}-p{p}",
                    )
                )
            out.append(Event.view(f"u{u}", f"p{o}", ts=ts, event_id=f"u{u}-v{o}"))
            out.append(Event.search(f"u{u}", f"item {o}", ts=ts, event_id=f"u{u}-s{o}"))
    return out


def state(engine: GraphitiPersonalizationEngine) -> dict[str, dict[str, list[float]]]:
    return {u: engine.store.rows(u) for u in sorted(set(engine.store.users()))}


def assert_same_state(a: GraphitiPersonalizationEngine, b: GraphitiPersonalizationEngine) -> None:
    sa, sb = state(a), state(b)
    assert sa.keys() == sb.keys()
    for user in sa:
        assert sa[user].keys() == sb[user].keys(), user
        for key in sa[user]:
            assert sa[user][key] == pytest.approx(sb[user][key], rel=1e-9, abs=1e-9), (user, key)


def reference(events: Sequence[Event], catalog: Catalog = CATALOG) -> GraphitiPersonalizationEngine:
    engine = GraphitiPersonalizationEngine(catalog)
    engine.record_many(events)
    return engine


def real_events(limit: int) -> Dataset:
    """Real Instacart events: the shared 1k-shopper set when beside the project, else the sample."""
    data = load_instacart(SHARED if SHARED.is_dir() else SAMPLE)
    data.events = data.events[:limit]
    return data


class FaultyStore(StateStore):
    """Wraps a real store and fails chosen calls: outages, data errors or a Ctrl-C.

    ``plan`` maps a call number (counting every write call: ``append_events``, ``apply``)
    to the exception raised on that call, so a test can fail any step of any commit.
    """

    def __init__(self, inner: StateStore, plan: Mapping[int, BaseException] | None = None) -> None:
        self.inner = inner
        self.name = inner.name  # type: ignore[misc]
        self.plan = dict(plan or {})
        self.calls = 0
        self.down = False

    def _step(self) -> None:
        self.calls += 1
        if self.down:
            raise StoreUnavailableError("store offline")
        fault = self.plan.pop(self.calls, None)
        if fault is not None:
            raise fault

    @contextmanager
    def transaction(self) -> Iterator[None]:
        with self.inner.transaction():
            yield

    def apply(self, updates: Mapping[str, Mapping[str, RowDelta]]) -> None:
        self._step()
        self.inner.apply(updates)

    def append_events(self, events: Sequence[Event]) -> list[bool]:
        self._step()
        return self.inner.append_events(events)

    def rows(self, user_id: str) -> dict[str, list[float]]:
        return self.inner.rows(user_id)

    def rows_view(self, user_id: str) -> Mapping[str, Sequence[float]]:
        return self.inner.rows_view(user_id)

    def replace_rows(self, user_id: str, rows: Mapping[str, Sequence[float]]) -> None:
        self.inner.replace_rows(user_id, rows)

    def users(self) -> Iterator[str]:
        return self.inner.users()

    def events(self, user_id: str | None = None) -> Iterator[Event]:
        return self.inner.events(user_id)

    def event_count(self) -> int:
        return self.inner.event_count()

    def forget_user(self, user_id: str) -> None:
        self.inner.forget_user(user_id)

    def forget_events(self, event_ids: Sequence[str]) -> None:
        self.inner.forget_events(event_ids)

    def snapshot(self):  # type: ignore[no-untyped-def]
        return self.inner.snapshot()

    def close(self) -> None:
        self.inner.close()


def make_store(kind: str, tmp_path: Path) -> StateStore:
    return InMemoryStore() if kind == "memory" else SQLiteStore(tmp_path / "state.db")
