"""Store benchmark: events/s and per-operation latency of every StateStore (bench stores).

For every store: the engine's ``record_many`` end to end (validation, statistics, commit),
the store's own commit with the statistics computed beforehand (what the backend costs),
then reads (``rows_view`` of one shopper), a duplicate replay, ``snapshot`` with a full log
scan, and ``forget_user``. Redis runs on a ``--redis-url`` server, or on a redis-server this
bench starts (see :mod:`leafloaf.bench.servers`); Spanner runs when
``LEAFLOAF_SPANNER__EMULATOR_HOST`` (or ``SPANNER_EMULATOR_HOST``) and the spanner settings
say where. Then :func:`redis_outage` kills redis-server in the middle of 100k events and
checks that every accepted event is stored. Writes ``stores.json`` and ``stores.md``.
"""

from __future__ import annotations

import json
import os
import platform
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from leafloaf.config import EngineConfig
from leafloaf.datasets import Dataset
from leafloaf.engine import GraphitiPersonalizationEngine
from leafloaf.errors import LeafLoafError
from leafloaf.learning.stats import DeltaBatch
from leafloaf.models import Event
from leafloaf.stores.base import StateStore

__all__ = ["bench_store", "redis_outage", "run_stores_bench", "write_stores_report"]

StoreFactory = Callable[[], StateStore]


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 3)


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


def _timed(samples: list[float], work: Callable[[], Any]) -> Any:
    start = time.perf_counter()
    result = work()
    samples.append(time.perf_counter() - start)
    return result


def _batches(events: list[Event], size: int) -> Iterator[list[Event]]:
    for start in range(0, len(events), size):
        yield events[start : start + size]


def bench_store(
    name: str, factory: StoreFactory, dataset: Dataset, batch: int, reads: int
) -> dict[str, Any]:
    """All figures of one store (each phase on a freshly opened, empty store)."""
    events = dataset.events
    result: dict[str, Any] = {"store": name, "events": len(events), "batch": batch}
    config = EngineConfig(batch_size=batch, background_refit=False)
    # 1. the engine end to end
    engine = GraphitiPersonalizationEngine(dataset.catalog, store=factory(), config=config)
    samples: list[float] = []
    start = time.perf_counter()
    for chunk in _batches(events, batch):
        _timed(samples, lambda c=chunk: engine.record_many(c))  # type: ignore[misc]
    total = time.perf_counter() - start
    result["record_many_events_per_s"] = round(len(events) / total)
    result["record_many_batch_p50_ms"] = _ms(_percentile(samples, 0.5))
    result["record_many_batch_p95_ms"] = _ms(_percentile(samples, 0.95))
    store = engine.store
    users = sorted(set(store.users()))
    # 2. reads, replays, snapshot and erasure on the filled store
    picks = [users[i * 7919 % len(users)] for i in range(reads)]
    samples = []
    for user in picks:
        _timed(samples, lambda u=user: store.rows_view(u))  # type: ignore[misc]
    result["rows_view_p50_ms"] = _ms(_percentile(samples, 0.5))
    result["rows_view_p95_ms"] = _ms(_percentile(samples, 0.95))
    replay = events[: min(len(events), batch)]
    start = time.perf_counter()
    report = engine.record_many(replay)
    result["replay_duplicates_events_per_s"] = round(len(replay) / (time.perf_counter() - start))
    result["replay_duplicates_found"] = report.duplicates
    start = time.perf_counter()
    snapshot = store.snapshot()
    scanned = sum(1 for _ in snapshot.records())
    snapshot.close()
    result["snapshot_and_scan_s"] = round(time.perf_counter() - start, 3)
    result["snapshot_records"] = scanned
    samples = []
    for user in users[: min(20, len(users))]:
        _timed(samples, lambda u=user: engine.forget_user(u))  # type: ignore[misc]
    result["forget_user_p95_ms"] = _ms(_percentile(samples, 0.95))
    engine.close()
    # 3. the store's own commit: statistics computed beforehand, log + rows per transaction
    store = factory()
    prepared = []
    for chunk in _batches(events, batch):
        deltas = DeltaBatch(config_decay(config))
        deltas.add_many(chunk)
        prepared.append((chunk, deltas.updates))
    samples = []
    start = time.perf_counter()
    for chunk, updates in prepared:

        def commit(c: list[Event] = chunk, u: Any = updates) -> None:
            with store.transaction():
                store.append_events(c)
                store.apply(u)

        _timed(samples, commit)
    total = time.perf_counter() - start
    result["store_commit_events_per_s"] = round(len(events) / total)
    result["store_commit_batch_p95_ms"] = _ms(_percentile(samples, 0.95))
    result["rows_per_event"] = round(
        sum(len(rows) for _, u in prepared for rows in u.values()) / max(len(events), 1), 2
    )
    store.close()
    return result


def redis_outage(dataset: Dataset, folder: Path, events: int = 100_000) -> dict[str, Any]:
    """Kill redis-server (SIGKILL) a third of the way into ingesting ``events`` events.

    Reads keep being served meanwhile, and the server comes back on the same port, with its
    append-only file, once the outbox holds a tenth of them. Then the outbox is replayed and
    the log compared with what was accepted: count and a checksum over the event ids.
    """
    import hashlib
    import threading

    from leafloaf.bench.servers import RedisServer, find_redis_server
    from leafloaf.stores.redis import RedisStore

    binary = find_redis_server()
    if binary is None:
        return {"skipped": "no redis-server binary"}
    stream = dataset.events[:events]
    server = RedisServer(binary, folder / "outage", persist=True)
    server.start()
    store = RedisStore(server.url, timeout_s=1.0, failure_threshold=1, reset_timeout_s=0.2)
    engine = GraphitiPersonalizationEngine(
        dataset.catalog, store=store, outbox=folder / "outage-outbox.db",
        config=EngineConfig(batch_size=1_000),
    )  # fmt: skip
    head = stream[: len(stream) // 3]
    engine.record_many(head)
    readers = sorted({e.user_id for e in head})[:50]
    for user in readers:  # warm: these shoppers are answered from memory during the outage
        engine.usual_order(user)
    figures: dict[str, Any] = {"events": len(stream)}

    def outage() -> None:
        server.kill()
        down = time.perf_counter()
        served = failed = 0
        while engine.pending < len(stream) // 10 and time.perf_counter() - down < 30:
            for user in readers:
                try:
                    engine.usual_order(user)
                    served += 1
                except Exception:
                    failed += 1
        figures["reads_served_during_outage"] = served
        figures["reads_failed_during_outage"] = failed
        server.start()
        figures["outage_s"] = round(time.perf_counter() - down, 3)

    killer = threading.Thread(target=outage)
    start = time.perf_counter()
    killer.start()
    report = engine.record_many(stream[len(head) :])
    killer.join()
    figures["ingest_s"] = round(time.perf_counter() - start, 3)
    figures["buffered_in_outbox"] = report.buffered
    start = time.perf_counter()
    time.sleep(0.25)  # the breaker's pause before its half-open trial
    while engine.flush():
        time.sleep(0.05)
    figures["replay_s"] = round(time.perf_counter() - start, 3)

    def digest(ids: Any) -> str:
        return hashlib.sha256("\n".join(sorted(ids)).encode()).hexdigest()

    stored = engine.store.event_count()
    figures["accepted"] = report.accepted + len(head)
    figures["stored"] = stored
    figures["checksum_matches"] = digest(e.event_id for e in engine.store.events()) == digest(
        e.event_id for e in stream
    )
    engine.close()
    server.stop()
    return figures


def config_decay(config: EngineConfig) -> float:
    """The decay rate of the engine's stored sums (from ``half_life_days`` when set)."""
    import math

    from leafloaf.learning.usual import storage_half_life

    return math.log(2) / storage_half_life(config)


def _spanner_factory() -> StoreFactory | None:
    """A Spanner store when an emulator (or instance) is configured, else None."""
    if not (
        os.environ.get("LEAFLOAF_SPANNER__EMULATOR_HOST") or os.environ.get("SPANNER_EMULATOR_HOST")
    ):
        return None
    from leafloaf.runtime.backends import open_settings_store
    from leafloaf.settings import LeafLoafSettings

    settings = LeafLoafSettings(store="spanner")
    return lambda: open_settings_store(settings)


def run_stores_bench(
    dataset: Dataset,
    redis_url: str | None = None,
    stores: tuple[str, ...] = ("memory", "sqlite", "redis", "spanner"),
    batch: int = 5_000,
    reads: int = 500,
    outage_events: int = 100_000,
    analytics: bool = True,
) -> dict[str, Any]:
    """Figures for each store in ``stores`` (Redis on ``redis_url`` or a server started here),
    then for each analytics sink (:mod:`leafloaf.bench.analytics`) unless ``analytics=False``."""
    from leafloaf.stores.memory import InMemoryStore
    from leafloaf.stores.sqlite import SQLiteStore

    results: dict[str, Any] = {
        "dataset": dataset.name,
        "events": len(dataset.events),
        "users": len({e.user_id for e in dataset.events}),
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "platform": platform.platform(terse=True),
            "load_average_at_start": round(os.getloadavg()[0], 2),
        },
        "stores": [],
        "skipped": {},
    }
    with ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        factories: dict[str, StoreFactory | None] = {
            "memory": InMemoryStore,
            "sqlite": lambda: SQLiteStore(folder / f"bench-{time.monotonic_ns()}.db"),
        }
        if "redis" in stores:
            factories["redis"] = _redis_factory(stack, folder, redis_url, results)
        if "spanner" in stores:
            factories["spanner"] = _spanner_factory()
            if factories["spanner"] is None:
                results["skipped"]["spanner"] = "no LEAFLOAF_SPANNER__EMULATOR_HOST set"
        for name in stores:
            factory = factories.get(name)
            if factory is None:
                continue
            try:
                results["stores"].append(bench_store(name, factory, dataset, batch, reads))
            except LeafLoafError as exc:  # a configured but unreachable or misconfigured server
                if name != "spanner":
                    raise
                results["skipped"][name] = str(exc)
        if "redis" in stores and outage_events:
            results["redis_outage"] = redis_outage(dataset, folder, outage_events)
    if analytics:
        from leafloaf.bench.analytics import run_analytics_bench

        results["analytics"] = run_analytics_bench(dataset, batch)
    results["machine"]["load_average_at_end"] = round(os.getloadavg()[0], 2)
    return results


def _redis_factory(
    stack: ExitStack, folder: Path, url: str | None, results: dict[str, Any]
) -> StoreFactory | None:
    from leafloaf.bench.servers import MISSING, RedisServer, find_redis_server
    from leafloaf.stores.redis import RedisStore

    if url is None:
        binary = find_redis_server()
        if binary is None:
            results["skipped"]["redis"] = MISSING
            return None
        server = RedisServer(binary, folder / "redis")
        server.start()
        stack.callback(server.stop)
        url = server.url
        results["redis_server"] = f"started by the bench: {Path(binary).name}, no persistence"
    else:
        results["redis_server"] = "given by --redis-url"
    counter = iter(range(1_000_000))
    return lambda: RedisStore(url, namespace=f"bench{next(counter)}-{os.getpid()}")


_ROWS = [
    ("engine record_many", "record_many_events_per_s", "events/s"),
    ("engine record_many, one batch p50", "record_many_batch_p50_ms", "ms"),
    ("engine record_many, one batch p95", "record_many_batch_p95_ms", "ms"),
    ("store commit (log + rows), statistics precomputed", "store_commit_events_per_s", "events/s"),
    ("store commit, one batch p95", "store_commit_batch_p95_ms", "ms"),
    ("rows_view (one shopper) p50", "rows_view_p50_ms", "ms"),
    ("rows_view (one shopper) p95", "rows_view_p95_ms", "ms"),
    ("replay of a logged batch (all duplicates)", "replay_duplicates_events_per_s", "events/s"),
    ("snapshot + full log scan", "snapshot_and_scan_s", "s"),
    ("forget_user p95", "forget_user_p95_ms", "ms"),
    ("rows touched per event (statistics)", "rows_per_event", "rows"),
]


def _busy(machine: dict[str, Any]) -> str:
    """A warning when other processes held more CPUs than the machine has."""
    load = max(machine["load_average_at_start"], machine["load_average_at_end"])
    if load <= (machine["cpus"] or 1):
        return ""
    return " (above the CPU count: other processes took CPU time, so every figure is low)"


_SINK_ROWS = [
    ("engine record_many with the sink", "record_many_events_per_s", "events/s"),
    ("the same with no sink (NullSink)", "record_many_events_per_s_no_sink", "events/s"),
    ("queue depth while ingesting, p95", "queue_depth_p95", "rows"),
    ("queue depth while ingesting, max", "queue_depth_max", "rows"),
    ("drain after the last batch", "drain_after_ingest_s", "s"),
    ("one event, record → countable, p50", "end_to_end_p50_ms", "ms"),
    ("one event, record → countable, p95", "end_to_end_p95_ms", "ms"),
    ("events in the table afterwards", "stored", "events"),
    ("spilled by a full queue, then sent again by the worker", "requeued", "events"),
    ("left in the dead-letter file", "dead_lettered", "events"),
]


def _analytics_lines(analytics: dict[str, Any] | None) -> list[str]:
    """The analytics section of the report (empty when it was not run)."""
    if not analytics:
        return []
    sinks = analytics["sinks"]
    lines = [
        "",
        "## Analytics sinks",
        "",
        "The engine on an in-memory store with the sink attached: what the sink costs ingest, "
        "its queue (sampled every 10 ms), the time to drain it, and single events from "
        "`record` returning until `count(user)` sees them. Measured "
        f"{analytics.get('measured_at', '')}, 1-minute load average "
        f"{analytics.get('load_average_at_start', '?')} → "
        f"{analytics.get('load_average_at_end', '?')}.",
    ]
    if sinks:
        lines += [
            "",
            "| figure | unit | " + " | ".join(s["sink"] for s in sinks) + " |",
            "|---|---|" + "---:|" * len(sinks),
        ]
        for label, key, unit in _SINK_ROWS:
            cells = [f"{s[key]:,.0f}" if s[key] >= 100 else f"{s[key]:g}" for s in sinks]
            lines.append(f"| {label} | {unit} | " + " | ".join(cells) + " |")
    for name, why in analytics["skipped"].items():
        lines += ["", f"Not measured: {name} ({why})."]
    return lines


def write_stores_report(results: dict[str, Any], out: Path, command: str) -> tuple[Path, Path]:
    """Write ``stores.json`` and ``stores.md`` (one column per store)."""
    out.mkdir(parents=True, exist_ok=True)
    json_path, md_path = out / "stores.json", out / "stores.md"
    json_path.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    stores = results["stores"]
    machine = results["machine"]
    batch = stores[0]["batch"] if stores else 0
    lines = [
        "# Store benchmark",
        "",
        f"`{command}` on {results['dataset']} ({results['events']:,} events, "
        f"{results['users']:,} shoppers, batches of {batch:,}); Python {machine['python']}, "
        f"{machine['cpus']} CPUs, {machine['platform']}; measured {results['measured_at']}; "
        f"1-minute load average {machine['load_average_at_start']} at the start and "
        f"{machine['load_average_at_end']} at the end{_busy(machine)}.",
        "",
        "| operation | unit | " + " | ".join(s["store"] for s in stores) + " |",
        "|---|---|" + "---:|" * len(stores),
    ]
    for label, key, unit in _ROWS:
        cells = []
        for s in stores:
            value = s[key]
            cells.append(f"{value:,.0f}" if value >= 100 else f"{value:.3f}")
        lines.append(f"| {label} | {unit} | " + " | ".join(cells) + " |")
    if results.get("redis_server"):
        lines += ["", f"Redis: {results['redis_server']}."]
    outage = results.get("redis_outage")
    if outage and "skipped" not in outage:
        lines += [
            "",
            "## redis-server killed in the middle of ingest",
            "",
            f"{outage['events']:,} events into a `RedisStore` (append-only file) with a durable "
            f"outbox; redis-server killed with SIGKILL a third of the way in and restarted "
            f"on the same port {outage['outage_s']} s later.",
            "",
            "| figure | value |",
            "|---|---:|",
            f"| events accepted | {outage['accepted']:,} |",
            f"| events in the store after the replay | {outage['stored']:,} |",
            f"| checksum over event ids matches | {outage['checksum_matches']} |",
            f"| events kept in the outbox during the outage | {outage['buffered_in_outbox']:,} |",
            f"| reads served during the outage | {outage['reads_served_during_outage']:,} |",
            f"| reads failed during the outage | {outage['reads_failed_during_outage']:,} |",
            f"| ingest (with the outage) | {outage['ingest_s']} s |",
            f"| outbox replay after the restart | {outage['replay_s']} s |",
        ]
    for name, why in results["skipped"].items():
        lines += ["", f"Not measured: {name} ({why})."]
    lines += _analytics_lines(results.get("analytics"))
    md_path.write_text("\n".join(lines) + "\n")
    return json_path, md_path
