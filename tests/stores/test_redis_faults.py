"""Kill redis-server in the middle of ingest: reads keep serving, nothing accepted is lost."""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Iterable
from pathlib import Path

import redis

from leafloaf import EngineConfig, GraphitiPersonalizationEngine
from leafloaf.bench.servers import RedisServer, find_redis_server
from leafloaf.stores.redis import RedisStore
from tests.runtime.faults import CATALOG, assert_same_state, history, reference


def checksum(event_ids: Iterable[str]) -> str:
    """Order-free digest of a set of event ids."""
    return hashlib.sha256("\n".join(sorted(event_ids)).encode()).hexdigest()


def test_killing_redis_mid_ingest_loses_no_accepted_event(tmp_path: Path) -> None:
    binary = find_redis_server()
    assert binary is not None
    server = RedisServer(binary, tmp_path / "redis", persist=True)  # append-only file
    server.start()
    events = history(users=300, orders=8)  # u0's events come first, then u1's, ...
    store = RedisStore(server.url, timeout_s=1.0, failure_threshold=1, reset_timeout_s=0.1)
    engine = GraphitiPersonalizationEngine(
        CATALOG, store=store, outbox=tmp_path / "outbox.db", config=EngineConfig(batch_size=500)
    )
    probe = redis.Redis.from_url(server.url)
    seen: dict[str, object] = {}

    first = engine.record_many(events[:48])  # all of u0's events
    seen["before"] = engine.shopper_stats("u0").baskets  # cached in this process from here on
    bought = {e.product_id for e in events[:48]}
    assert engine.usual_order("u0").items  # a population model exists before the outage

    def outage() -> None:
        while int(probe.hlen("{leafloaf}:ev") or 0) < 3_000:
            time.sleep(0.001)
        server.kill()  # while the main thread is committing batches
        seen["during"] = engine.shopper_stats("u0").baskets  # served from the profile cache
        seen["usual"] = [i.product_id for i in engine.usual_order("u0").items]
        seen["health"] = {h.kind: h for h in engine.health()}
        while engine.pending == 0:  # ingest goes on meanwhile, into the durable outbox
            time.sleep(0.001)
        server.start()  # the append-only file brings back everything committed

    killer = threading.Thread(target=outage)
    killer.start()
    report = engine.record_many(events[48:])
    for part in (report, first):
        assert not part.rejected
    killer.join()
    report.accepted += first.accepted
    assert report.accepted == len(events)
    assert report.buffered > 0  # the outage really fell inside the ingest: the outbox kept some
    health = seen["health"]
    assert health["store"].status == "down" and health["store"].breaker == "open"  # type: ignore[index]
    assert seen["during"] == seen["before"]
    assert seen["usual"] and set(seen["usual"]) <= bought  # type: ignore[arg-type]
    time.sleep(0.15)  # the breaker's pause, then its half-open trial succeeds
    while engine.flush():  # replay the outbox into the restarted server
        time.sleep(0.05)
    assert engine.pending == 0
    assert engine.store.event_count() == len(events)
    assert checksum(e.event_id for e in engine.store.events()) == checksum(
        e.event_id for e in events
    )
    assert_same_state(engine, reference(events))  # replays were not counted twice
    assert {h.kind: h.status for h in engine.health()}["store"] == "ok"
    engine.close()
    probe.close()
    server.stop()
