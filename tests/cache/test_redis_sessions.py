"""RedisSessionStore beyond the contract suite: an unreachable server, and the assistant on it."""

from __future__ import annotations

import socket
from datetime import UTC, datetime

import pytest

from leafloaf import (
    Catalog,
    Event,
    GraphitiPersonalizationEngine,
    Product,
    SessionState,
    StoreUnavailableError,
)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_an_unreachable_server_raises_store_unavailable_and_health_says_down() -> None:
    from leafloaf import RedisSessionStore

    store = RedisSessionStore(f"redis://127.0.0.1:{_closed_port()}/0", timeout_s=0.2)
    with pytest.raises(StoreUnavailableError, match="redis session store"):
        store.save(SessionState(session_id="s1", user_id="ann"))
    with pytest.raises(StoreUnavailableError):
        store.load("s1")
    health = store.health()
    assert health.status == "down" and health.kind == "sessions" and health.last_error
    store.close()


def test_sessions_are_shared_by_two_clients(redis_url: str) -> None:
    from leafloaf import RedisSessionStore

    one, two = RedisSessionStore(redis_url), RedisSessionStore(redis_url)
    one.save(SessionState(session_id="s1", user_id="ann", turns=3))
    loaded = two.load("s1")
    assert loaded is not None and loaded.turns == 3
    assert two.forget_user("ann") == 1 and one.load("s1") is None
    one.close()
    two.close()


def test_the_assistant_answers_when_its_session_store_is_down() -> None:
    pytest.importorskip("sklearn", reason="the assistant extra is in the dev install")
    from leafloaf import Assistant, RedisSessionStore

    catalog = Catalog(
        [
            Product(product_id="1", name="Organic Whole Milk", categories=("dairy",)),
            Product(product_id="2", name="Bananas", categories=("produce",)),
        ]
    )
    engine = GraphitiPersonalizationEngine(catalog)
    engine.record(
        Event(user_id="ann", type="purchase", product_id="1", basket_id="b1", ts=datetime.now(UTC))
    )
    sessions = RedisSessionStore(f"redis://127.0.0.1:{_closed_port()}/0", timeout_s=0.2)
    assistant = Assistant(engine, sessions=sessions)
    reply = assistant.reply("ann", "add milk")
    assert [line.product_id for line in reply.cart.lines] == ["1"]
    assert reply.session  # a session id is still handed back
    sessions.close()
    engine.close()
