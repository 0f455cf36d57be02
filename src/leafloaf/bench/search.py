"""``leafloaf bench search``: LocalSearch latency (BM25, hybrid), personal re-rank cost, build."""

from __future__ import annotations

import json
import random
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from leafloaf.catalog import Catalog
from leafloaf.engine import GraphitiPersonalizationEngine
from leafloaf.search.local import LocalSearch

__all__ = ["run_search_bench", "write_search_report"]

QUERIES = [
    "milk", "organic bananas", "greek yogurt", "pasta sauce", "ice cream", "chocolate chip",
    "sparkling water", "whole wheat bread", "chicken breast", "baby spinach", "cheddar cheese",
    "coffee", "gluten free crackers", "peanut butter", "frozen pizza", "avocado", "eggs",
    "almond milk", "tortilla chips", "toilet paper", "yoghurt", "bananna", "tomatos",
]  # fmt: skip
"""Common grocery queries, with a few typos and plurals on purpose."""


def _percentiles(values: list[float]) -> tuple[float, float]:
    return float(np.percentile(values, 50)), float(np.percentile(values, 95))


def _build(catalog: Catalog, dense: bool) -> tuple[LocalSearch, float, float]:
    tracemalloc.start()
    t0 = time.perf_counter()
    search = LocalSearch(dense=dense)
    search.index(catalog)
    seconds = time.perf_counter() - t0
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return search, seconds, peak / 2**20


def run_search_bench(
    catalog: Catalog,
    engine: GraphitiPersonalizationEngine | None = None,
    repeats: int = 20,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Latency percentiles over :data:`QUERIES` (each run ``repeats`` times)."""
    results: dict[str, Any] = {"products": len(catalog), "queries": len(QUERIES) * repeats}
    for mode, dense in (("bm25", False), ("hybrid", True)):
        search, seconds, peak = _build(catalog, dense)
        results[f"{mode}_build_seconds"] = seconds
        results[f"{mode}_build_peak_mib"] = peak
        for query in QUERIES:  # warm up
            search.search(query, 10)
        timings = []
        for _ in range(repeats):
            for query in QUERIES:
                t0 = time.perf_counter()
                search.search(query, 10)
                timings.append((time.perf_counter() - t0) * 1000)
        results[f"{mode}_p50_ms"], results[f"{mode}_p95_ms"] = _percentiles(timings)
        log(
            f"{mode}: build {seconds:.1f}s (peak {peak:.0f} MiB), "
            f"p50 {results[f'{mode}_p50_ms']:.2f} ms, p95 {results[f'{mode}_p95_ms']:.2f} ms"
        )
        if mode == "bm25":
            bm25 = search
    if engine is not None:
        users = engine.users()[:50]
        rng = random.Random(3)
        added = []
        for _ in range(repeats * 10):
            user, query = rng.choice(users), rng.choice(QUERIES)
            hits = bm25.search(query, 200)
            ids = [h.product_id for h in hits]
            engine.rerank(user, ids)  # warm the user's compiled model
            t0 = time.perf_counter()
            engine.rerank(user, ids, query=query)[:10]
            added.append((time.perf_counter() - t0) * 1000)
        results["personal_rerank_200_p50_ms"], results["personal_rerank_200_p95_ms"] = _percentiles(
            added
        )
        log(
            "personal re-rank of 200 candidates adds p95 "
            f"{results['personal_rerank_200_p95_ms']:.2f} ms"
        )
    return results


def write_search_report(results: dict[str, Any], out: Path, command: str) -> tuple[Path, Path]:
    """Write ``search.json`` and ``search.md``."""
    out.mkdir(parents=True, exist_ok=True)
    json_path, md_path = out / "search.json", out / "search.md"
    json_path.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    rows = [
        ("BM25 search, k=10", "bm25_p50_ms", "bm25_p95_ms", "p95 <= 5 ms"),
        ("hybrid search (BM25 + WordLlama vectors), k=10", "hybrid_p50_ms", "hybrid_p95_ms",
         "p95 <= 20 ms"),
        ("personal re-rank of 200 candidates (added)", "personal_rerank_200_p50_ms",
         "personal_rerank_200_p95_ms", "p95 <= 1 ms"),
    ]  # fmt: skip
    lines = [
        "# Search benchmark",
        "",
        f"`{command}` over {results['products']:,} products, {results['queries']:,} queries "
        "per mode (common grocery queries incl. typos and plurals).",
        "",
        "| operation | p50 ms | p95 ms | target |",
        "|---|---:|---:|---|",
    ]
    for label, p50, p95, target in rows:
        if p50 in results:
            lines.append(f"| {label} | {results[p50]:.3f} | {results[p95]:.3f} | {target} |")
    lines += [
        "",
        "| index build | seconds | peak MiB (tracemalloc) |",
        "|---|---:|---:|",
        f"| BM25 | {results['bm25_build_seconds']:.2f} | {results['bm25_build_peak_mib']:.0f} |",
        f"| hybrid | {results['hybrid_build_seconds']:.2f} | "
        f"{results['hybrid_build_peak_mib']:.0f} |",
    ]
    md_path.write_text("\n".join(lines) + "\n")
    return json_path, md_path
