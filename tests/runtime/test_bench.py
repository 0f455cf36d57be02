"""The runtime benchmark's pieces on a small real sample (figures are not asserted: only shape)."""

from __future__ import annotations

from pathlib import Path

from leafloaf.bench.runtime import clone_shoppers, measure_loop_hold, write_runtime_report
from tests.runtime.faults import real_events


def test_clones_are_new_shoppers_with_the_same_histories() -> None:
    data = real_events(3_000)
    users = sorted(data.users)
    events = clone_shoppers(data, 2 * len(users) + 1)
    by_user: dict[str, int] = {}
    for e in events:
        by_user[e.user_id] = by_user.get(e.user_id, 0) + 1
    assert len(by_user) == 2 * len(users) + 1
    assert by_user[f"{users[0]}#1"] == by_user[users[0]] == by_user[f"{users[0]}#2"]
    assert len({e.event_id for e in events}) == len(events)


def test_loop_hold_and_report(tmp_path: Path) -> None:
    data = real_events(3_000)
    hold = measure_loop_hold(data, calls=40)
    assert 0 <= hold["aio_call_loop_cpu_p99_ms"] <= hold["aio_call_loop_cpu_max_ms"]
    # every call went through the async surface and every fourth one stored a view
    assert hold["aio_calls"] == 40 and hold["aio_records_stored"] == 10
    results = {
        "dataset": "sample",
        "measured_at": "now",
        "rerank_200_idle_p50_ms": 0.5,
        "rerank_200_idle_p95_ms": 0.75,
        **hold,
        "memory": [
            {
                "shoppers": 10,
                "events": 100,
                "ingest_seconds_traced": 1.0,
                "bytes_per_shopper_after_ingest": 1000.0,
                "bytes_per_shopper": 2000.0,
                "peak_bytes": 2**30,
            }
        ],
    }
    text = write_runtime_report(results, tmp_path, "bench").read_text()
    assert "| idle | 0.500 | 0.750 |" in text
    assert "| 10 | 100 | tracemalloc | 1,000 | 2,000 |" in text and "1.00 GiB" in text
