"""Analytics benchmark (part of ``bench stores``): what a sink costs the request path, how deep
its queue gets, and how long an accepted event takes to be countable in the analytics table.

For each sink (DuckDB always; BigQuery when ``LEAFLOAF_BIGQUERY__ENDPOINT`` or a project and
dataset are configured): the engine's ``record_many`` on an in-memory store with the sink
attached (events/s, against the same run with no sink), the sink's queue depth sampled every
10 ms while it runs, the time to drain it after the last batch, and the end-to-end delay of
single events (``record`` returning → ``count(user)`` seeing the event).
"""

from __future__ import annotations

import os
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from leafloaf.analytics.base import AnalyticsSink, NullSink
from leafloaf.config import EngineConfig
from leafloaf.datasets import Dataset
from leafloaf.engine import GraphitiPersonalizationEngine
from leafloaf.models import Event, EventType

__all__ = ["bench_sink", "run_analytics_bench"]

SinkFactory = Callable[[], AnalyticsSink]


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


def _depth(sink: AnalyticsSink) -> int:
    depth = getattr(sink, "queue_depth", None)
    return int(depth) if isinstance(depth, int) else 0


def _ingest(engine: GraphitiPersonalizationEngine, events: list[Event], batch: int) -> float:
    """Seconds ``record_many`` takes over ``events`` in batches of ``batch``."""
    start = time.perf_counter()
    for i in range(0, len(events), batch):
        engine.record_many(events[i : i + batch])
    return time.perf_counter() - start


def bench_sink(
    name: str, factory: SinkFactory, dataset: Dataset, batch: int = 5_000, probes: int = 20
) -> dict[str, Any]:
    """Figures of one sink: ingest with and without it, queue depth, drain, end-to-end delay."""
    events = dataset.events
    result: dict[str, Any] = {"sink": name, "events": len(events), "batch": batch}
    config = EngineConfig(batch_size=batch, background_refit=False)
    engine = GraphitiPersonalizationEngine(dataset.catalog, analytics=NullSink(), config=config)
    baseline = _ingest(engine, events, batch)
    engine.close()
    sink = factory()
    engine = GraphitiPersonalizationEngine(dataset.catalog, analytics=sink, config=config)
    depths: list[float] = []
    running = threading.Event()
    running.set()

    def sample() -> None:
        while running.is_set():
            depths.append(float(_depth(sink)))
            time.sleep(0.01)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    seconds = _ingest(engine, events, batch)
    running.clear()
    sampler.join()
    start = time.perf_counter()
    sink.flush()
    result["drain_after_ingest_s"] = round(time.perf_counter() - start, 3)
    result["record_many_events_per_s"] = round(len(events) / seconds)
    result["record_many_events_per_s_no_sink"] = round(len(events) / baseline)
    result["queue_depth_max"] = round(max(depths, default=0.0))
    result["queue_depth_p95"] = round(_percentile(depths, 0.95))
    result["stored"] = sink.count()
    letters = getattr(sink, "dead_letters", None)  # rows kept for redelivery, with their error
    result["dead_lettered"] = len(letters()) if callable(letters) else 0
    requeued = getattr(sink, "requeued", 0)  # spilled by a full queue, then sent again
    result["requeued"] = int(requeued) if isinstance(requeued, int) else 0
    # end to end: one event recorded, then polled until the sink counts it
    product = dataset.catalog.ids[0]
    delays: list[float] = []
    at = datetime(2030, 1, 1, tzinfo=UTC)
    for i in range(probes):
        user = f"bench-probe-{os.getpid()}-{i}"
        event = Event(user_id=user, type=EventType.PURCHASE, product_id=product,
                      ts=at + timedelta(minutes=i))  # fmt: skip
        start = time.perf_counter()
        engine.record(event)
        while sink.count(user) < 1 and time.perf_counter() - start < 60:
            time.sleep(0.002)
        delays.append(time.perf_counter() - start)
    result["end_to_end_p50_ms"] = round(_percentile(delays, 0.5) * 1000, 2)
    result["end_to_end_p95_ms"] = round(_percentile(delays, 0.95) * 1000, 2)
    engine.close()  # closes the sink too
    return result


def _bigquery_factory() -> SinkFactory | None:
    """A BigQuery sink (a fresh dataset each) when an endpoint or a project is configured."""
    if not (
        os.environ.get("LEAFLOAF_BIGQUERY__ENDPOINT")
        or os.environ.get("LEAFLOAF_BIGQUERY__PROJECT")
    ):
        return None
    from leafloaf.runtime.backends import open_analytics
    from leafloaf.settings import LeafLoafSettings

    counter = iter(range(1_000_000))
    folder = Path(tempfile.mkdtemp(prefix="leafloaf-bench-"))  # dead letters stay out of the cwd

    def make() -> AnalyticsSink:
        dataset = f"bench{os.getpid()}_{next(counter)}"
        values = {"project": os.environ.get("LEAFLOAF_BIGQUERY__PROJECT", "bench-project"),
                  "dataset": dataset,
                  "dead_letter_path": str(folder / f"dead-letter-{dataset}.jsonl")}  # fmt: skip
        return open_analytics(LeafLoafSettings(analytics="bigquery", bigquery=values))

    return make


def run_analytics_bench(dataset: Dataset, batch: int = 5_000) -> dict[str, Any]:
    """Figures for DuckDB (and BigQuery when configured); skipped sinks say why."""
    results: dict[str, Any] = {
        "sinks": [],
        "skipped": {},
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "load_average_at_start": round(os.getloadavg()[0], 2),
    }
    try:
        from leafloaf.analytics.duckdb import DuckDBAnalytics

        results["sinks"].append(bench_sink("duckdb", DuckDBAnalytics, dataset, batch))
    except ImportError as exc:
        results["skipped"]["duckdb"] = str(exc)
    factory = _bigquery_factory()
    if factory is None:
        results["skipped"]["bigquery"] = "no LEAFLOAF_BIGQUERY__ENDPOINT or _PROJECT set"
    else:
        results["sinks"].append(bench_sink("bigquery", factory, dataset, batch))
    results["load_average_at_end"] = round(os.getloadavg()[0], 2)
    return results
