"""`leafloaf bench stores` on a small real sample: every store measured, the outage survived."""

from __future__ import annotations

import json
from pathlib import Path

from leafloaf.bench.stores import run_stores_bench, write_stores_report
from tests.runtime.faults import real_events


def test_stores_bench_measures_each_store_and_loses_nothing_in_the_outage(
    tmp_path: Path, redis_url: str
) -> None:
    data = real_events(4_000)
    results = run_stores_bench(
        data, redis_url, stores=("memory", "sqlite", "redis", "spanner"), batch=1_000, reads=20,
        outage_events=3_000, analytics=False,
    )  # fmt: skip
    names = [s["store"] for s in results["stores"]]
    assert names == ["memory", "sqlite", "redis"]  # spanner: only with an emulator configured
    assert "spanner" in results["skipped"]
    for store in results["stores"]:
        assert store["record_many_events_per_s"] > 0
        assert store["snapshot_records"] == len(data.events)
        assert store["replay_duplicates_found"] == min(len(data.events), 1_000)
    outage = results["redis_outage"]
    assert outage["stored"] == outage["accepted"] == 3_000 and outage["checksum_matches"]
    assert outage["buffered_in_outbox"] > 0 and outage["reads_served_during_outage"] > 0
    json_path, md_path = write_stores_report(results, tmp_path, "leafloaf bench stores")
    assert json.loads(json_path.read_text())["stores"][2]["store"] == "redis"
    assert "killed in the middle of ingest" in md_path.read_text()


def test_analytics_bench_counts_every_event_and_times_the_delay(tmp_path: Path) -> None:
    from leafloaf.bench.analytics import run_analytics_bench

    data = real_events(2_000)
    results = run_analytics_bench(data, batch=500)
    (duckdb,) = results["sinks"]
    assert duckdb["sink"] == "duckdb"
    assert duckdb["stored"] == len(data.events)  # every accepted event is in the table
    assert duckdb["dead_lettered"] == 0
    assert duckdb["end_to_end_p95_ms"] >= duckdb["end_to_end_p50_ms"] > 0
    assert duckdb["record_many_events_per_s"] > 0 and duckdb["queue_depth_max"] >= 0
    assert "bigquery" in results["skipped"]
    _, md_path = write_stores_report(
        {"dataset": "sample", "events": 0, "users": 0, "measured_at": "now", "stores": [],
         "skipped": {}, "analytics": results,
         "machine": {"python": "3", "cpus": 2, "platform": "linux", "load_average_at_start": 0,
                     "load_average_at_end": 0}},
        tmp_path, "leafloaf bench stores",
    )  # fmt: skip
    assert "## Analytics sinks" in md_path.read_text()
