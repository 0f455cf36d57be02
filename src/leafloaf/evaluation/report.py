"""Evaluation reports: a JSON file of every figure, a markdown table, and PNG plots."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

__all__ = ["markdown_table", "write_report"]


def _fmt(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.4f}"
    return str(value)


def markdown_table(rows: Mapping[str, Mapping[str, object]], columns: list[str]) -> str:
    """A markdown table: one row per key of ``rows``, the given ``columns``."""
    lines = ["| method | " + " | ".join(columns) + " |", "|---" * (len(columns) + 1) + "|"]
    for name, values in rows.items():
        lines.append(f"| {name} | " + " | ".join(_fmt(values.get(c, "")) for c in columns) + " |")
    return "\n".join(lines)


def next_basket_markdown(result: Mapping[str, Any]) -> str:
    """Markdown report of a next-basket evaluation."""
    methods = result["methods"]
    main = ["recall@10", "ndcg@10", "phr@10", "recall@20", "ndcg@20", "phr@20"]
    split_cols = ["users", "recall@10", "ndcg@10", "recall@20"]
    parts = [
        f"# Next-basket evaluation: {result['dataset']}",
        "",
        f"{result['users']} users; {result['split']}. The baselines' hyper-parameters are "
        "tuned on the validation basket only; the engine's are learned inside its own "
        f"population refit (below); took {result['seconds']} s.",
        "",
        markdown_table(methods, main),
        "",
        "## Repeat items (bought before by the user)",
        "",
        markdown_table({m: v["repeat"] for m, v in methods.items()}, split_cols),
        "",
        "## Explore items (new to the user)",
        "",
        markdown_table({m: v["explore"] for m, v in methods.items()}, split_cols),
        "",
        "## Tuned hyper-parameters",
        "",
    ]
    for name, values in result.get("params", {}).items():
        parts.append(f"- **{name}**: " + ", ".join(f"{k}={v}" for k, v in values.items()))
    learned = result.get("learned")
    if learned:
        parts += [
            "",
            "## The engine's learned settings",
            "",
            f"`engine.next_basket_settings()` after the refit ({result.get('engine_fit_seconds')} "
            "s for ingest and fit): "
            + ", ".join(f"{k}={learned[k]}" for k in
                        ("half_life_days", "timing_weight", "personal_weight", "neighbours"))
            + f"; source: {', '.join(sorted(set(learned['source'].values())))}; "
            + "; ".join(learned.get("reasons", [])) + ".",
        ]  # fmt: skip
    comparisons = result.get("comparisons")
    if comparisons:
        parts += [
            "",
            "## Paired comparisons (Recall@10, 95 % bootstrap interval over users)",
            "",
            "| comparison | difference | ratio | verdict |",
            "|---|---|---|---|",
        ]
        for name, c in comparisons.items():
            d, r = c["difference"], c["ratio"]
            verdict = "win" if c["win"] else ("loss" if c.get("loss") else "no separation")
            parts.append(
                f"| {name} | {d[0]:+.4f} [{d[1]:+.4f}, {d[2]:+.4f}] "
                f"| {r[0]:.3f} [{r[1]:.3f}, {r[2]:.3f}] | {verdict} |"
            )
    return "\n".join(parts) + "\n"


def write_report(
    result: Mapping[str, Any],
    out: Path,
    stem: str,
    markdown: str,
    plot: Callable[[Any, Mapping[str, Any]], None] | None = None,
) -> list[Path]:
    """Write ``<stem>.json``, ``<stem>.md`` and, with matplotlib, ``<stem>.png``."""
    out.mkdir(parents=True, exist_ok=True)
    written = [out / f"{stem}.json", out / f"{stem}.md"]
    written[0].write_text(json.dumps(result, indent=2, sort_keys=True) + "\n")
    written[1].write_text(markdown)
    if plot is not None:
        try:
            import matplotlib

            matplotlib.use("Agg")
            import matplotlib.pyplot as plt
        except ImportError:
            return written  # plots are optional: pip install 'leafloaf[eval]'
        fig = plt.figure(figsize=(8, 4.5))
        plot(fig, result)
        fig.tight_layout()
        fig.savefig(out / f"{stem}.png", dpi=110)
        plt.close(fig)
        written.append(out / f"{stem}.png")
    return written


def plot_next_basket(fig: Any, result: Mapping[str, Any]) -> None:
    """Grouped bars of Recall/NDCG@10 overall, on repeat and on explore items."""
    methods = list(result["methods"])
    groups = ["all", "repeat", "explore"]
    for col, metric in enumerate(("recall@10", "ndcg@10")):
        ax = fig.add_subplot(1, 2, col + 1)
        width = 0.8 / len(methods)
        for i, name in enumerate(methods):
            block = result["methods"][name]
            values = [block[metric] if g == "all" else block[g][metric] for g in groups]
            ax.bar([g + i * width for g in range(len(groups))], values, width, label=name)
        ax.set_xticks([g + 0.4 - width / 2 for g in range(len(groups))], groups)
        ax.set_title(f"{metric} — {result['dataset']}")
        if col == 0:
            ax.legend(fontsize=8)
