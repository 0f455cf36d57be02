"""The ``leafloaf`` command: one line and exit 2 for every user mistake, help examples that run."""

from __future__ import annotations

import io
import json
import shlex
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

import leafloaf.demo
from leafloaf.cli import _EVALUATIONS, DEFAULT_OUT, build_parser, main
from tests.conftest import REPO
from tests.datagen import write_completejourney, write_instacart

SUBCOMMANDS = [
    ["demo"],
    ["bench"],
    ["bench", "search"],
    ["bench", "assistant"],
    ["chat"],
    *(["evaluate", what] for what in _EVALUATIONS),
]
IDS = [" ".join(c) for c in SUBCOMMANDS]


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("data")
    empty = root / "empty"
    empty.mkdir()
    no_products = write_instacart(root / "no_products", users=4)
    (no_products / "products.csv").unlink()
    (root / "a_file.csv").write_text("x\n1\n")
    (root / "not.json").write_text("{not json")
    return {
        "instacart": write_instacart(root / "ic", users=12),
        "completejourney": write_completejourney(root / "cj"),
        "empty": empty,
        "no_products": no_products,
        "file": root / "a_file.csv",
        "bad_json": root / "not.json",
    }


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Exit status, stdout and stderr of ``leafloaf ARGV`` run in this process."""
    try:
        code = main(argv)
    except SystemExit as stop:  # argparse exits by itself on a bad argument
        code = stop.code if isinstance(stop.code, int) else 1
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line_error(code: int, err: str, *fragments: str) -> None:
    assert code == 2, err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got {lines}"
    assert "error:" in lines[0]
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])


def _with_data(command: list[str], data: Path, *rest: str) -> list[str]:
    return [*command, "--data", str(data), *rest]


@pytest.mark.parametrize("command", SUBCOMMANDS, ids=IDS)
def test_missing_data_path_is_one_line(
    command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(_with_data(command, Path("/nonexistent/shop")), capsys)
    assert_one_line_error(code, err, "data='/nonexistent/shop'", "does not exist")


@pytest.mark.parametrize("command", SUBCOMMANDS, ids=IDS)
@pytest.mark.parametrize("folder", ["empty", "no_products", "file"])
def test_folder_without_data_is_one_line(
    command: list[str],
    folder: str,
    folders: dict[str, Path],
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, _, err = run(_with_data(command, folders[folder]), capsys)
    assert_one_line_error(code, err, str(folders[folder]))


@pytest.mark.parametrize("command", SUBCOMMANDS, ids=IDS)
def test_format_that_does_not_match_the_folder_is_one_line(
    command: list[str], folders: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    argv = _with_data(command, folders["instacart"], "--format", "completejourney")
    code, _, err = run(argv, capsys)
    assert_one_line_error(code, err, "not Complete Journey data")
    argv = _with_data(command, folders["completejourney"], "--format", "instacart")
    code, _, err = run(argv, capsys)
    assert_one_line_error(code, err, "not Instacart-layout data")


@pytest.mark.parametrize("command", SUBCOMMANDS, ids=IDS)
def test_unknown_format_is_one_line(
    command: list[str], folders: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(_with_data(command, folders["instacart"], "--format", "xlsx"), capsys)
    assert_one_line_error(code, err, "--format", "'xlsx'")


@pytest.mark.parametrize("command", SUBCOMMANDS, ids=IDS)
@pytest.mark.parametrize("count", ["0", "-5", "many", "2.5"])
def test_users_below_one_or_not_a_number_is_one_line(
    command: list[str], count: str, folders: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(_with_data(command, folders["instacart"], "--users", count), capsys)
    assert_one_line_error(code, err, "--users", count)


@pytest.mark.parametrize("count", ["0", "-1"])
def test_demo_shoppers_below_one_is_one_line(
    count: str, folders: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(["demo", "--data", str(folders["instacart"]), "--shoppers", count], capsys)
    assert_one_line_error(code, err, "--shoppers", count)


def test_dnntsp_format_on_a_folder_or_bad_json_is_one_line(
    folders: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    for data in (folders["instacart"], folders["file"]):
        argv = ["evaluate", "next-basket", "--data", str(data), "--format", "dnntsp"]
        code, _, err = run(argv, capsys)
        assert_one_line_error(code, err, "not DNNTSP data")
    code, _, err = run(["evaluate", "next-basket", "--data", str(folders["bad_json"])], capsys)
    assert_one_line_error(code, err, "is not JSON")


WRITERS = [c for c in SUBCOMMANDS if c[0] not in ("demo", "chat")]
"""The commands that write reports (``--out``)."""


@pytest.mark.parametrize("command", WRITERS, ids=[" ".join(c) for c in WRITERS])
def test_report_folder_that_is_a_file_is_one_line(
    command: list[str], folders: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    argv = _with_data(command, folders["instacart"], "--out", str(folders["file"]))
    code, _, err = run(argv, capsys)
    assert_one_line_error(code, err, "out=", "is a file")


def test_unknown_subcommand_and_option_are_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["serve"], ["demo", "--colour"], ["evaluate"], []):
        code, _, err = run(argv, capsys)
        assert_one_line_error(code, err)


def test_no_data_anywhere_says_where_data_comes_from(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(leafloaf.demo, "DATA_CANDIDATES", (tmp_path / "nothing",))
    code, _, err = run(["demo"], capsys)
    assert_one_line_error(code, err, "--data PATH", "examples/data/", "Where the data comes from")


def test_version_comes_from_the_package_metadata(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["--version"], capsys)
    assert code == 0
    assert out.strip() == f"leafloaf {version('leafloaf')}"


def test_python_dash_m_runs_the_same_command() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "leafloaf", "--version"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"leafloaf {version('leafloaf')}"


def test_reports_default_to_a_reports_folder_where_you_run(
    folders: dict[str, Path], clone_cwd: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert not DEFAULT_OUT.is_absolute()
    code, out, err = run(["bench", "--data", str(folders["instacart"]), "--quick"], capsys)
    assert code == 0, err
    written = clone_cwd / DEFAULT_OUT / "benchmarks" / "core.json"
    assert json.loads(written.read_text())["events"] > 0
    assert f"wrote {DEFAULT_OUT / 'benchmarks' / 'core.json'}" in out


def test_long_steps_leave_their_time_on_screen(
    folders: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["evaluate", "dietary", "--data", str(folders["instacart"]), "--out", str(tmp_path)]
    code, _, err = run(argv, capsys)
    assert code == 0, err
    assert f"loading {folders['instacart']} … done in " in err
    assert "learning from 12 shoppers' history … done in " in err


def _help_examples() -> list[str]:
    """Every ``leafloaf …`` example line in the help of every command and subcommand."""
    parser = build_parser()
    texts = [parser.format_help()]
    pending = [parser]
    while pending:
        current = pending.pop()
        for action in current._actions:
            if getattr(action, "choices", None) and hasattr(action, "_name_parser_map"):
                for sub in action.choices.values():
                    texts.append(sub.format_help())
                    pending.append(sub)
    return [
        line.strip()
        for text in texts
        for line in text.splitlines()
        if line.startswith("  leafloaf ")
    ]


def test_every_subcommand_has_a_help_example() -> None:
    examples = _help_examples()
    for command in SUBCOMMANDS:
        assert any(shlex.split(e)[1 : 1 + len(command)] == command for e in examples), command


@pytest.mark.slow
@pytest.mark.parametrize("example", _help_examples())
def test_help_examples_run_as_written(
    example: str,
    clone_cwd: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Without --data the demo would find ../shared beside this checkout: keep to the sample.
    sample = REPO / "examples" / "data" / "completejourney_sample"
    monkeypatch.setattr(leafloaf.demo, "DATA_CANDIDATES", (sample,))
    monkeypatch.setattr(sys, "stdin", io.StringIO("add 2 bananas\n"))  # what chat reads
    code, out, err = run(shlex.split(example)[1:], capsys)
    assert code == 0, err
    assert "Traceback" not in err
    if "evaluate" in example or "bench" in example:
        assert "wrote reports" in out  # relative to where it runs, never into the package
    elif "chat" in example:
        assert "Added 2 × Banana" in out
    else:
        assert "=== Shopper" in out


def test_bench_memory_writes_belief_and_recall_figures(
    folders: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["bench", "memory", "--data", str(folders["instacart"]), "--quick"]
    code, _, err = run([*argv, "--out", str(tmp_path)], capsys)
    assert code == 0, err
    results = json.loads((tmp_path / "memory.json").read_text())
    assert results["shoppers"] == 12 and results["facts"] > 0
    assert results["graphiti_kuzu_edges"] == results["facts"]  # every belief is an edge
    assert results["graphiti_kuzu_recall_p95_ms"] > 0
    assert results["graphiti_kuzu_write_facts_per_cpu_second"] > 0
    assert "GraphitiMemory (Kuzu)" in (tmp_path / "memory.md").read_text()
