"""Contract suite every SessionStore passes: in memory, SQLite, and Redis on a real server."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leafloaf import (
    ConfigError,
    InMemorySessionStore,
    Intent,
    PendingAction,
    SessionState,
    SessionStore,
    SQLiteSessionStore,
)


@pytest.fixture(params=["memory", "sqlite", "redis"])
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def open_store(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[Callable[..., SessionStore]]:
    """Opens a store of this kind (a real redis-server for ``redis``); closes them after."""
    opened: list[SessionStore] = []

    def _open(ttl: float | None = 3600) -> SessionStore:
        if kind == "memory":
            instance: SessionStore = InMemorySessionStore(ttl=ttl)
        elif kind == "sqlite":
            instance = SQLiteSessionStore(tmp_path / "sessions.db", ttl=ttl)
        else:
            from leafloaf import RedisSessionStore

            instance = RedisSessionStore(request.getfixturevalue("redis_url"), ttl=ttl)
        opened.append(instance)
        return instance

    yield _open
    for instance in opened:
        close = getattr(instance, "close", None)
        if close is not None:
            close()


@pytest.fixture
def store(open_store: Callable[..., SessionStore]) -> SessionStore:
    return open_store()


def _state(sid: str = "s1", user: str = "ann", **extra: object) -> SessionState:
    return SessionState(session_id=sid, user_id=user, **extra)  # type: ignore[arg-type]


def test_unknown_session_is_none(store: SessionStore) -> None:
    assert store.load("nope") is None


def test_save_then_load_round_trips_every_field(store: SessionStore) -> None:
    state = _state(
        turns=4,
        last_results=["p1", "p2"],
        focus="p2",
        pending=PendingAction(intent=Intent.ADD, quantity=2, candidates=["p1", "p2"]),
        history=["add: add milk"],
    )
    store.save(state)
    assert store.load("s1") == state


def test_save_replaces_and_load_returns_a_copy(store: SessionStore) -> None:
    store.save(_state(turns=1))
    loaded = store.load("s1")
    assert loaded is not None
    loaded.turns = 99
    assert store.load("s1").turns == 1  # type: ignore[union-attr]
    store.save(_state(turns=2))
    assert store.load("s1").turns == 2  # type: ignore[union-attr]


def test_delete_and_forget_user(store: SessionStore) -> None:
    store.save(_state("a1", "ann"))
    store.save(_state("a2", "ann"))
    store.save(_state("b1", "bob"))
    store.delete("a1")
    store.delete("never-there")
    assert store.load("a1") is None
    assert store.forget_user("ann") == 1
    assert store.load("a2") is None
    assert store.load("b1") is not None
    assert store.forget_user("ann") == 0


def test_sessions_expire_after_ttl(open_store: Callable[..., SessionStore]) -> None:
    store = open_store(ttl=0.05)
    store.save(_state())
    assert store.load("s1") is not None
    time.sleep(0.12)
    assert store.load("s1") is None


def test_bad_ttl_is_a_config_error(open_store: Callable[..., SessionStore]) -> None:
    with pytest.raises(ConfigError) as err:
        open_store(ttl=0)
    assert err.value.field == "ttl"


def test_health_is_ok_and_can_say_down(store: SessionStore) -> None:
    health = store.health()
    assert health.kind == "sessions" and health.status == "ok"
    close = getattr(store, "close", None)
    if close is not None:  # a store with a connection reports it gone
        close()
        assert store.health().status == "down"


def test_many_threads_save_and_load(store: SessionStore) -> None:
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for i in range(30):
                store.save(_state(f"s{n}", f"u{n}", turns=i))
                assert store.load(f"s{n}").turns == i  # type: ignore[union-attr]
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors


TEXT = st.text(min_size=1, max_size=30)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    sid=TEXT,
    user=TEXT,
    results=st.lists(TEXT, max_size=5),
    history=st.lists(st.text(max_size=50), max_size=6),
)
def test_any_state_round_trips(
    store: SessionStore, sid: str, user: str, results: list[str], history: list[str]
) -> None:
    state = _state(sid, user, last_results=results, history=history)
    store.save(state)
    assert store.load(sid) == state


def test_a_session_moved_to_another_shopper_is_forgotten_with_its_new_owner(
    store: SessionStore,
) -> None:
    store.save(_state("s1", "ann"))
    store.save(_state("s1", "bob"))
    assert store.forget_user("ann") == 0
    assert store.load("s1") is not None
    assert store.forget_user("bob") == 1
    assert store.load("s1") is None
