"""Contract suite every StateStore passes; server-backed stores join the ``store`` fixture."""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from leafloaf import Event
from leafloaf.stores import InMemoryStore, SQLiteStore, StateStore, open_store
from leafloaf.stores.base import Op

ADD_MIN_MAX_LOG = (Op.ADD, Op.MIN, Op.MAX, Op.LOGADD)
T0 = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


@pytest.fixture(params=["memory", "sqlite", "redis", "spanner"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StateStore]:
    if request.param == "spanner":  # the real Cloud Spanner emulator (tests/conftest.py)
        yield request.getfixturevalue("spanner_store")
        return
    if request.param == "memory":
        instance: StateStore = InMemoryStore()
    elif request.param == "sqlite":
        instance = SQLiteStore(tmp_path / "state.db")
    else:  # a real redis-server, started once per session (tests/redis_server.py)
        from leafloaf.stores.redis import RedisStore

        instance = RedisStore(request.getfixturevalue("redis_url"))
    yield instance
    instance.close()


def _events(user: str, n: int) -> list[Event]:
    return [
        Event.purchase(
            user, f"p{i % 3}", quantity=i + 1, ts=T0 + timedelta(days=i), basket_id=f"b{i}"
        )
        for i in range(n)
    ]


def test_apply_combines_each_column_by_its_op(store: StateStore) -> None:
    store.apply({"u": {"r": (ADD_MIN_MAX_LOG, [1.0, 5.0, 5.0, 0.0])}})
    store.apply({"u": {"r": (ADD_MIN_MAX_LOG, [2.0, 3.0, 7.0, 0.0])}})
    row = store.rows("u")["r"]
    assert row[:3] == [3.0, 3.0, 7.0]
    assert row[3] == pytest.approx(math.log(2.0))


def test_apply_order_does_not_matter(store: StateStore) -> None:
    deltas = [[1.0, 4.0, 4.0, 1.0], [2.5, 1.0, 9.0, -2.0], [0.5, 7.0, 2.0, 3.0]]
    for delta in deltas:
        store.apply({"a": {"r": (ADD_MIN_MAX_LOG, delta)}})
    for delta in reversed(deltas):
        store.apply({"b": {"r": (ADD_MIN_MAX_LOG, delta)}})
    assert store.rows("a")["r"] == pytest.approx(store.rows("b")["r"])


def test_rows_of_unknown_user_are_empty_and_copies(store: StateStore) -> None:
    assert store.rows("nobody") == {}
    store.apply({"u": {"r": ((Op.ADD,), [1.0])}})
    store.rows("u")["r"][0] = 99.0
    assert store.rows("u")["r"] == [1.0]


def test_append_events_reports_new_ids_and_ignores_duplicates(store: StateStore) -> None:
    events = _events("u", 3)
    assert store.append_events(events) == [True, True, True]
    assert store.append_events([events[1], events[1]]) == [False, False]
    fresh = Event.purchase("u", "p9", ts=T0)
    assert store.append_events([fresh, fresh]) == [True, False]
    assert store.event_count() == 4


def test_events_round_trip_in_log_order(store: StateStore) -> None:
    events = _events("u", 4) + _events("v", 2)
    store.append_events(events)
    back = list(store.events("u"))
    assert [e.event_id for e in back] == [e.event_id for e in events[:4]]
    for original, stored in zip(events, back, strict=False):
        assert stored.ts == original.ts
        assert stored.quantity == original.quantity
        assert stored.basket_id == original.basket_id
        assert stored.type is original.type
    assert len(list(store.events())) == 6
    assert len(list(store.records())) == 6


def test_users_lists_everyone_with_rows_or_events(store: StateStore) -> None:
    store.apply({"a": {"r": ((Op.ADD,), [1.0])}})
    store.append_events(_events("b", 1))
    assert set(store.users()) == {"a", "b"}


def test_forget_user_erases_rows_and_events_of_that_user_only(store: StateStore) -> None:
    store.append_events(_events("a", 3) + _events("b", 2))
    store.apply({"a": {"r": ((Op.ADD,), [1.0])}, "b": {"r": ((Op.ADD,), [2.0])}})
    store.forget_user("a")
    assert store.rows("a") == {}
    assert list(store.events("a")) == []
    assert store.rows("b") == {"r": [2.0]}
    assert store.event_count() == 2
    assert set(store.users()) == {"b"}


def test_transaction_groups_writes(store: StateStore) -> None:
    with store.transaction():
        store.append_events(_events("u", 2))
        store.apply({"u": {"r": ((Op.ADD,), [1.0])}})
    assert store.event_count() == 2
    assert store.rows("u") == {"r": [1.0]}


def test_open_store_by_name(tmp_path: Path) -> None:
    assert isinstance(open_store("memory"), InMemoryStore)
    sqlite = open_store("sqlite", path=str(tmp_path / "x.db"))
    assert isinstance(sqlite, SQLiteStore)
    sqlite.close()


class _BoomError(Exception):
    pass


@pytest.mark.parametrize("interrupt", [_BoomError, KeyboardInterrupt])
def test_a_failed_transaction_leaves_nothing_behind(
    store: StateStore, interrupt: type[BaseException]
) -> None:
    events = _events("u", 4)
    store.append_events(events[:2])
    store.apply({"u": {"r": ((Op.ADD,), [1.0])}})
    with pytest.raises(interrupt), store.transaction():
        assert store.append_events(events) == [False, False, True, True]
        store.apply({"u": {"r": ((Op.ADD,), [5.0])}, "v": {"r": ((Op.ADD,), [1.0])}})
        store.forget_user("u")
        raise interrupt()
    assert store.event_count() == 2 and store.rows("u") == {"r": [1.0]}
    assert store.rows("v") == {} and set(store.users()) == {"u"}


def test_writes_inside_a_transaction_commit_together(store: StateStore) -> None:
    with store.transaction():
        store.append_events(_events("u", 3))
        store.apply({"u": {"r": ((Op.ADD,), [3.0])}})
    assert store.event_count() == 3 and store.rows("u") == {"r": [3.0]}


def test_a_snapshot_does_not_see_later_writes(store: StateStore) -> None:
    store.append_events(_events("u", 2))
    store.apply({"u": {"r": ((Op.ADD,), [1.0])}})
    snapshot = store.snapshot()
    store.append_events(_events("w", 3))
    store.apply({"u": {"r": ((Op.ADD,), [1.0])}, "w": {"r": ((Op.ADD,), [1.0])}})
    try:
        assert snapshot.users() == ["u"]
        assert list(snapshot.rows("u")["r"]) == [1.0]
        assert snapshot.event_count() == 2 and len(list(snapshot.records())) == 2
    finally:
        snapshot.close()
    assert store.rows("u")["r"] == [2.0]


def test_replace_rows_and_forget_events(store: StateStore) -> None:
    events = _events("u", 3)
    store.append_events(events)
    store.apply({"u": {"a": ((Op.ADD,), [1.0]), "b": ((Op.ADD,), [2.0])}})
    store.replace_rows("u", {"c": [7.0, 8.0]})
    assert store.rows("u") == {"c": [7.0, 8.0]}
    store.forget_events([events[1].event_id])
    assert [e.event_id for e in store.events("u")] == [events[0].event_id, events[2].event_id]
    assert store.append_events([events[1]]) == [True]  # an erased id is unknown again


def test_mentioning_finds_other_accounts_naming_a_member(store: StateStore) -> None:
    shared = Event.purchase("fam", "p1", member_id="kid", ts=T0, event_id="m1")
    store.append_events([shared, *_events("kid", 1), *_events("fam", 1)])
    assert [e.event_id for e in store.mentioning("kid")] == ["m1"]
