"""Runtime benchmark: re-rank latency under writers and refits, event-loop hold, memory growth.

``python -m leafloaf.bench.runtime --data ../shared/data/instacart_1k --out reports/`` writes
``runtime.json`` and ``runtime.md``. Memory is measured with :mod:`tracemalloc` over
everything the engine allocates (store, caches, population model), per shopper, in a fresh
process per scale; larger populations are made by cloning real shoppers under new ids.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import random
import subprocess
import sys
import threading
import time
import tracemalloc
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from leafloaf.config import EngineConfig
from leafloaf.datasets import Dataset, load_instacart
from leafloaf.engine import GraphitiPersonalizationEngine
from leafloaf.models import Event

__all__ = [
    "clone_shoppers",
    "measure_latency_under_load",
    "measure_loop_hold",
    "measure_memory",
    "run_runtime_bench",
    "write_runtime_report",
]


def clone_shoppers(dataset: Dataset, shoppers: int) -> list[Event]:
    """Events of ``shoppers`` shoppers: the real ones, then copies under new ids."""
    return list(iter_clones(dataset, shoppers))


def iter_clones(dataset: Dataset, shoppers: int) -> Iterator[Event]:
    """:func:`clone_shoppers` one event at a time (a 100k-shopper run never holds them all)."""
    by_user: dict[str, list[Event]] = {}
    for event in dataset.events:
        by_user.setdefault(event.user_id, []).append(event)
    users = sorted(by_user)
    for n in range(shoppers):
        source = users[n % len(users)]
        copy = n // len(users)
        user = source if copy == 0 else f"{source}#{copy}"
        for e in by_user[source]:
            yield (
                e
                if copy == 0
                else e.model_copy(update={"user_id": user, "event_id": f"{e.event_id}#{copy}"})
            )


def _p(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def measure_latency_under_load(dataset: Dataset, calls: int = 2_000) -> dict[str, float]:
    """``rerank`` p50/p95: idle; during a continuous background refit; with 8 writer threads
    at a host's pace (25 events each every 5 ms, ~40k events/s offered) plus the refit; and
    with 8 writers recording as fast as they can (CPU-bound: measures GIL sharing).
    """
    events = dataset.events
    cut = int(len(events) * 0.5)
    engine = GraphitiPersonalizationEngine(dataset.catalog, config=EngineConfig(batch_size=500))
    engine.record_many(events[:cut])
    engine.fit()
    pop = engine.population
    pool = sorted(pop.item_lines, key=lambda p: -pop.item_lines[p])[:5_000]
    users = dataset.users[:200]
    rng = random.Random(3)

    def timed() -> list[float]:
        out = []
        for _ in range(calls):
            user, candidates = rng.choice(users), rng.sample(pool, min(200, len(pool)))
            t0 = time.perf_counter()
            engine.rerank(user, candidates)[:20]
            out.append((time.perf_counter() - t0) * 1000)
            time.sleep(0.0005)  # requests arrive, they do not queue back to back
        return out

    for user in users:
        engine.rerank(user, pool[:200])
    results: dict[str, float] = {}
    idle = timed()
    results["rerank_200_idle_p50_ms"] = _p(idle, 50)
    results["rerank_200_idle_p95_ms"] = _p(idle, 95)
    rest = iter(events[cut:])
    lock = threading.Lock()

    def next_chunk(size: int) -> list[Event]:
        with lock:
            return [e for _, e in zip(range(size), rest, strict=False)]

    def run(label: str, writers: int, pace: float | None, refit: bool) -> None:
        stop = threading.Event()

        def write() -> None:
            while not stop.is_set():
                chunk = next_chunk(25 if pace else 200)
                if not chunk:
                    return
                engine.record_many(chunk)
                if pace:
                    time.sleep(pace)

        def refit_forever() -> None:
            while not stop.is_set():
                engine.fit()

        threads = [threading.Thread(target=write) for _ in range(writers)]
        if refit:
            threads.append(threading.Thread(target=refit_forever))
        fits = engine._refitter.fits
        for t in threads:
            t.start()
        busy = timed()
        stop.set()
        for t in threads:
            t.join()
        results[f"rerank_200_{label}_p50_ms"] = _p(busy, 50)
        results[f"rerank_200_{label}_p95_ms"] = _p(busy, 95)
        results[f"refits_during_{label}"] = engine._refitter.fits - fits

    run("refitting", 0, None, True)
    run("host_writers_and_refit", 8, 0.005, True)
    run("saturating_writers_and_refit", 8, None, True)
    return results


class _LoopClock:
    """Loop-thread CPU spent in garbage collection, summed as it happens (``gc.callbacks``)."""

    def __init__(self) -> None:
        self.thread = threading.get_ident()
        self.gc_ms = 0.0
        self.pauses: list[float] = []
        self._start = 0.0

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if threading.get_ident() != self.thread:
            return
        if phase == "start":
            self._start = time.thread_time()
        else:
            pause = (time.thread_time() - self._start) * 1000
            self.gc_ms += pause
            self.pauses.append(pause)


class _TimedCall:
    """Awaits one coroutine, timing only its own steps on the loop thread.

    ``cpu`` sums the loop thread's CPU over every step of the call (the hand-off to a
    worker, then the step that returns its result), ``gc`` the part of it spent in garbage
    collection, and ``hold`` is the wall time of the hand-off, GIL waits included. Other
    tasks' work never counts, unlike timing around ``await asyncio.sleep(0)``.
    """

    def __init__(self, coro: Any, clock: _LoopClock, out: list[tuple[float, float, float]]):
        self.coro, self.clock, self.out = coro, clock, out

    def __await__(self) -> Any:
        steps = self.coro.__await__()
        cpu = gc_ms = 0.0
        hold = -1.0
        sent: Any = None
        while True:
            c0, w0, g0 = time.thread_time(), time.perf_counter(), self.clock.gc_ms
            try:
                awaited = steps.send(sent)
            except StopIteration as done:
                cpu += (time.thread_time() - c0) * 1000
                gc_ms += self.clock.gc_ms - g0
                self.out.append((cpu, gc_ms, hold))
                return done.value
            cpu += (time.thread_time() - c0) * 1000
            gc_ms += self.clock.gc_ms - g0
            if hold < 0:
                hold = (time.perf_counter() - w0) * 1000
            sent = yield awaited


def measure_loop_hold(dataset: Dataset, calls: int = 2_000) -> dict[str, float]:
    """How much of the event loop each ``engine.aio`` call takes.

    Calls arrive as a server's would (up to 16 in flight, a new one every 0.2 ms; one in
    four records a view, the rest re-rank 200 candidates). Per call: ``loop_cpu`` is the
    loop thread's CPU over the call's own steps; ``loop_cpu_excl_gc`` leaves out the
    garbage-collection passes the loop thread happened to run inside them (a process-wide
    cost: a pass runs on whichever thread allocates when one is due, and traverses young
    objects every thread made); ``hold`` is the wall time of the hand-off, which also
    counts waiting for the GIL while worker threads compute.
    """
    engine = GraphitiPersonalizationEngine(dataset.catalog)
    engine.record_many(dataset.events)
    engine.fit()
    users = dataset.users[:200]
    pool = list(engine.population.item_lines)[:200]
    timings: list[tuple[float, float, float]] = []
    clock = _LoopClock()

    async def main() -> None:
        rng = random.Random(5)
        slots = asyncio.Semaphore(16)

        async def one(n: int) -> None:
            user = rng.choice(users)
            async with slots:
                if n % 4 == 0:
                    event = Event.view(user, rng.choice(pool), ts=datetime(2017, 6, 1, tzinfo=UTC))
                    await _TimedCall(engine.aio.record(event), clock, timings)
                else:
                    await _TimedCall(engine.aio.rerank(user, pool), clock, timings)

        tasks = []
        for n in range(calls):
            tasks.append(asyncio.ensure_future(one(n)))
            await asyncio.sleep(0.0002)
        await asyncio.gather(*tasks)

    gc.callbacks.append(clock)
    try:
        asyncio.run(main())
    finally:
        gc.callbacks.remove(clock)
        engine.close()
    cpu = [t[0] for t in timings]
    own = [t[0] - t[1] for t in timings]
    hold = [t[2] for t in timings]
    return {
        "aio_calls": len(timings),
        "aio_records_stored": engine.store.event_count() - len(dataset.events),
        "aio_call_loop_cpu_p50_ms": _p(cpu, 50),
        "aio_call_loop_cpu_p99_ms": _p(cpu, 99),
        "aio_call_loop_cpu_max_ms": max(cpu),
        "aio_call_loop_cpu_excl_gc_p99_ms": _p(own, 99),
        "aio_call_loop_cpu_excl_gc_max_ms": max(own),
        "aio_calls_with_loop_gc": sum(1 for t in timings if t[1] > 0),
        "aio_loop_gc_pause_max_ms": max(clock.pauses, default=0.0),
        "aio_call_hold_p50_ms": _p(hold, 50),
        "aio_call_hold_p99_ms": _p(hold, 99),
        "aio_call_hold_max_ms": max(hold),
    }


def _rss() -> tuple[int, int]:
    """(resident bytes now, peak resident bytes) of this process, from /proc."""
    now = peak = 0
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                now = int(line.split()[1]) * 1024
            elif line.startswith("VmHWM:"):
                peak = int(line.split()[1]) * 1024
    return now, peak


def measure_memory(data: str, shoppers: int, trace: bool = True) -> dict[str, Any]:
    """Bytes the engine holds per shopper after ingest, fit and one read each.

    ``trace`` counts with :mod:`tracemalloc` (exact, but ingest runs several times slower);
    without it the figures are resident-set growth of the process (includes allocator slack).
    """
    from leafloaf.demo import load

    dataset = load(Path(data), None, None)
    events = iter_clones(dataset, shoppers)  # streamed: only what the engine keeps counts

    def held() -> tuple[int, int]:
        return tracemalloc.get_traced_memory() if trace else _rss()

    if trace:
        tracemalloc.start()
    base = held()[0]
    engine = GraphitiPersonalizationEngine(dataset.catalog)
    t0 = time.perf_counter()
    recorded = engine.record_many(events).accepted
    ingest_s = time.perf_counter() - t0
    after_ingest = held()[0] - base
    t0 = time.perf_counter()
    engine.fit()
    fit_s = time.perf_counter() - t0
    for user in engine.users():
        engine.usual_order(user)
    now, peak = held()
    if trace:
        tracemalloc.stop()
    return {
        "shoppers": shoppers,
        "events": recorded,
        "method": "tracemalloc" if trace else "rss",
        "ingest_seconds_traced": ingest_s,
        "fit_seconds": fit_s,
        "bytes_per_shopper_after_ingest": after_ingest / shoppers,
        "bytes_per_shopper": (now - base) / shoppers,
        "peak_bytes": peak - base,
    }


def _memory_in_subprocess(data: str, shoppers: int, trace: bool) -> dict[str, Any]:
    code = (
        "import json, sys; from leafloaf.bench.runtime import measure_memory; "
        "print(json.dumps(measure_memory(sys.argv[1], int(sys.argv[2]), sys.argv[3] == '1')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, data, str(shoppers), "1" if trace else "0"],
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def run_runtime_bench(
    dataset: Dataset,
    data_path: str,
    scales: list[int],
    calls: int = 2_000,
    trace_up_to: int = 10_000,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Every runtime figure: latency under load, event-loop hold, memory per scale."""
    results: dict[str, Any] = {"dataset": dataset.name, "data": Path(data_path).name}
    results.update(measure_latency_under_load(dataset, calls))
    log(f"rerank p95: idle {results['rerank_200_idle_p95_ms']:.3f} ms, with writers and a "
        f"refit {results['rerank_200_host_writers_and_refit_p95_ms']:.3f} ms")  # fmt: skip
    results.update(measure_loop_hold(dataset, calls))
    log(f"engine.aio loop CPU per call p99 {results['aio_call_loop_cpu_p99_ms']:.3f} ms")
    results["memory"] = []
    for scale in scales:
        row = _memory_in_subprocess(data_path, scale, scale <= trace_up_to)
        results["memory"].append(row)
        log(f"{scale:,} shoppers: {row['bytes_per_shopper']:,.0f} bytes per shopper")
    results["measured_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    results["load_average"] = os.getloadavg()[0]
    return results


def main(argv: list[str] | None = None) -> None:
    """``python -m leafloaf.bench.runtime``: the same as ``leafloaf bench runtime``."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", required=True, help="a data folder (Instacart layout)")
    parser.add_argument("--out", default="reports/benchmarks", help="report folder")
    parser.add_argument("--scales", default="1000,10000", help="shopper counts for memory")
    parser.add_argument("--calls", type=int, default=2_000, help="rerank calls per condition")
    parser.add_argument(
        "--trace-up-to", type=int, default=10_000, help="largest scale measured with tracemalloc"
    )
    args = parser.parse_args(argv)
    results = run_runtime_bench(
        load_instacart(args.data),
        args.data,
        [int(s) for s in args.scales.split(",") if s],
        args.calls,
        args.trace_up_to,
    )
    write_runtime_report(results, Path(args.out), "leafloaf bench runtime")


def write_runtime_report(results: dict[str, Any], out: Path, command: str) -> Path:
    """Write ``runtime.json`` and ``runtime.md`` (tables against the DESIGN.md budgets)."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "runtime.json").write_text(json.dumps(results, indent=2) + "\n")
    lines = [
        "# Runtime benchmark",
        "",
        f"`{command}` on {results.get('data', results['dataset'])}, "
        f"measured {results['measured_at']} "
        f"(1-minute load average {results.get('load_average', float('nan')):.1f} on "
        f"{os.cpu_count()} CPUs).",
        "",
        "## rerank of 200 candidates (top 20 built)",
        "",
        "| condition | p50 ms | p95 ms | refits during | budget |",
        "|---|---:|---:|---:|---|",
    ]
    for label, key, budget in [
        ("idle", "idle", "p95 <= 1 ms"),
        ("a refit running all the time", "refitting", "p95 <= 2 ms"),
        ("8 writers at a host's pace + refit", "host_writers_and_refit", "p95 <= 2 ms"),
        ("8 writers flat out + refit", "saturating_writers_and_refit", "(GIL-bound)"),
    ]:
        p50 = results.get(f"rerank_200_{key}_p50_ms", float("nan"))
        p95 = results.get(f"rerank_200_{key}_p95_ms", float("nan"))
        fits = results.get(f"refits_during_{key}", "")
        lines.append(f"| {label} | {p50:.3f} | {p95:.3f} | {fits} | {budget} |")
    lines += [
        "",
        "## engine.aio: time a call holds the event loop",
        "",
        "| measure | ms |",
        "|---|---:|",
    ]
    for key in (
        "aio_call_loop_cpu_p50_ms",
        "aio_call_loop_cpu_p99_ms",
        "aio_call_loop_cpu_max_ms",
        "aio_call_loop_cpu_excl_gc_p99_ms",
        "aio_call_loop_cpu_excl_gc_max_ms",
        "aio_loop_gc_pause_max_ms",
        "aio_call_hold_p50_ms",
        "aio_call_hold_p99_ms",
        "aio_call_hold_max_ms",
    ):
        if key in results:
            name = key.removeprefix("aio_call_").removeprefix("aio_").removesuffix("_ms")
            lines.append(f"| {name} | {results[key]:.3f} |")
    if "aio_calls_with_loop_gc" in results:
        lines.append(
            f"\n{results['aio_calls_with_loop_gc']} of {results['aio_calls']} calls ran a"
            " garbage-collection pass on the loop thread."
        )
    lines += [
        "",
        "## Memory growth (everything the engine holds, a fresh process per scale)",
        "",
        "`tracemalloc` counts exactly what is allocated; `rss` is the growth of the resident"
        " set (allocator slack included), used where tracing would make the run too slow."
        " Peak is the highest point during ingest, fit and reads.",
        "",
        "| shoppers | events | measured by | bytes/shopper after ingest |"
        " bytes/shopper after fit + reads | total held | peak | ingest s | fit s |",
        "|---:|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for row in results.get("memory", []):
        lines.append(
            f"| {row['shoppers']:,} | {row['events']:,} | {row.get('method', 'tracemalloc')} | "
            f"{row['bytes_per_shopper_after_ingest']:,.0f} | {row['bytes_per_shopper']:,.0f} | "
            f"{row['bytes_per_shopper'] * row['shoppers'] / 2**30:.2f} GiB | "
            f"{row['peak_bytes'] / 2**30:.2f} GiB | {row['ingest_seconds_traced']:.0f} | "
            f"{row.get('fit_seconds', float('nan')):.0f} |"
        )
    path = out / "runtime.md"
    path.write_text("\n".join(lines) + "\n")
    return path


if __name__ == "__main__":
    main()
