"""Shared fixtures: a working folder that looks like the root of a clone, a real redis-server."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from leafloaf.bench.servers import MISSING, RedisServer, find_redis_server

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


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """A real redis-server for the whole session (fails, never skips, when none is found)."""
    binary = find_redis_server()
    if binary is None:
        pytest.fail(MISSING)
    server = RedisServer(binary, tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    """The session server's URL, emptied for this test."""
    if not redis_server.ping():  # a fault test killed it: bring it back
        redis_server.start()
    with socket.create_connection(("127.0.0.1", redis_server.port), timeout=5) as sock:
        sock.sendall(b"FLUSHALL\r\n")
        assert sock.recv(64).startswith(b"+OK")
    return redis_server.url
