"""SpannerStore: the StateStore on Cloud Spanner (global, durable, shared by many app processes).

The schema ships with the package (``stores/spanner.sql``, :data:`DDL`): a ``Users`` row per
shopper with their ``StateRows`` and ``Events`` interleaved beneath it, a global unique index
on event ids for duplicate detection, and one ``Meta`` row holding the commit counter and
the next log sequence number.

Writes inside :meth:`SpannerStore.transaction` are collected in a local draft (statistics
deltas merged per row, events to insert, erasures) and committed in ONE read-write
transaction at the end: erasures first (DML), then the rows re-read and merged with the
deltas, the events and the counter as batched mutations. Because every column combines
by a commutative op, re-running that transaction after an abort gives the same state.
Reads of one shopper's rows are bounded-staleness reads no older than this process's
last commit: a nearby replica can answer, and a process always sees its own writes.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from importlib import resources
from typing import Any, ClassVar

from leafloaf.errors import MissingExtraError, StoreError, StoreUnavailableError
from leafloaf.health import BackendHealth
from leafloaf.models import Event
from leafloaf.stores.base import (
    EventRecord,
    Op,
    RowDelta,
    StateStore,
    StoreSnapshot,
    UserRows,
    event_from_record,
    event_to_record,
    merge_row,
)

__all__ = ["DDL", "SpannerStore"]


def _load_ddl() -> list[str]:
    text = resources.files("leafloaf.stores").joinpath("spanner.sql").read_text("utf-8")
    statements: list[str] = []
    for chunk in text.split("\n;\n"):
        lines = [line for line in chunk.splitlines() if not line.lstrip().startswith("--")]
        statement = "\n".join(lines).strip()
        if statement:
            statements.append(statement)
    return statements


DDL: list[str] = _load_ddl()


def _object_name(statement: str) -> str:
    """The table or index a CREATE statement makes."""
    words = statement.replace("(", " ").split()
    return words[words.index("TABLE" if "TABLE" in words else "INDEX") + 1]


"""The Spanner DDL statements (GoogleSQL), comments stripped by Spanner itself."""

_EVENT_COLUMNS = (
    "type",
    "user_id",
    "ts",
    "product_id",
    "quantity",
    "unit_price",
    "query",
    "basket_id",
    "member_id",
    "household_id",
    "event_id",
    "utc_offset",
)
_SELECT_EVENTS = "SELECT " + ", ".join(_EVENT_COLUMNS) + " FROM Events"
_META_KEY = "log"
_CHUNK = 1_000


def _spanner() -> Any:
    try:
        from google.cloud import spanner
    except ImportError:
        raise MissingExtraError("gcp", "google-cloud-spanner") from None
    return spanner


class _ConflictError(Exception):
    """Another process logged an event id this draft reported as new."""


@dataclass
class _UserDraft:
    reset: bool = False
    """Committed rows are dropped (``replace_rows`` or ``forget_user``)."""
    forgotten: bool = False
    base: dict[str, list[float]] = field(default_factory=dict)
    deltas: dict[str, tuple[tuple[Op, ...], list[float]]] = field(default_factory=dict)


@dataclass
class _Draft:
    users: dict[str, _UserDraft] = field(default_factory=dict)
    appended: dict[str, EventRecord] = field(default_factory=dict)
    erased_ids: set[str] = field(default_factory=set)

    def user(self, user_id: str) -> _UserDraft:
        draft = self.users.get(user_id)
        if draft is None:
            draft = self.users[user_id] = _UserDraft()
        return draft

    def forgotten(self) -> set[str]:
        return {u for u, d in self.users.items() if d.forgotten}


def _merged(base: Mapping[str, Sequence[float]], draft: _UserDraft) -> UserRows:
    rows = {} if draft.reset else {k: list(v) for k, v in base.items()}
    rows.update({k: list(v) for k, v in draft.base.items()})
    for key, (ops, values) in draft.deltas.items():
        rows[key] = merge_row(ops, rows.get(key), values)
    return rows


class SpannerStore(StateStore):
    """Statistics and event log in Cloud Spanner; every batch commits in one transaction.

    ``emulator_host`` (``"127.0.0.1:9010"``) talks to the Cloud Spanner emulator without
    credentials; without it the client uses Application Default Credentials. The tables are
    created when missing (:data:`DDL`); the instance must exist. ``timeout_s`` bounds every
    call: a backend that does not answer in time raises
    :class:`~leafloaf.errors.StoreUnavailableError`, which the engine's outbox absorbs.
    Duplicate detection covers the whole log (a unique index on the event id).

    Example (needs a running emulator, so not executed here)::

        store = SpannerStore(project="p", instance="i", database="leafloaf",
                             emulator_host="127.0.0.1:9010")
    """

    name: ClassVar[str] = "spanner"

    def __init__(
        self,
        *,
        project: str,
        instance: str,
        database: str,
        emulator_host: str | None = None,
        pool_size: int = 10,
        timeout_s: float = 10.0,
    ) -> None:
        spanner = _spanner()
        from google.api_core.retry import Retry
        from google.cloud.spanner_v1.pool import FixedSizePool

        for name, value in (("project", project), ("instance", instance), ("database", database)):
            if not isinstance(value, str) or not value:
                raise StoreError(name, value, "must be a non-empty string")
        if pool_size < 1:
            raise StoreError("pool_size", pool_size, "must be at least 1")
        if timeout_s <= 0:
            raise StoreError("timeout_s", timeout_s, "must be greater than 0")
        self.project, self.instance_id, self.database_id = project, instance, database
        self.emulator_host = emulator_host
        self.timeout_s = timeout_s
        self._retry = Retry(initial=0.05, maximum=1.0, timeout=timeout_s)
        options: dict[str, Any] = {"project": project, "disable_builtin_metrics": True}
        if emulator_host:
            from google.auth.credentials import AnonymousCredentials

            options["credentials"] = AnonymousCredentials()  # type: ignore[no-untyped-call]
            options["client_options"] = {"api_endpoint": emulator_host}
        self._client = spanner.Client(**options)
        self._instance = self._client.instance(instance)
        self._db = self._instance.database(
            database,
            pool=FixedSizePool(size=pool_size, default_timeout=timeout_s),  # type: ignore[no-untyped-call]
        )
        self._params = spanner.param_types
        self._keyset = spanner.KeySet
        self._lock = threading.RLock()
        self._local = threading.local()
        self._last_commit: datetime | None = None
        self._last_error: str | None = None
        self._external = False
        self._seen = self._guard(self._prepare)

    # --- plumbing ------------------------------------------------------------------------------
    def _guard(self, work: Any, *args: Any) -> Any:
        """Run ``work`` and turn a backend outage into StoreUnavailableError."""
        from google.api_core import exceptions as gexc

        try:
            result = work(*args)
        except (
            gexc.ServiceUnavailable,
            gexc.DeadlineExceeded,
            gexc.RetryError,
            gexc.Aborted,
            gexc.InternalServerError,
            gexc.Unknown,
            gexc.Cancelled,
            gexc.ResourceExhausted,
            gexc.NotFound,  # the database or instance went away: not the events' fault
            gexc.PermissionDenied,
            gexc.Unauthenticated,
        ) as exc:
            self._last_error = f"{type(exc).__name__}: {exc}"[:300]
            raise StoreUnavailableError(
                f"Spanner database {self.database_id!r} cannot be reached now: {exc}"
            ) from exc
        except _ConflictError as exc:
            self._last_error = str(exc)
            raise StoreUnavailableError(str(exc)) from exc
        self._last_error = None
        return result

    def _prepare(self) -> int:
        """Create missing tables (idempotent) and read the commit counter."""
        from google.api_core import exceptions as gexc

        try:
            existing = self._query("SELECT table_name FROM information_schema.tables", {})
        except gexc.NotFound:
            raise StoreError(
                "database",
                self.database_id,
                f"not found in instance {self.instance_id!r}; create it first (docs/gcp.md)",
            ) from None
        names = {row[0] for row in existing}
        if "Meta" not in names:
            indexes = self._query("SELECT index_name FROM information_schema.indexes", {})
            names.update(row[0] for row in indexes)
            missing = [s for s in DDL if _object_name(s) not in names]
            self._db.update_ddl(missing).result(timeout=max(self.timeout_s, 60.0))

            def seed(txn: Any) -> None:
                if not list(txn.read("Meta", ("k",), self._keyset(keys=[[_META_KEY]]))):
                    txn.insert("Meta", ("k", "commits", "next_seq"), [(_META_KEY, 0, 0)])

            self._db.run_in_transaction(seed, timeout_secs=self.timeout_s)
        rows = self._query("SELECT commits FROM Meta WHERE k = @k", {"k": _META_KEY})
        return int(rows[0][0]) if rows else 0

    def _types(self, params: Mapping[str, Any]) -> dict[str, Any]:
        p = self._params
        return {
            k: p.Array(p.STRING)
            if isinstance(v, list)
            else p.INT64
            if isinstance(v, int)
            else p.STRING
            for k, v in params.items()
        }

    def _query(
        self, sql: str, params: Mapping[str, Any], min_ts: datetime | None = None
    ) -> list[list[Any]]:
        options = {"min_read_timestamp": min_ts} if min_ts is not None else {}
        with self._db.snapshot(**options) as snap:
            return list(
                snap.execute_sql(
                    sql,
                    params=dict(params) or None,
                    param_types=self._types(params) or None,
                    retry=self._retry,
                    timeout=self.timeout_s,
                )
            )

    def _read(self, sql: str, **params: Any) -> list[list[Any]]:
        result: list[list[Any]] = self._guard(self._query, sql, params)
        return result

    @property
    def _draft(self) -> _Draft | None:
        draft: _Draft | None = getattr(self._local, "draft", None)
        return draft

    # --- transactions --------------------------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[None]:
        if self._draft is not None:  # nested: the outer transaction commits
            yield
            return
        self._local.draft = draft = _Draft()
        try:
            yield
            if draft.users or draft.appended or draft.erased_ids:
                with self._lock:
                    self._guard(self._commit, draft)
        finally:
            self._local.draft = None

    def _write(self) -> _Draft:
        draft = self._draft
        assert draft is not None
        return draft

    def _commit(self, draft: _Draft) -> None:
        holder: dict[str, Any] = {}

        def work(txn: Any) -> int:
            holder["txn"] = txn
            return self._commit_in(txn, draft)

        commits = self._db.run_in_transaction(work, timeout_secs=self.timeout_s)
        self._last_commit = holder["txn"].committed
        if commits != self._seen + 1:
            self._external = True
        self._seen = commits

    def _commit_in(self, txn: Any, draft: _Draft) -> int:
        p = self._params
        meta = list(  # a query first: it begins the transaction inline
            txn.execute_sql(
                "SELECT commits, next_seq FROM Meta WHERE k = @k", params={"k": _META_KEY},
                param_types={"k": p.STRING}, retry=self._retry, timeout=self.timeout_s,
            )
        )  # fmt: skip
        commits, next_seq = (int(meta[0][0]), int(meta[0][1])) if meta else (0, 0)
        forgotten = sorted(draft.forgotten())
        reset = sorted(u for u, d in draft.users.items() if d.reset and not d.forgotten)
        statements: list[tuple[str, dict[str, Any], dict[str, Any]]] = []
        if forgotten:  # cascades to the shopper's rows and events
            statements.append(
                ("DELETE FROM Users WHERE user_id IN UNNEST(@u)", {"u": forgotten},
                 {"u": p.Array(p.STRING)})
            )  # fmt: skip
        if reset:
            statements.append(
                ("DELETE FROM StateRows WHERE user_id IN UNNEST(@u)", {"u": reset},
                 {"u": p.Array(p.STRING)})
            )  # fmt: skip
        if draft.erased_ids:
            statements.append(
                ("DELETE FROM Events WHERE event_id IN UNNEST(@e)", {"e": sorted(draft.erased_ids)},
                 {"e": p.Array(p.STRING)})
            )  # fmt: skip
        if statements:
            txn.batch_update(statements, retry=self._retry, timeout=self.timeout_s)
        ids = list(draft.appended)
        for start in range(0, len(ids), _CHUNK):
            taken = list(
                txn.execute_sql(
                    "SELECT event_id FROM Events@{FORCE_INDEX=EventsById} "
                    "WHERE event_id IN UNNEST(@ids)",
                    params={"ids": ids[start : start + _CHUNK]},
                    param_types={"ids": p.Array(p.STRING)},
                    retry=self._retry,
                    timeout=self.timeout_s,
                )
            )
            if taken:
                raise _ConflictError(
                    f"another writer logged event {taken[0][0]!r} meanwhile; retry the batch"
                )
        keys = [[user, key] for user, d in draft.users.items() if not d.reset for key in d.deltas]
        base: dict[str, dict[str, list[float]]] = {}
        for start in range(0, len(keys), _CHUNK):
            found = txn.read(
                "StateRows", ("user_id", "row_key", "vals"),
                self._keyset(keys=keys[start : start + _CHUNK]),
                retry=self._retry, timeout=self.timeout_s,
            )  # fmt: skip
            for user, key, vals in found:
                base.setdefault(user, {})[key] = list(vals)
        owners: set[str] = set()
        row_values: list[tuple[str, str, list[float]]] = []
        for user, d in draft.users.items():
            rows = _merged(base.get(user, {}), d)
            if rows:
                owners.add(user)
                row_values.extend((user, key, values) for key, values in rows.items())
        event_values = []
        for seq, record in enumerate(draft.appended.values(), start=next_seq):
            owners.add(record[1])
            r = record
            offset = r[11] if len(r) > 11 else 0.0
            event_values.append(
                (r[1], seq, r[10], r[0], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], offset)
            )
        if owners:
            txn.insert_or_update("Users", ("user_id",), [(u,) for u in sorted(owners)])
        if row_values:
            txn.insert_or_update("StateRows", ("user_id", "row_key", "vals"), row_values)
        if event_values:
            txn.insert(
                "Events",
                ("user_id", "seq", "event_id", "type", "ts", "product_id", "quantity",
                 "unit_price", "query", "basket_id", "member_id", "household_id", "utc_offset"),
                event_values,
            )  # fmt: skip
        txn.insert_or_update(
            "Meta",
            ("k", "commits", "next_seq"),
            [(_META_KEY, int(commits) + 1, int(next_seq) + len(event_values))],
        )
        return int(commits) + 1

    def external_changes(self) -> bool:
        rows = self._read("SELECT commits FROM Meta WHERE k = @k", k=_META_KEY)
        total = int(rows[0][0]) if rows else 0
        with self._lock:
            changed = self._external or total > self._seen
            self._external = False
            self._seen = max(self._seen, total)
        return changed

    # --- rows ----------------------------------------------------------------------------------
    def apply(self, updates: Mapping[str, Mapping[str, RowDelta]]) -> None:
        with self.transaction():
            draft = self._write()
            for user_id, deltas in updates.items():
                user = draft.user(user_id)
                for key, (ops, values) in deltas.items():
                    current = user.deltas.get(key)
                    merged = merge_row(ops, list(current[1]) if current else None, values)
                    user.deltas[key] = (tuple(ops), merged)

    def replace_rows(self, user_id: str, rows: Mapping[str, Sequence[float]]) -> None:
        with self.transaction():
            user = self._write().user(user_id)
            user.reset, user.deltas = True, {}
            user.base = {k: list(v) for k, v in rows.items()}

    def rows(self, user_id: str) -> UserRows:
        draft = self._draft
        user = draft.users.get(user_id) if draft is not None else None
        if user is not None and user.reset:
            return _merged({}, user)
        found = self._guard(
            self._query,
            "SELECT row_key, vals FROM StateRows WHERE user_id = @u",
            {"u": user_id},
            self._last_commit,
        )
        committed = {key: list(vals) for key, vals in found}
        return _merged(committed, user) if user is not None else committed

    def users(self) -> Iterator[str]:
        found = self._read(
            "SELECT user_id FROM StateRows UNION DISTINCT SELECT user_id FROM Events"
        )
        return (row[0] for row in found)

    # --- event log -----------------------------------------------------------------------------
    def append_events(self, events: Sequence[Event]) -> list[bool]:
        return self.append_records(events, [event_to_record(e) for e in events])

    def append_records(self, events: Sequence[Event], records: Sequence[EventRecord]) -> list[bool]:
        with self.transaction():
            draft = self._write()
            ids = list(dict.fromkeys(r[10] for r in records))
            forgotten = draft.forgotten()
            known: set[str] = set()
            for start in range(0, len(ids), _CHUNK):
                found = self._read(
                    "SELECT event_id, user_id FROM Events@{FORCE_INDEX=EventsById} "
                    "WHERE event_id IN UNNEST(@ids)",
                    ids=ids[start : start + _CHUNK],
                )
                known.update(
                    e for e, u in found if e not in draft.erased_ids and u not in forgotten
                )
            fresh: list[bool] = []
            for record in records:
                new = record[10] not in known and record[10] not in draft.appended
                if new:
                    draft.appended[record[10]] = record
                fresh.append(new)
        return fresh

    def _records(self, user_id: str | None) -> list[EventRecord]:
        if user_id is None:
            found = self._read(f"{_SELECT_EVENTS} ORDER BY seq")
        else:
            found = self._read(f"{_SELECT_EVENTS} WHERE user_id = @u ORDER BY seq", u=user_id)
        records = [tuple(row) for row in found]
        draft = self._draft
        if draft is not None:
            forgotten = draft.forgotten()
            records = [
                r for r in records if r[10] not in draft.erased_ids and r[1] not in forgotten
            ]
            records += [r for r in draft.appended.values() if user_id in (None, r[1])]
        return records

    def events(self, user_id: str | None = None) -> Iterator[Event]:
        return (event_from_record(r) for r in self._records(user_id))

    def records(self) -> Iterator[EventRecord]:
        return iter(self._records(None))

    def mentioning(self, subject: str) -> list[Event]:
        found = self._read(
            f"{_SELECT_EVENTS} WHERE user_id != @s AND (member_id = @s OR household_id = @s) "
            "ORDER BY seq",
            s=subject,
        )
        return [event_from_record(tuple(row)) for row in found]

    def event_count(self) -> int:
        if self._draft is not None:
            return len(self._records(None))
        return int(self._read("SELECT COUNT(*) FROM Events")[0][0])

    def forget_user(self, user_id: str) -> None:
        with self.transaction():
            draft = self._write()
            user = draft.user(user_id)
            user.reset = user.forgotten = True
            user.base, user.deltas = {}, {}
            for event_id in [e for e, r in draft.appended.items() if r[1] == user_id]:
                del draft.appended[event_id]

    def forget_events(self, event_ids: Sequence[str]) -> None:
        with self.transaction():
            draft = self._write()
            for event_id in event_ids:
                draft.appended.pop(event_id, None)
                draft.erased_ids.add(event_id)

    # --- reading in bulk, health, closing ------------------------------------------------------
    def snapshot(self) -> StoreSnapshot:
        return _SpannerSnapshot(self)

    def health(self) -> BackendHealth:
        """Probe with a one-row query; ``down`` with the error when Spanner does not answer."""
        started = time.perf_counter()
        try:
            self._read("SELECT 1")
        except StoreUnavailableError as exc:
            return BackendHealth(
                backend=self.name, kind="store", status="down", last_error=str(exc)[:300],
                detail=f"{self.instance_id}/{self.database_id}",
            )  # fmt: skip
        return BackendHealth(
            backend=self.name,
            kind="store",
            status="ok",
            latency_ms=(time.perf_counter() - started) * 1000.0,
            detail=f"{self.instance_id}/{self.database_id}",
        )

    def close(self) -> None:
        close = getattr(self._client, "close", None)
        if close is not None:
            close()


class _SpannerSnapshot(StoreSnapshot):
    """Reads at one timestamp (exact-staleness reads): later commits are never visible.

    Each read is its own single-use read-only transaction at the timestamp taken when the
    snapshot was made, so a long fit holds no session and blocks no writer (reads must end
    within the database's version retention, one hour by default).
    """

    def __init__(self, store: SpannerStore) -> None:
        self._store = store
        self._at = store._read("SELECT CURRENT_TIMESTAMP()")[0][0]
        self._users = sorted(
            row[0]
            for row in self._run(
                "SELECT user_id FROM StateRows UNION DISTINCT SELECT user_id FROM Events", {}
            )
        )

    def _run(self, sql: str, params: dict[str, Any]) -> list[list[Any]]:
        store = self._store

        def query() -> list[list[Any]]:
            with store._db.snapshot(read_timestamp=self._at) as snap:
                return list(
                    snap.execute_sql(
                        sql,
                        params=params or None,
                        param_types=store._types(params) or None,
                        retry=store._retry,
                        timeout=store.timeout_s,
                    )
                )

        result: list[list[Any]] = store._guard(query)
        return result

    def users(self) -> list[str]:
        return self._users

    def rows(self, user_id: str) -> Mapping[str, Sequence[float]]:
        found = self._run("SELECT row_key, vals FROM StateRows WHERE user_id = @u", {"u": user_id})
        return {key: list(vals) for key, vals in found}

    def records(self) -> Iterator[EventRecord]:
        return (tuple(r) for r in self._run(f"{_SELECT_EVENTS} ORDER BY seq", {}))

    def event_count(self) -> int:
        return int(self._run("SELECT COUNT(*) FROM Events", {})[0][0])

    def close(self) -> None:
        """Nothing is held between reads."""
