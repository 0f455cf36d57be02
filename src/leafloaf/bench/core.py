"""``leafloaf bench`` (core): ingest throughput, re-rank latency and memory per shopper."""

from __future__ import annotations

import json
import os
import platform
import random
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from leafloaf.datasets import Dataset
from leafloaf.engine import GraphitiPersonalizationEngine
from leafloaf.models import Event
from leafloaf.stores.sqlite import SQLiteStore

__all__ = ["run_core_bench", "traced_memory", "write_report"]

BUDGETS = {
    "record_many_events_per_s": ">= 100000",
    "record_events_per_s": ">= 20000",
    "rerank_200_p95_ms": "<= 1.0",
    "next_basket_p95_ms": "<= 2.0",
    "bytes_per_shopper": "<= 32768",
}


def traced_memory(dataset: Dataset) -> dict[str, float]:
    """Bytes per shopper a fresh engine holds (tracemalloc) after ingest, fit and a read each."""
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    engine = GraphitiPersonalizationEngine(dataset.catalog)
    engine.record_many(dataset.events)
    after_ingest = tracemalloc.get_traced_memory()[0] - base
    engine.fit()
    for user in engine.users():
        engine.usual_order(user)
    held = tracemalloc.get_traced_memory()[0] - base
    tracemalloc.stop()
    shoppers = max(len(engine.users()), 1)
    return {
        "bytes_per_shopper_after_ingest": after_ingest / shoppers,
        "bytes_per_shopper": held / shoppers,
    }


def _rate(count: int, seconds: float) -> float:
    return count / seconds if seconds > 0 else float("inf")


def run_core_bench(
    dataset: Dataset, log: Callable[[str], None] = print, quick: bool = False
) -> dict[str, Any]:
    """Measure the core budgets of DESIGN.md on ``dataset``; returns every figure."""
    events: Sequence[Event] = dataset.events
    results: dict[str, Any] = {"events": len(events), "users": len(dataset.users)}

    best = float("inf")
    engine = GraphitiPersonalizationEngine(dataset.catalog)
    for _ in range(1 if quick else 3):
        engine = GraphitiPersonalizationEngine(dataset.catalog)
        t0 = time.perf_counter()
        engine.record_many(events)
        best = min(best, time.perf_counter() - t0)
    results["record_many_events_per_s"] = _rate(len(events), best)
    log(f"record_many: {results['record_many_events_per_s']:,.0f} events/s")

    one_by_one = list(events[: min(len(events), 30_000)])
    single = GraphitiPersonalizationEngine(dataset.catalog)
    t0 = time.perf_counter()
    for event in one_by_one:
        single.record(event)
    results["record_events_per_s"] = _rate(len(one_by_one), time.perf_counter() - t0)
    log(f"record: {results['record_events_per_s']:,.0f} events/s")

    rows = [e.model_dump() for e in one_by_one[:20_000]]
    validating = GraphitiPersonalizationEngine(dataset.catalog)
    t0 = time.perf_counter()
    validating.record_many(rows)
    results["record_many_from_dicts_events_per_s"] = _rate(len(rows), time.perf_counter() - t0)
    log(
        f"record_many from dicts (validation included): "
        f"{results['record_many_from_dicts_events_per_s']:,.0f} events/s"
    )

    with tempfile.TemporaryDirectory() as tmp:
        sqlite_engine = GraphitiPersonalizationEngine(
            dataset.catalog, store=SQLiteStore(Path(tmp) / "bench.db")
        )
        t0 = time.perf_counter()
        sqlite_engine.record_many(events)
        results["record_many_sqlite_events_per_s"] = _rate(len(events), time.perf_counter() - t0)
        sqlite_engine.close()
    log(f"record_many (sqlite): {results['record_many_sqlite_events_per_s']:,.0f} events/s")

    t0 = time.perf_counter()
    engine.fit()
    results["fit_seconds"] = time.perf_counter() - t0
    log(f"population fit: {results['fit_seconds']:.2f}s")

    rng = random.Random(7)
    pop = engine.population
    popular = sorted(pop.item_lines, key=lambda p: -pop.item_lines[p])[:5_000]
    if len(popular) < 200:  # small data: fill the pool from the catalog
        popular += [p for p in dataset.catalog.ids if p not in set(popular)][: 200 - len(popular)]
    size = min(200, len(popular))
    users = dataset.users
    calls = 300 if quick else 2_000
    for user in users[:50]:
        engine.rerank(user, rng.sample(popular, size))  # warm the per-user caches
    timings = []
    for _ in range(calls):
        user = rng.choice(users[:50])
        candidates = rng.sample(popular, size)
        t0 = time.perf_counter()
        engine.rerank(user, candidates)[:20]  # scores all 200, builds the top 20 results
        timings.append((time.perf_counter() - t0) * 1000)
    results["rerank_200_p50_ms"] = float(np.percentile(timings, 50))
    results["rerank_200_p95_ms"] = float(np.percentile(timings, 95))
    full = []
    for _ in range(calls // 4):
        user = rng.choice(users[:50])
        candidates = rng.sample(popular, size)
        t0 = time.perf_counter()
        list(engine.rerank(user, candidates))  # every result object with its reasons
        full.append((time.perf_counter() - t0) * 1000)
    results["rerank_200_all_results_p95_ms"] = float(np.percentile(full, 95))
    log(
        f"rerank 200: p50 {results['rerank_200_p50_ms']:.3f} ms, "
        f"p95 {results['rerank_200_p95_ms']:.3f} ms"
    )

    picks = [rng.choice(users[:300]) for _ in range(calls // 4)]
    for user in set(picks):
        engine.next_basket(user, k=10)  # warm the per-user caches, as for rerank
    basket = []
    for user in picks:
        t0 = time.perf_counter()
        engine.next_basket(user, k=10)[:10]
        basket.append((time.perf_counter() - t0) * 1000)
    results["next_basket_p50_ms"] = float(np.percentile(basket, 50))
    results["next_basket_p95_ms"] = float(np.percentile(basket, 95))
    log(f"next_basket k=10: p95 {results['next_basket_p95_ms']:.3f} ms")

    t0 = time.perf_counter()
    for user in users[:20]:
        engine._models.invalidate([user])
        engine.rerank(user, rng.sample(popular, size))
    results["rerank_200_cold_mean_ms"] = (time.perf_counter() - t0) * 1000 / min(len(users), 20)

    memory = traced_memory(dataset)
    results["bytes_per_shopper"] = memory["bytes_per_shopper"]
    results["bytes_per_shopper_after_ingest"] = memory["bytes_per_shopper_after_ingest"]
    log(
        f"memory (tracemalloc, everything the engine holds): "
        f"{results['bytes_per_shopper']:,.0f} bytes per shopper after fit and reads, "
        f"{results['bytes_per_shopper_after_ingest']:,.0f} after ingest"
    )
    results["machine"] = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "processor": platform.processor() or platform.machine(),
    }
    results["measured_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    results["dataset"] = dataset.name
    return results


def write_report(results: dict[str, Any], out: Path, command: str) -> tuple[Path, Path]:
    """Write ``core.json`` and ``core.md`` (a table against the DESIGN.md budgets)."""
    out.mkdir(parents=True, exist_ok=True)
    json_path, md_path = out / "core.json", out / "core.md"
    json_path.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    rows = [
        ("record_many", "record_many_events_per_s", "events/s"),
        ("record_many from dicts (validating)", "record_many_from_dicts_events_per_s", "events/s"),
        ("record_many into SQLite", "record_many_sqlite_events_per_s", "events/s"),
        ("record (one by one)", "record_events_per_s", "events/s"),
        ("rerank 200 candidates (top 20 built) p50", "rerank_200_p50_ms", "ms"),
        ("rerank 200 candidates (top 20 built) p95", "rerank_200_p95_ms", "ms"),
        ("rerank 200, all 200 result objects built, p95", "rerank_200_all_results_p95_ms", "ms"),
        ("rerank 200, cold user cache (mean)", "rerank_200_cold_mean_ms", "ms"),
        ("next_basket k=10 p50", "next_basket_p50_ms", "ms"),
        ("next_basket k=10 p95", "next_basket_p95_ms", "ms"),
        ("population fit", "fit_seconds", "s"),
        (
            "memory per shopper after ingest (tracemalloc)",
            "bytes_per_shopper_after_ingest",
            "bytes",
        ),
        ("memory per shopper after fit and reads (tracemalloc)", "bytes_per_shopper", "bytes"),
    ]
    machine = results["machine"]
    lines = [
        "# Core benchmark",
        "",
        f"`{command}` on {results['dataset']} ({results['events']:,} events, "
        f"{results['users']:,} shoppers); Python {machine['python']}, {machine['cpus']} CPUs, "
        f"{machine['platform']}; measured {results['measured_at']}.",
        "",
        "| operation | measured | unit | budget (DESIGN.md) |",
        "|---|---:|---|---|",
    ]
    for label, key, unit in rows:
        value = results[key]
        shown = f"{value:,.0f}" if value >= 100 else f"{value:.3f}"
        lines.append(f"| {label} | {shown} | {unit} | {BUDGETS.get(key, '—')} |")
    md_path.write_text("\n".join(lines) + "\n")
    return json_path, md_path
