"""``leafloaf chat`` through a pseudo-terminal, and ``leafloaf bench assistant``."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

from leafloaf.cli import main
from tests.conftest import REPO

SAMPLE = REPO / "examples" / "data" / "instacart_sample"


def _read_until(fd: int, marker: str, seen: list[str], timeout: float = 120.0) -> str:
    """Read the terminal until ``marker`` appears (after what was seen before)."""
    deadline = time.monotonic() + timeout
    start = len("".join(seen))
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(fd, 4096).decode("utf-8", "replace")
            except OSError:  # the child closed the terminal
                break
            seen.append(chunk)
            if marker in "".join(seen)[start:]:
                return "".join(seen)[start:]
    raise AssertionError(f"no {marker!r} in {''.join(seen)[start:]!r}")


def test_chat_in_a_terminal() -> None:
    main_fd, child_fd = pty.openpty()
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "COLUMNS": "200"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "leafloaf", "chat", "--data", str(SAMPLE), "--user", "16229"],
        stdin=child_fd, stdout=child_fd, stderr=child_fd, env=env, close_fds=True,
    )  # fmt: skip
    os.close(child_fd)
    seen: list[str] = []
    try:
        assert "Chatting as shopper 16229" in _read_until(main_fd, "you> ", seen)
        os.write(main_fd, b"add 2 bananas\n")
        out = _read_until(main_fd, "you> ", seen)
        assert "Added 2 × Banana (you bought it 15 times" in out
        assert "[add;" in out
        os.write(main_fd, b"make it three\n")
        assert "Banana: now 3." in _read_until(main_fd, "you> ", seen)
        os.write(main_fd, b"/cart\n")
        assert "Your cart: 3 × Banana." in _read_until(main_fd, "you> ", seen)
        os.write(main_fd, b"/quit\n")
        assert proc.wait(timeout=60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(main_fd)


def test_chat_rejects_an_unknown_shopper(capsys: object) -> None:
    assert main(["chat", "--data", str(SAMPLE), "--user", "nobody-here", "--users", "3"]) == 2


def test_bench_assistant_writes_its_report(tmp_path: Path) -> None:
    code = main(["bench", "assistant", "--data", str(SAMPLE), "--users", "40", "--quick",
                 "--out", str(tmp_path)])  # fmt: skip
    assert code == 0
    results = json.loads((tmp_path / "assistant.json").read_text())
    assert results["turns"] == 3 * 20 and results["shoppers"] == 3
    assert results["reply"]["p50_ms"] <= results["reply"]["p95_ms"] <= results["reply"]["p99_ms"]
    assert {"search", "add", "checkout"} <= set(results["by_intent"])
    assert "| all |" in (tmp_path / "assistant.md").read_text()
