"""Dataset loaders and the CLI (demo, bench) on generated data in the public layouts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from leafloaf import GraphitiPersonalizationEngine
from leafloaf.cli import main
from leafloaf.datasets import INSTACART_START, load_completejourney, load_instacart
from leafloaf.demo import run_demo
from tests.datagen import write_completejourney, write_instacart


def test_instacart_loader_rebuilds_time_and_next_order(tmp_path: Path) -> None:
    folder = write_instacart(tmp_path / "ic", users=5, orders=4)
    data = load_instacart(folder)
    assert len(data.users) == 5
    assert all(e.ts >= INSTACART_START for e in data.events)
    assert [e.ts for e in data.events] == sorted(e.ts for e in data.events)
    for user in data.users:
        last = max(e.ts for e in data.events if e.user_id == user)
        assert data.next_order_at[user] > last
    assert len({e.event_id for e in data.events}) == len(data.events)
    assert data.catalog.attributes("1")[0].startswith("department:")
    assert len(load_instacart(folder, max_users=2).users) == 2


def test_completejourney_loader_keeps_prices_and_quantities(tmp_path: Path) -> None:
    data = load_completejourney(write_completejourney(tmp_path / "cj"))
    assert data.events and all(e.quantity > 0 for e in data.events)
    assert all(e.unit_price is not None and e.unit_price >= 0 for e in data.events)
    assert "40" not in data.catalog  # FUEL is not groceries
    few = load_completejourney(tmp_path / "cj", max_users=3)
    assert {e.event_id for e in few.events} <= {e.event_id for e in data.events}  # stable ids
    engine = GraphitiPersonalizationEngine(data.catalog)
    engine.record_many(data.events)
    profile = engine.budget_profile(data.users[0])
    assert profile.lines_priced > 0 and profile.price_position is not None


def test_demo_prints_every_capability_for_three_shoppers(tmp_path: Path) -> None:
    lines: list[str] = []
    run_demo(str(write_instacart(tmp_path / "ic")), echo=lines.append)
    text = "\n".join(lines)
    assert text.count("=== Shopper") == 3
    for heading in (
        "Usual order",
        "restocks",
        "Search",
        "Dietary avoidances",
        "Complements",
        "Suggested quantities",
        "Price sensitivity",
        "Household",
    ):
        assert text.count(heading) == 3, heading
    assert " — " in text  # every capability line carries its reasons


def test_cli_demo_reports_bad_data_path(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--data", "/nonexistent/folder"]) == 2
    assert "data='/nonexistent/folder'" in capsys.readouterr().err


def test_bench_writes_json_and_markdown(tmp_path: Path) -> None:
    folder = write_instacart(tmp_path / "ic", users=20)
    out = tmp_path / "bench"
    assert main(["bench", "--data", str(folder), "--out", str(out), "--quick"]) == 0
    figures = json.loads((out / "core.json").read_text())
    assert figures["events"] > 0 and figures["record_many_events_per_s"] > 0
    assert 0 < figures["rerank_200_p50_ms"] <= figures["rerank_200_p95_ms"]
    assert "| record_many |" in (out / "core.md").read_text()


def test_demo_runs_on_the_committed_sample() -> None:
    sample = Path(__file__).resolve().parents[1] / "examples" / "data" / "instacart_sample"
    lines: list[str] = []
    run_demo(str(sample), echo=lines.append)
    text = "\n".join(lines)
    assert "learned" in text and text.count("=== Shopper") == 3
    assert sum(f.stat().st_size for f in sample.iterdir()) <= 2 * 1024 * 1024
