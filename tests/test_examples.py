"""The examples run: the quickstart script, and every cell of the notebook in order."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples"

SCRIPT_SECTIONS = (
    "== recording",
    "== usual order",
    "== reorder",
    "== dietary profile",
    "== complements",
    "== suggested quantity",
    "== budget",
    "== household",
    "== search results re-ranked",
    "== explain",
    "== preferences (JSON)",
)


def _run_example(name: str) -> str:
    """Run ``examples/<name>`` as a user would; its standard output."""
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / name)],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_quickstart_script_runs() -> None:
    out = _run_example("quickstart.py")
    for section in SCRIPT_SECTIONS:
        assert section in out, f"missing section {section!r}"
    assert "0 rejected" in out
    assert "duplicates ignored" in out
    assert "department:meat seafood [inferred" in out  # never buys meat: learned, not told
    assert "department:meat seafood [declared]" in out
    assert "due     Bananas" in out  # weekly bananas are due a week later
    assert "Tomato Pasta Sauce" in out.split("== complements")[1]
    assert "maya: price-sensitive" in out
    # the preferences JSON is the last thing printed and parses
    prefs = json.loads(out[out.index("== preferences (JSON)") :].split("\n", 1)[1])
    assert prefs["user_id"] == "maya"
    assert prefs["declared_avoided"] == ["department:meat seafood"]


def test_notebook_cells_execute(monkeypatch: pytest.MonkeyPatch) -> None:
    notebook = json.loads((EXAMPLES / "quickstart.ipynb").read_text(encoding="utf-8"))
    assert notebook["nbformat"] == 4
    monkeypatch.chdir(REPO)
    namespace: dict[str, Any] = {"__name__": "__main__"}
    for n, cell in enumerate(notebook["cells"]):
        if cell["cell_type"] != "code":
            continue
        assert not cell["outputs"], f"cell {n} has stored outputs"
        exec(compile("".join(cell["source"]), f"quickstart.ipynb[{n}]", "exec"), namespace)
    assert namespace["DATA"].name == "instacart_sample"
    assert namespace["report"].accepted == len(namespace["data"].events)
    assert namespace["replay"].duplicates == namespace["replay"].accepted
    assert namespace["usual"].items, "the usual order is empty"
    assert len(namespace["ranked"]) == min(200, len(namespace["pool"]))
    assert namespace["department"] in namespace["prefs"].declared_avoided


def test_host_backends_example_runs() -> None:
    out = _run_example("host_backends.py")
    assert "Added 2 × Oat Milk (you usually take 2" in out  # quantity memory, host search
    assert "skipped: you told us you avoid meat seafood" in out
    assert "Your cart: 2 × Oat Milk, 2 × Sourdough Bread. Total 13.80." in out
    assert "host cart service holds: {}" in out  # checkout emptied the host's cart
    assert "orders placed: 1" in out
    assert "cart events the engine learned from: 3" in out
