"""The real Google Cloud emulators the GCP tests run against, started as subprocesses.

Cloud Spanner: ``emulator_main`` from the Google Cloud CLI's spanner-emulator component (on
the machine image; not on PyPI). BigQuery: ``bqemulator`` from PyPI, installed into its own
virtual environment in a cache folder because it pins its own duckdb. A missing emulator
FAILS the tests that need it, with a message saying how to install it: never a skip.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

os.environ.setdefault("SPANNER_DISABLE_BUILTIN_METRICS", "true")

BQEMU_PINS = [
    "bqemulator==1.4.0",
    "duckdb==1.5.5",
    "duckdb-extensions==1.5.5",
    "duckdb-extension-spatial==1.5.5",
    "numpy",
]
BQ_PROJECT = "test-project"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_port(port: int, process: subprocess.Popen[bytes], what: str, limit: float) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"{what} exited with {process.returncode} before it was ready")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    pytest.fail(f"{what} did not listen on port {port} within {limit} s")


def spanner_emulator_binary() -> Path:
    """``emulator_main`` from the Cloud SDK, or a test failure that says how to get it."""
    candidates: list[Path] = []
    if os.environ.get("SPANNER_EMULATOR_BINARY"):
        candidates.append(Path(os.environ["SPANNER_EMULATOR_BINARY"]))
    gcloud = shutil.which("gcloud")
    if gcloud:
        try:
            root = subprocess.run(
                [gcloud, "info", "--format=value(installation.sdk_root)"],
                capture_output=True, text=True, timeout=60, check=False,
            ).stdout.strip()  # fmt: skip
        except (OSError, subprocess.SubprocessError):
            root = ""
        if root:
            candidates.append(Path(root) / "bin" / "cloud_spanner_emulator" / "emulator_main")
    candidates += [
        Path("/usr/lib/google-cloud-sdk/bin/cloud_spanner_emulator/emulator_main"),
        Path("/usr/share/google-cloud-sdk/bin/cloud_spanner_emulator/emulator_main"),
    ]
    for path in candidates:
        if path.is_file() and os.access(path, os.X_OK):
            return path
    pytest.fail(
        "the Cloud Spanner emulator (emulator_main) is not installed: install the Debian "
        "package google-cloud-cli-spanner-emulator (or set SPANNER_EMULATOR_BINARY); "
        f"looked in {[str(c) for c in candidates]}"
    )


class SpannerEmulator:
    """One ``emulator_main`` process on a fixed loopback port (restartable for fault tests)."""

    def __init__(self) -> None:
        self.binary = spanner_emulator_binary()
        self.port = free_port()
        self.host = f"127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [str(self.binary), "--host_port", self.host],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _wait_port(self.port, self.process, "the Spanner emulator", 30.0)

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def create_database(self, instance: str, database: str) -> None:
        """Create the instance (if missing) and an empty database through the admin API."""
        from google.api_core import exceptions
        from google.auth.credentials import AnonymousCredentials
        from google.cloud import spanner

        client = spanner.Client(
            project="test-project",
            credentials=AnonymousCredentials(),
            client_options={"api_endpoint": self.host},
            disable_builtin_metrics=True,
        )
        handle = client.instance(
            instance,
            configuration_name="projects/test-project/instanceConfigs/emulator-config",
            node_count=1,
        )
        deadline = time.monotonic() + 30.0
        while True:  # a restarted emulator may take a moment to serve on its port
            try:
                handle.create().result(timeout=60)
                break
            except exceptions.AlreadyExists:
                break
            except exceptions.ServiceUnavailable:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        handle.database(database).create().result(timeout=60)
        client.close()


def bqemulator_executable() -> Path:
    """``bqemulator`` in its own cached virtual environment, built on first use (~35 s)."""
    base = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "leafloaf-test"
    venv = base / "bqemu"
    exe = venv / "bin" / "bqemulator"
    marker = venv / ".installed"
    if exe.exists() and marker.exists() and marker.read_text() == "\n".join(BQEMU_PINS):
        return exe
    base.mkdir(parents=True, exist_ok=True)
    python = shutil.which("python3.11") or sys.executable
    steps = [
        [python, "-m", "venv", "--clear", str(venv)],
        [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", *BQEMU_PINS],
        [
            str(venv / "bin" / "python"),
            "-c",
            "from duckdb_extensions import import_extension; import_extension('spatial')",
        ],
    ]
    for step in steps:
        done = subprocess.run(step, capture_output=True, text=True, timeout=600, check=False)
        if done.returncode != 0:
            pytest.fail(
                f"could not install the BigQuery emulator ({' '.join(step[:4])}...): "
                f"{done.stderr[-2000:]}"
            )
    marker.write_text("\n".join(BQEMU_PINS))
    return exe


class BigQueryEmulator:
    """One ``bqemulator`` process (REST + gRPC ports), restartable for fault tests."""

    def __init__(self) -> None:
        self.exe = bqemulator_executable()
        self.port = free_port()
        self.grpc_port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None
        self.data_dir: Path | None = None

    def start(self) -> None:
        env = {**os.environ, "BQEMU_ENABLE_FORMAT_EXTENSIONS": "false"}
        self.process = subprocess.Popen(
            [
                str(self.exe), "start", "--rest-port", str(self.port),
                "--grpc-port", str(self.grpc_port), "--project", BQ_PROJECT,
            ],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
        )  # fmt: skip
        _wait_port(self.port, self.process, "the BigQuery emulator", 60.0)
        deadline = time.monotonic() + 60.0
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.endpoint}/readyz", timeout=2) as reply:
                    if reply.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.1)
        pytest.fail("the BigQuery emulator did not answer /readyz within 60 s")

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()


SPANNER_INSTANCE = "test-instance"
SPANNER_DATABASE = "leafloaf"


def wipe_spanner(store: object) -> None:
    """Delete every shopper (rows and events cascade) so each test starts from empty."""
    database = store._db  # type: ignore[attr-defined]

    def wipe(txn: object) -> None:
        txn.execute_update("DELETE FROM Users WHERE TRUE")  # type: ignore[attr-defined]

    database.run_in_transaction(wipe)
