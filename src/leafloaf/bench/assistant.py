"""``leafloaf bench assistant``: turn latency of ``Assistant.reply`` without an LLM."""

from __future__ import annotations

import json
import os
import platform
import time
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from leafloaf.datasets import Dataset
from leafloaf.engine import GraphitiPersonalizationEngine

__all__ = ["SCRIPT", "run_assistant_bench", "write_assistant_report"]

SCRIPT = [
    "hi",
    "show me milk",
    "add the first one",
    "make it two",
    "add bananas and show my cart",
    "what do i usually buy",
    "add the second one",
    "what am i running out of",
    "do you have greek yogurt",
    "the organic one",
    "add 3 limes",
    "remove the milk",
    "actually two",
    "search for tortilla chips under $4",
    "add eggs",
    "the first one",
    "no meat for me",
    "show me chicken",
    "whats in my cart",
    "checkout",
]
"""One conversation per shopper: every intent, references, a clarification, a diet."""

TARGET_P95_MS = 20.0


def _stats(values: list[float]) -> dict[str, float]:
    a = np.asarray(values)
    return {
        "n": float(len(a)),
        "p50_ms": float(np.percentile(a, 50)),
        "p95_ms": float(np.percentile(a, 95)),
        "p99_ms": float(np.percentile(a, 99)),
        "mean_ms": float(a.mean()),
    }


def run_assistant_bench(dataset: Dataset, shoppers: int = 50) -> dict[str, Any]:
    """Learn the dataset, then time :data:`SCRIPT` for ``shoppers`` real shoppers."""
    from leafloaf.agents.assistant import Assistant

    last = max(e.ts for e in dataset.events)
    engine = GraphitiPersonalizationEngine(dataset.catalog, clock=lambda: last)
    engine.record_many(dataset.events)
    engine.fit()
    assistant = Assistant(engine)
    start = time.perf_counter()
    assistant.warm()
    warm_s = time.perf_counter() - start
    totals: list[float] = []
    by_intent: dict[str, list[float]] = defaultdict(list)
    by_stage: dict[str, list[float]] = defaultdict(list)
    load_start = os.getloadavg()
    for user in dataset.users[:shoppers]:
        session = None
        for message in SCRIPT:
            t = time.perf_counter()
            reply = assistant.reply(user, message, session=session)
            elapsed = (time.perf_counter() - t) * 1000
            session = reply.session
            totals.append(elapsed)
            by_intent["+".join(i.value for i in reply.intents)].append(elapsed)
            for stage, ms in reply.timings.items():
                by_stage[stage].append(ms)
    return {
        "products": len(dataset.catalog),
        "shoppers": min(shoppers, len(dataset.users)),
        "events": len(dataset.events),
        "turns": len(totals),
        "warm_seconds": warm_s,
        "reply": _stats(totals),
        "by_intent": {k: _stats(v) for k, v in sorted(by_intent.items())},
        "by_stage": {k: _stats(v) for k, v in sorted(by_stage.items())},
        "target_p95_ms": TARGET_P95_MS,
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "load_average_start": [round(x, 2) for x in load_start],
        "load_average_end": [round(x, 2) for x in os.getloadavg()],
    }


def write_assistant_report(
    results: dict[str, Any], out_dir: str | Path, command: str = "leafloaf bench assistant"
) -> tuple[Path, Path]:
    """Write ``assistant.json`` and ``assistant.md`` into ``out_dir``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    json_path, md_path = out / "assistant.json", out / "assistant.md"
    json_path.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    r = results["reply"]
    met = "met" if r["p95_ms"] <= results["target_p95_ms"] else "NOT met"
    lines = [
        "# Assistant benchmark",
        "",
        f"`{command}`: `Assistant.reply` with no LLM over {results['products']:,} products "
        f"and {results['events']:,} purchase events; {results['shoppers']} real shoppers each "
        f"run the same {len(SCRIPT)}-turn conversation ({results['turns']:,} timed turns: "
        "search, add with a clarifying question, references, quantities, usual, due, a diet, "
        f"checkout). Python {results['python']}, {results['cpus']} CPUs, "
        f"{results['platform']}; measured {results['measured_at']}; load average "
        f"{results['load_average_start']} at the start, {results['load_average_end']} at the "
        "end (shared cores).",
        "",
        "| turns | p50 ms | p95 ms | p99 ms | target p95 |",
        "|---|---:|---:|---:|---|",
        f"| all | {r['p50_ms']:.2f} | {r['p95_ms']:.2f} | {r['p99_ms']:.2f} | "
        f"<= {results['target_p95_ms']:.0f} ms ({met}) |",
    ]
    for intent, s in results["by_intent"].items():
        lines.append(
            f"| {intent} ({s['n']:.0f}) | {s['p50_ms']:.2f} | {s['p95_ms']:.2f} | "
            f"{s['p99_ms']:.2f} | |"
        )
    lines += ["", "| stage | p50 ms | p95 ms | p99 ms |", "|---|---:|---:|---:|"]
    for stage, s in results["by_stage"].items():
        lines.append(f"| {stage} | {s['p50_ms']:.2f} | {s['p95_ms']:.2f} | {s['p99_ms']:.2f} |")
    lines += [
        "",
        f"Warm-up before the first turn (search index build, intent model training): "
        f"{results['warm_seconds']:.1f} s.",
        "",
    ]
    md_path.write_text("\n".join(lines))
    return json_path, md_path
