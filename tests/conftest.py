"""Shared fixtures: a working folder that looks like the root of a clone, a real redis-server."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from leafloaf.analytics.base import AnalyticsSink
from leafloaf.bench.servers import MISSING, RedisServer, find_redis_server
from leafloaf.stores.base import StateStore
from tests.gcp.emulators import (
    BQ_PROJECT,
    SPANNER_DATABASE,
    SPANNER_INSTANCE,
    BigQueryEmulator,
    SpannerEmulator,
    wipe_spanner,
)

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


# --- real Google Cloud emulators (tests/gcp/emulators.py): started once per session ----------
@pytest.fixture(scope="session")
def spanner_emulator() -> Iterator[SpannerEmulator]:
    """A Cloud Spanner emulator with one empty database (fails if the emulator is missing)."""
    emulator = SpannerEmulator()
    emulator.start()
    emulator.create_database(SPANNER_INSTANCE, SPANNER_DATABASE)
    yield emulator
    emulator.kill()


@pytest.fixture
def spanner_store(spanner_emulator: SpannerEmulator) -> Iterator[StateStore]:
    """A SpannerStore on the session's emulator database, emptied before the test."""
    from leafloaf.stores.spanner import SpannerStore

    store = SpannerStore(
        project="test-project",
        instance=SPANNER_INSTANCE,
        database=SPANNER_DATABASE,
        emulator_host=spanner_emulator.host,
    )
    wipe_spanner(store)
    yield store
    store.close()


@pytest.fixture(scope="session")
def bigquery_emulator() -> Iterator[BigQueryEmulator]:
    """A BigQuery emulator from its own cached venv (fails if it cannot be installed)."""
    emulator = BigQueryEmulator()
    emulator.start()
    yield emulator
    emulator.kill()


@pytest.fixture
def bigquery_sink(
    bigquery_emulator: BigQueryEmulator, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[AnalyticsSink]:
    """A BigQuerySink on the session's emulator, in a dataset of its own (short deadline)."""
    from leafloaf.analytics.bigquery import BigQuerySink

    sink = BigQuerySink(
        project=BQ_PROJECT,
        dataset=f"t{abs(hash(request.node.nodeid)) % 10**9}",
        endpoint=bigquery_emulator.endpoint,
        deadline_s=5.0,
        dead_letter_path=str(tmp_path / "dead-letter.jsonl"),
    )
    yield sink
    sink.close()
