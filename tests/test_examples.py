"""The examples run: the quickstart script and every cell of the notebook, in order."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]


def test_quickstart_script_runs() -> None:
    result = subprocess.run(
        [sys.executable, str(REPO / "examples" / "quickstart.py")],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    for heading in ("== usual order", "== due for reorder", "== dietary profile",
                    "== complements", "== budget", "== household", "== preferences"):  # fmt: skip
        assert heading in result.stdout
    assert "department:meat seafood [inferred]" in result.stdout
    assert "Bananas (" in result.stdout  # the weekly bananas are due


def test_notebook_cells_execute(monkeypatch: pytest.MonkeyPatch) -> None:
    notebook = json.loads((REPO / "examples" / "quickstart.ipynb").read_text())
    monkeypatch.chdir(REPO)
    namespace: dict[str, Any] = {}
    for cell in notebook["cells"]:
        if cell["cell_type"] == "code":
            exec(compile("".join(cell["source"]), "quickstart.ipynb", "exec"), namespace)
    assert namespace["report"].accepted == len(namespace["data"].events)
    assert namespace["usual"].items
    assert len(namespace["ranked"]) == min(200, len(namespace["pool"]))
    assert os.path.basename(str(namespace["DATA"])) == "instacart_sample"
