"""SpannerStore beyond the contract: the statements it sends, erasure, and an emulator outage."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from google.cloud.spanner_v1 import (
    CommitRequest,
    ExecuteBatchDmlRequest,
    ExecuteSqlRequest,
    ResultSet,
    ResultSetMetadata,
    StructType,
    Type,
    TypeCode,
)
from spannermockserver.mock_spanner import start_mock_server

from leafloaf import Event, GraphitiPersonalizationEngine
from leafloaf.stores.base import Op
from leafloaf.stores.spanner import DDL, SpannerStore
from tests.gcp.emulators import SPANNER_DATABASE, SPANNER_INSTANCE, SpannerEmulator
from tests.runtime.faults import CATALOG, history


def _result(columns: list[tuple[str, int]], rows: list[list[str]]) -> ResultSet:
    fields = [StructType.Field(name=n, type=Type(code=code)) for n, code in columns]
    result = ResultSet(metadata=ResultSetMetadata(row_type=StructType(fields=fields)))
    result.rows.extend(rows)
    return result


@pytest.fixture
def mocked() -> Iterator[tuple[SpannerStore, Any]]:
    """A SpannerStore on spannermockserver, with the answers its start-up queries need."""
    server, servicer, _admin, port = start_mock_server()
    mock = servicer.mock_spanner
    mock.add_result(
        "SELECT table_name FROM information_schema.tables",
        _result([("table_name", TypeCode.STRING)], [["Meta"]]),
    )
    mock.add_result(
        "SELECT commits FROM Meta WHERE k = @k", _result([("commits", TypeCode.INT64)], [["7"]])
    )
    mock.add_result(
        "SELECT commits, next_seq FROM Meta WHERE k = @k",
        _result([("commits", TypeCode.INT64), ("next_seq", TypeCode.INT64)], [["7", "40"]]),
    )
    mock.add_result(
        "SELECT event_id, user_id FROM Events@{FORCE_INDEX=EventsById} "
        "WHERE event_id IN UNNEST(@ids)",
        _result([("event_id", TypeCode.STRING), ("user_id", TypeCode.STRING)], []),
    )
    mock.add_result(
        "SELECT event_id FROM Events@{FORCE_INDEX=EventsById} WHERE event_id IN UNNEST(@ids)",
        _result([("event_id", TypeCode.STRING)], []),
    )
    for sql in (
        "DELETE FROM Users WHERE user_id IN UNNEST(@u)",
        "DELETE FROM Events WHERE event_id IN UNNEST(@e)",
    ):
        mock.add_result(sql, ResultSet(stats={"row_count_exact": 1}))
    store = SpannerStore(project="p", instance="i", database="d", emulator_host=f"localhost:{port}")
    servicer.clear_requests()
    yield store, servicer
    store.close()
    server.stop(grace=None)


def test_ddl_interleaves_every_per_user_table_in_users() -> None:
    tables = [s for s in DDL if s.startswith("CREATE TABLE")]
    assert [t.split()[2] for t in tables] == ["Users", "StateRows", "Events", "Meta"]
    for table in tables[1:3]:
        assert "INTERLEAVE IN PARENT Users ON DELETE CASCADE" in table
    assert any("UNIQUE" in s and "(event_id)" in s for s in DDL)


def test_a_batch_is_one_commit_of_batched_mutations(mocked: tuple[SpannerStore, Any]) -> None:
    store, servicer = mocked
    events = [Event.purchase(f"u{i % 2}", f"p{i}", event_id=f"e{i}") for i in range(6)]
    with store.transaction():
        assert store.append_events(events) == [True] * 6
        store.apply({"u0": {"r": ((Op.ADD,), [1.0])}, "u1": {"r": ((Op.ADD,), [2.0])}})
        store.apply({"u0": {"r": ((Op.ADD,), [3.0])}})  # merged locally: one row write
    commits = [r for r in servicer.requests if isinstance(r, CommitRequest)]
    assert len(commits) == 1
    mutations = CommitRequest.to_dict(commits[0])["mutations"]
    writes = [(kind, m["table"], len(m["values"])) for w in mutations for kind, m in w.items()]
    assert writes == [
        ("insert_or_update", "Users", 2),
        ("insert_or_update", "StateRows", 2),
        ("insert", "Events", 6),
        ("insert_or_update", "Meta", 1),
    ]
    state = {tuple(v[:2]): v[2] for v in mutations[1]["insert_or_update"]["values"]}
    assert state == {("u0", "r"): [4.0], ("u1", "r"): [2.0]}
    assert mutations[3]["insert_or_update"]["values"] == [["log", "8", "46"]]
    lookups = [r for r in servicer.requests if isinstance(r, ExecuteSqlRequest)]
    assert any("FORCE_INDEX=EventsById" in r.sql for r in lookups)


def test_erasures_are_dml_in_the_same_transaction(mocked: tuple[SpannerStore, Any]) -> None:
    store, servicer = mocked
    with store.transaction():
        store.forget_user("ann")
        store.forget_events(["e1", "e2"])
    (dml,) = [r for r in servicer.requests if isinstance(r, ExecuteBatchDmlRequest)]
    assert [s.sql for s in dml.statements] == [
        "DELETE FROM Users WHERE user_id IN UNNEST(@u)",
        "DELETE FROM Events WHERE event_id IN UNNEST(@e)",
    ]
    assert len([r for r in servicer.requests if isinstance(r, CommitRequest)]) == 1


def test_forget_user_erases_rows_and_events_with_one_cascade(spanner_store: SpannerStore) -> None:
    store = spanner_store
    store.append_events([Event.purchase("ann", "p1", member_id="kid"), Event.purchase("bob", "p2")])
    store.apply({"ann": {"r": ((Op.ADD,), [1.0])}})
    store.forget_user("ann")
    assert list(store.events("ann")) == [] and store.rows("ann") == {}
    assert store._read("SELECT COUNT(*) FROM Users WHERE user_id = 'ann'")[0][0] == 0
    assert [e.user_id for e in store.events()] == ["bob"]


def test_a_second_process_is_seen_as_external_change(spanner_store: SpannerStore) -> None:
    other = SpannerStore(
        project="test-project", instance=SPANNER_INSTANCE, database=SPANNER_DATABASE,
        emulator_host=spanner_store.emulator_host,
    )  # fmt: skip
    spanner_store.external_changes()
    spanner_store.apply({"u": {"r": ((Op.ADD,), [1.0])}})
    assert spanner_store.external_changes() is False
    other.apply({"u": {"r": ((Op.ADD,), [1.0])}})
    assert spanner_store.external_changes() is True
    assert spanner_store.external_changes() is False
    assert spanner_store.rows("u") == {"r": [2.0]}
    other.close()


def _checksum(ids: list[str]) -> str:
    return hashlib.sha256("\n".join(sorted(ids)).encode()).hexdigest()


def test_emulator_killed_mid_ingest_loses_no_accepted_event(tmp_path: Any) -> None:
    """Kill the emulator in the middle of ingest, restart it: every accepted event is stored.

    The emulator keeps data in memory only, so what was committed before the kill is
    checked before it; what was accepted during the outage sits in the outbox and must all
    be in the restarted database after the drain (count and checksum of event ids).
    """
    emulator = SpannerEmulator()
    emulator.start()
    emulator.create_database(SPANNER_INSTANCE, SPANNER_DATABASE)
    store = SpannerStore(
        project="test-project", instance=SPANNER_INSTANCE, database=SPANNER_DATABASE,
        emulator_host=emulator.host, timeout_s=1.0,
    )  # fmt: skip
    engine = GraphitiPersonalizationEngine(CATALOG, store=store, outbox=tmp_path / "outbox.db")
    events = history(users=20, orders=5)
    before, during = events[: len(events) // 2], events[len(events) // 2 :]
    try:
        for start in range(0, len(before), 100):
            engine.record_many(before[start : start + 100])
        stored = [e.event_id for e in store.events()]
        assert _checksum(stored) == _checksum([e.event_id for e in before])
        emulator.kill()
        for start in range(0, len(during), 200):
            engine.record_many(during[start : start + 200])  # accepted: into the outbox
        assert engine.pending == len(during)
        assert store.health().status == "down"
        emulator.start()  # same port, empty: recreate the database and its tables
        emulator.create_database(SPANNER_INSTANCE, SPANNER_DATABASE)
        SpannerStore(
            project="test-project", instance=SPANNER_INSTANCE, database=SPANNER_DATABASE,
            emulator_host=emulator.host,
        ).close()  # fmt: skip
        assert engine.flush() == 0
        stored = [e.event_id for e in store.events()]
        assert len(stored) == len(during)
        assert _checksum(stored) == _checksum([e.event_id for e in during])
    finally:
        engine.close()
        emulator.kill()


def test_the_docs_show_every_table_and_index_of_the_shipped_ddl() -> None:
    docs = (Path(__file__).resolve().parents[2] / "docs" / "gcp.md").read_text()
    for statement in DDL:
        head = statement.split("(")[0].strip()  # "CREATE TABLE Users", "CREATE INDEX ... ON Events"
        assert head in docs, head


def test_engine_forget_user_on_spanner_rebuilds_accounts_that_named_them(
    spanner_store: SpannerStore,
) -> None:
    engine = GraphitiPersonalizationEngine(CATALOG, store=spanner_store)
    engine.record_many(
        [
            Event.purchase("fam", "p1", member_id="kid", event_id="m1"),
            Event.purchase("fam", "p2", event_id="f1"),
            Event.purchase("kid", "p3", event_id="k1"),
        ]
    )
    engine.forget_user("kid")
    assert [e.event_id for e in spanner_store.events()] == ["f1"]
    assert spanner_store.mentioning("kid") == []
    assert set(spanner_store.rows("fam")) >= {"i:p2"} and "i:p1" not in spanner_store.rows("fam")
