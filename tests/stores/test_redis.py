"""RedisStore against a real redis-server: engine results, sharing, erasure, health, faults."""

from __future__ import annotations

import socket
import time
import uuid
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leafloaf import (
    ConfigError,
    EngineConfig,
    Event,
    GraphitiPersonalizationEngine,
    StoreUnavailableError,
)
from leafloaf.bench.servers import RedisServer, find_redis_server
from leafloaf.stores import open_store
from leafloaf.stores.base import Op
from leafloaf.stores.redis import RedisStore
from tests.runtime.faults import CATALOG, assert_same_state, history, reference
from tests.test_engine_invariants import CATALOG as INVARIANT_CATALOG
from tests.test_engine_invariants import event_strategy


def _keys(url: str) -> list[bytes]:
    store = RedisStore(url)
    try:
        return sorted(store._client.keys("*"))
    finally:
        store.close()


def test_an_engine_on_redis_learns_the_same_state_as_in_memory(redis_url: str) -> None:
    events = history(users=12)
    engine = GraphitiPersonalizationEngine(CATALOG, store="redis", url=redis_url)
    report = engine.record_many(events)
    assert report.accepted == len(events)
    assert engine.record_many(events[:50]).duplicates == 50  # replays change nothing
    assert_same_state(engine, reference(events))
    mine, theirs = engine.usual_order("u3").items, reference(events).usual_order("u3").items
    assert [i.product_id for i in mine] == [i.product_id for i in theirs]
    assert [i.score for i in mine] == pytest.approx([i.score for i in theirs], rel=1e-12)
    engine.close()


def test_two_processes_sharing_a_server_see_each_others_commits(redis_url: str) -> None:
    writer = GraphitiPersonalizationEngine(CATALOG, store="redis", url=redis_url)
    reader = GraphitiPersonalizationEngine(CATALOG, store="redis", url=redis_url)
    events = history(users=2)
    writer.record_many(events[:10])
    before = reader.shopper_stats("u0").baskets
    writer.record_many(events[10:])
    assert reader.shopper_stats("u0").baskets != before
    assert reader.store.event_count() == len(events)
    writer.close()
    reader.close()


def test_forget_user_leaves_no_key_and_no_mention_of_the_shopper(redis_url: str) -> None:
    engine = GraphitiPersonalizationEngine(CATALOG, store="redis", url=redis_url)
    engine.record_many(history(users=3))
    engine.record(Event.purchase("u1", "p1", member_id="kid-7", event_id="m1"))
    engine.record(Event.purchase("u2", "p2", household_id="u0", event_id="m2"))
    assert [e.event_id for e in engine.store.mentioning("u0")] == ["m2"]
    engine.forget_user("u0")
    engine.store.forget_user("kid-7")
    keys = _keys(redis_url)
    assert not [k for k in keys if k.endswith((b":u0", b":kid-7"))], keys
    assert engine.store.mentioning("u0") == []
    assert "u0" not in set(engine.store.users())
    assert "m2" not in {e.event_id for e in engine.store.events()}
    assert engine.store.event_count() == len(list(engine.store.events()))
    engine.close()


def test_namespaces_keep_stores_apart(redis_url: str) -> None:
    a = RedisStore(redis_url, namespace="a")
    b = RedisStore(redis_url, namespace="b")
    a.apply({"u": {"r": ((Op.ADD,), [1.0])}})
    assert b.rows("u") == {} and a.rows("u") == {"r": [1.0]}
    with pytest.raises(ConfigError, match="namespace"):
        RedisStore(redis_url, namespace="x}")
    a.close()
    b.close()


def test_a_concurrent_writer_logging_the_same_id_fails_the_commit_as_an_outage(
    redis_url: str,
) -> None:
    events = history(users=1)[:3]
    first, second = RedisStore(redis_url), RedisStore(redis_url)
    with pytest.raises(StoreUnavailableError, match="another writer"), first.transaction():
        assert first.append_events(events) == [True, True, True]
        second.append_events(events[:1])  # commits between first's check and its commit
    assert first.event_count() == 1
    first.close()
    second.close()


def test_open_store_rejects_unknown_options_and_bad_urls() -> None:
    with pytest.raises(ConfigError, match="urll"):
        open_store("redis", urll="redis://x")
    with pytest.raises(ConfigError, match="url"):
        RedisStore("http://not-redis")


@pytest.fixture
def own_server(tmp_path: Path) -> RedisServer:
    binary = find_redis_server()
    assert binary is not None
    server = RedisServer(binary, tmp_path / "redis", persist=True)
    server.start()
    yield server  # type: ignore[misc]
    server.stop()


def test_health_reports_down_and_an_open_breaker_when_the_server_dies(
    own_server: RedisServer,
) -> None:
    store = RedisStore(own_server.url, failure_threshold=2, reset_timeout_s=0.2, timeout_s=1)
    healthy = store.health()
    assert healthy.status == "ok" and healthy.breaker == "closed"
    assert "append-only" in healthy.detail
    store.apply({"u": {"r": ((Op.ADD,), [1.0])}})
    own_server.kill()
    for _ in range(2):
        with pytest.raises(StoreUnavailableError):
            store.rows("u")
    down = store.health()
    assert down.status == "down" and down.breaker == "open" and down.last_error
    with pytest.raises(StoreUnavailableError, match="circuit open"):
        store.rows("u")  # fails fast, without touching the socket
    own_server.start()
    time.sleep(0.3)  # the breaker's pause: the next call is its half-open trial
    assert store.rows("u") == {"r": [1.0]}  # the append-only file kept it; half open → closed
    assert store.health().breaker == "closed"
    store.close()


def test_the_fixture_server_answers_plain_sockets(redis_server: RedisServer) -> None:
    with socket.create_connection(("127.0.0.1", redis_server.port), timeout=5) as sock:
        sock.sendall(b"PING\r\n")
        assert sock.recv(16) == b"+PONG\r\n"


@settings(max_examples=25, deadline=None)
@given(st.lists(event_strategy, max_size=40), st.data())
def test_on_redis_duplicates_in_any_batching_are_no_ops(
    redis_server: RedisServer, events: list[Event], data: st.DataObject
) -> None:
    repeats = data.draw(st.lists(st.sampled_from(events), max_size=20)) if events else []
    noisy = list(events) + repeats
    data.draw(st.randoms()).shuffle(noisy)
    batch = data.draw(st.integers(1, 16))
    store = RedisStore(redis_server.url, namespace=f"hyp{uuid.uuid4().hex}")
    engine = GraphitiPersonalizationEngine(
        INVARIANT_CATALOG, store=store, config=EngineConfig(batch_size=batch)
    )
    engine.record_many(noisy)
    clean = GraphitiPersonalizationEngine(INVARIANT_CATALOG)
    clean.record_many(events)
    assert_same_state(engine, clean)
    assert store.event_count() == len({e.event_id for e in events})
    store.forget_user("u0")
    store.forget_user("u1")
    store.forget_user("u2")
    assert store.event_count() == 0 and list(store.users()) == []
    engine.close()


def test_an_erasure_is_rewritten_out_of_the_append_only_file(own_server: RedisServer) -> None:
    engine = GraphitiPersonalizationEngine(CATALOG, store="redis", url=own_server.url)
    engine.record(Event.purchase("secret-shopper-42", "p1", event_id="e-secret"))
    engine.record(Event.purchase("ann", "p2", event_id="e-ann"))
    files = lambda: b"".join(  # noqa: E731
        f.read_bytes() for f in own_server.folder.rglob("*") if f.is_file()
    )
    assert b"secret-shopper-42" in files()
    engine.forget_user("secret-shopper-42")  # the engine checkpoints after an erasure
    for _ in range(200):
        if b"secret-shopper-42" not in files():
            break
        time.sleep(0.05)
    assert b"secret-shopper-42" not in files() and b"e-ann" in files()
    engine.close()
