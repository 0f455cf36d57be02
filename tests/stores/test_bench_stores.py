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
        outage_events=3_000,
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
