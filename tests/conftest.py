"""Shared fixtures: a working folder that looks like the root of a clone."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def clone_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A temporary working folder with ``examples/`` linked from the repo, made current.

    Docs and ``--help`` examples are written to run from the root of a clone; running them
    here instead keeps what they write (``shop.db``, ``reports/``) out of the work tree.
    """
    (tmp_path / "examples").symlink_to(REPO / "examples", target_is_directory=True)
    monkeypatch.chdir(tmp_path)
    return tmp_path
