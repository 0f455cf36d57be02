"""Dataset loaders and the CLI (demo, bench) on generated data in the public layouts."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from leafloaf import GraphitiPersonalizationEngine
from leafloaf.cli import main
from leafloaf.datasets import INSTACART_START, check_layout, load_completejourney, load_instacart
from leafloaf.demo import run_demo
from leafloaf.errors import ValidationError
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


HEADINGS = (
    "Preferences (schema v1",
    "Usual order",
    "Restocks for their next order",
    "Next basket predicted",
    'Search "',
    "Dietary avoidances",
    "Complements for a basket",
    "Suggested quantities",
    "Price sensitivity",
    "Household:",
)


def test_demo_prints_all_ten_capabilities_for_three_shoppers(tmp_path: Path) -> None:
    lines: list[str] = []
    run_demo(str(write_completejourney(tmp_path / "cj")), echo=lines.append)
    text = "\n".join(lines)
    assert text.count("=== Shopper") == 3
    for heading in HEADINGS:
        assert text.count(heading) == 3, heading
    assert " — " in text  # capability lines carry their reasons
    assert "note:" not in text  # this data has quantities and prices


def test_demo_says_what_data_without_quantities_or_prices_cannot_show(tmp_path: Path) -> None:
    lines: list[str] = []
    run_demo(str(write_instacart(tmp_path / "ic")), shoppers=1, echo=lines.append)
    notes = [line for line in lines if line.startswith("note:")]
    assert len(notes) == 2
    assert "no quantities" in notes[0] and "no prices" in notes[1]


def test_demo_search_reasons_sit_beside_the_personalised_item(tmp_path: Path) -> None:
    lines: list[str] = []
    run_demo(str(write_instacart(tmp_path / "ic")), shoppers=1, echo=lines.append)
    start = next(i for i, line in enumerate(lines) if line.startswith("Search "))
    header, rows = lines[start + 1], lines[start + 2 : start + 7]
    assert header.index("this shopper") < header.index("why")
    for row in rows:
        everyone, mine = row.split(" | ")
        assert " — " not in everyone and " — " in mine


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


SAMPLES = Path(__file__).resolve().parents[1] / "examples" / "data"


def test_demo_on_the_bundled_sample_shows_every_capability(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import leafloaf.demo

    monkeypatch.setattr(leafloaf.demo, "DATA_CANDIDATES", (SAMPLES / "completejourney_sample",))
    lines: list[str] = []
    run_demo(echo=lines.append)  # the default data, as `make demo` without ../shared
    text = "\n".join(lines)
    assert text.count("=== Shopper") == 3 and "note:" not in text
    # between them, the three shoppers have something true to say for every capability
    assert "Dietary avoidances (inferred" in text
    assert ", due  — " in text
    assert re.search(r"^  ([2-9]|\d\d+) × ", text, re.MULTILINE), "no quantity above 1"
    verdicts = set(re.findall(r"Price sensitivity: ([a-z-]+)", text))
    assert "unknown" not in verdicts and len(verdicts) >= 2
    assert {"more", "less"} <= set(
        re.findall(r"Household: (more|less) likely shared than a typical account \(", text)
    )


def test_bundled_samples_stay_small_and_carry_their_terms() -> None:
    for name, limit in (("instacart_sample", 2), ("completejourney_sample", 1)):
        folder = SAMPLES / name
        assert sum(f.stat().st_size for f in folder.iterdir()) <= limit * 1024 * 1024, name
    assert "84.51" in (SAMPLES / "completejourney_sample" / "PROVENANCE.md").read_text()
    assert "non-commercial" in (SAMPLES / "README.md").read_text()


def test_loaders_reject_counts_below_one(tmp_path: Path) -> None:
    ic, cj = write_instacart(tmp_path / "ic", users=3), write_completejourney(tmp_path / "cj")
    for loader, folder in ((load_instacart, ic), (load_completejourney, cj)):
        for bad in (0, -5):
            with pytest.raises(ValidationError, match=f"max_users={bad}"):
                loader(folder, max_users=bad)


def test_loaders_name_the_file_and_column_of_a_wrong_layout(tmp_path: Path) -> None:
    ic, cj = write_instacart(tmp_path / "ic", users=3), write_completejourney(tmp_path / "cj")
    assert check_layout(ic) == "instacart" and check_layout(cj) == "completejourney"
    with pytest.raises(ValidationError, match=r"no file matching transactions\.csv\.gz"):
        load_completejourney(ic)
    with pytest.raises(ValidationError, match="not Instacart-layout data"):
        load_instacart(cj)
    (ic / "orders_demo.csv").write_text("order_id,user_id\n1,1\n")
    with pytest.raises(ValidationError, match=r"orders_demo\.csv.*has no column eval_set"):
        load_instacart(ic)


def test_completejourney_names_that_collide_get_the_product_id(tmp_path: Path) -> None:
    data = load_completejourney(write_completejourney(tmp_path / "cj", same_names=True))
    names = [p.name for p in data.catalog]
    assert len(set(names)) == len(names)
    assert all(
        name.endswith(f"#{p.product_id}") for name, p in zip(names, data.catalog, strict=True)
    )
