"""BigQuerySink: accepted events streamed to BigQuery by a background worker, never lost.

``emit`` only puts rows on a bounded in-process queue (microseconds, never a network call);
a worker thread sends them in batches with ``insertAll`` (each row's ``insertId`` is its
event id, so BigQuery drops a resent duplicate on a best-effort basis and every query
groups by ``event_id`` anyway). A batch that cannot be delivered is retried with backoff
until ``deadline_s``; rows BigQuery rejects, rows still undelivered at the deadline, and
rows that arrive while the queue is full all go to a dead-letter JSONL file with their
error — one line per row, ``{"row": ..., "error": ...}`` — from which
:meth:`BigQuerySink.redeliver` sends them again. Rows spilled only because the queue was
full (a bulk load outpacing the network) are sent again by the worker itself once its queue
has room; rows BigQuery rejected wait for you. Nothing is dropped silently.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

from leafloaf.analytics.base import AnalyticsSink
from leafloaf.analytics.schema import EVENT_FIELDS, EVENTS_TABLE, event_row
from leafloaf.errors import ConfigError, MissingExtraError
from leafloaf.health import BackendHealth
from leafloaf.models import Event

__all__ = ["BigQuerySink"]

_INSERT_LIMIT = 5_000
_OVERFLOW = "queue full: BigQuery is slow or unreachable"


def _bigquery() -> Any:
    try:
        from google.cloud import bigquery
    except ImportError:
        raise MissingExtraError("gcp", "google-cloud-bigquery") from None
    return bigquery


def _names(row: dict[str, Any], user_id: str) -> bool:
    return user_id in (row.get("user_id"), row.get("member_id"), row.get("household_id"))


class BigQuerySink(AnalyticsSink):
    """Streams accepted events into ``<project>.<dataset>.events`` off the request path.

    The dataset and table are created when missing (schema:
    :data:`leafloaf.analytics.schema.EVENT_FIELDS`). ``endpoint`` points the client at an
    emulator (anonymous credentials); without it Application Default Credentials are used.
    ``dead_letter_path`` defaults to ``leafloaf-dead-letter-<dataset>.jsonl`` in the working
    folder, written only when a row could not be delivered.

    Example (needs BigQuery or its emulator, so not executed here)::

        sink = BigQuerySink(project="p", dataset="shop", endpoint="http://127.0.0.1:9050")
    """

    name: ClassVar[str] = "bigquery"

    def __init__(
        self,
        *,
        project: str,
        dataset: str,
        endpoint: str | None = None,
        queue_size: int = 10_000,
        batch_size: int = 500,
        deadline_s: float = 30.0,
        dead_letter_path: str | None = None,
    ) -> None:
        bigquery = _bigquery()
        for field, value in (("project", project), ("dataset", dataset)):
            if not isinstance(value, str) or not value:
                raise ConfigError(field, value, "must be a non-empty string")
        for field, number in (("queue_size", queue_size), ("batch_size", batch_size)):
            if number < 1:
                raise ConfigError(field, number, "must be at least 1")
        if deadline_s <= 0:
            raise ConfigError("deadline_s", deadline_s, "must be greater than 0")
        self.project, self.dataset = project, dataset
        self.batch_size, self.deadline_s = batch_size, deadline_s
        self.table_id = f"{project}.{dataset}.{EVENTS_TABLE}"
        self.dead_letter_path = Path(
            dead_letter_path or f"leafloaf-dead-letter-{dataset}.jsonl"
        ).resolve()
        options: dict[str, Any] = {"project": project}
        if endpoint:
            from google.api_core.client_options import ClientOptions
            from google.auth.credentials import AnonymousCredentials

            options["credentials"] = AnonymousCredentials()  # type: ignore[no-untyped-call]
            options["client_options"] = ClientOptions(api_endpoint=endpoint)
        self._bq = bigquery
        self._client = bigquery.Client(**options)
        self._queue: queue.Queue[dict[str, Any]] = queue.Queue(maxsize=queue_size)
        self._done = threading.Condition()
        self._pending = 0
        self._file_lock = threading.Lock()
        self._table_ready = False
        self._stopping = False
        self._last_error: str | None = None
        self.delivered = 0
        """Rows BigQuery accepted since this sink started."""
        self.dead_lettered = 0
        """Rows written to the dead-letter file since this sink started."""
        self.requeued = 0
        """Spilled rows the worker queued again once the queue had room."""
        self._overflowed = False
        """Rows were spilled because the queue was full: the worker re-queues them when idle."""
        self._worker = threading.Thread(target=self._run, name="leafloaf-bigquery", daemon=True)
        self._worker.start()

    # --- the request path ----------------------------------------------------------------------
    def emit(self, events: Sequence[Event]) -> None:
        spilled: list[dict[str, Any]] = []
        for event in events:
            row = event_row(event)
            with self._done:
                self._pending += 1
            try:
                self._queue.put_nowait(row)
            except queue.Full:
                spilled.append(row)
        if spilled:
            self._dead_letter(spilled, _OVERFLOW)
            self._overflowed = True
            self._resolved(len(spilled))

    def _resolved(self, n: int) -> None:
        with self._done:
            self._pending -= n
            self._done.notify_all()

    # --- the worker ----------------------------------------------------------------------------
    def _run(self) -> None:
        while True:
            try:
                first = self._queue.get(timeout=0.2)
            except queue.Empty:
                if self._stopping:
                    return
                if self._overflowed:
                    self._requeue_overflow()
                continue
            batch = [first]
            while len(batch) < self.batch_size:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            try:
                self._deliver(batch, time.monotonic() + self.deadline_s)
            except Exception as exc:  # never let the worker die with rows unaccounted for
                self._dead_letter(batch, f"{type(exc).__name__}: {exc}")
            finally:
                self._resolved(len(batch))

    def _deliver(self, batch: list[dict[str, Any]], deadline: float) -> None:
        """Send ``batch``; retry outages until ``deadline``; isolate and dead-letter bad rows.

        Every call tries at least once, so a half split off late still gets its chance.
        """
        from google.api_core import exceptions as gexc

        delay, attempt = 0.05, 0
        while True:
            attempt += 1
            try:
                errors = self._insert(batch, min(max(deadline - time.monotonic(), 1.0), 10.0))
            except (gexc.BadRequest, gexc.InternalServerError) as exc:
                if len(batch) > 1:  # one bad row fails the whole request: split to find it
                    half = len(batch) // 2
                    self._deliver(batch[:half], deadline)
                    self._deliver(batch[half:], deadline)
                    return
                error = f"{type(exc).__name__}: {exc}"
                retry = isinstance(exc, gexc.InternalServerError) and attempt < 3
            except Exception as exc:  # unreachable, 503, timeouts: wait and retry
                error = f"{type(exc).__name__}: {exc}"
                retry = True
                if isinstance(exc, gexc.NotFound):  # dataset or table dropped: create again
                    self._table_ready = False
            else:
                self._accepted(batch, errors, deadline)
                return
            self._last_error = error[:300]
            if retry and time.monotonic() + delay < deadline:
                time.sleep(delay)
                delay = min(delay * 2, 2.0)
                continue
            self._dead_letter(batch, error)
            return

    def _accepted(
        self, batch: list[dict[str, Any]], errors: list[dict[str, Any]], deadline: float
    ) -> None:
        """Dead-letter the rows BigQuery rejected; resend the ones it skipped because of them."""
        rejected = {e["index"]: e.get("errors", []) for e in errors}

        def skipped(why: list[dict[str, Any]]) -> bool:
            return all(r.get("reason") == "stopped" for r in why)

        bad = [(batch[i], json.dumps(why)) for i, why in rejected.items() if not skipped(why)]
        stopped = [batch[i] for i, why in rejected.items() if skipped(why)]
        self.delivered += len(batch) - len(rejected)
        for row, why in bad:
            self._dead_letter([row], f"rejected by BigQuery: {why}")
        if stopped:
            self._deliver(stopped, deadline) if bad else self._dead_letter(stopped, "stopped")
        self._last_error = f"{len(bad)} rows rejected" if bad else None

    def _insert(self, batch: list[dict[str, Any]], timeout: float) -> list[dict[str, Any]]:
        self._ensure_table(timeout)
        errors: list[dict[str, Any]] = self._client.insert_rows_json(
            self.table_id,
            batch,
            row_ids=[row["event_id"] for row in batch],
            retry=None,
            timeout=timeout,
        )
        return errors

    def _ensure_table(self, timeout: float = 10.0) -> None:
        """Create the dataset and the events table if missing (idempotent)."""
        if self._table_ready:
            return
        bq = self._bq
        self._client.create_dataset(
            f"{self.project}.{self.dataset}", exists_ok=True, retry=None, timeout=timeout
        )
        schema = [bq.SchemaField(name, kind, mode=mode) for name, kind, mode in EVENT_FIELDS]
        self._client.create_table(
            bq.Table(self.table_id, schema=schema), exists_ok=True, retry=None, timeout=timeout
        )
        self._table_ready = True

    # --- the dead-letter file ------------------------------------------------------------------
    def _dead_letter(self, rows: Sequence[dict[str, Any]], error: str) -> None:
        lines = "".join(json.dumps({"row": row, "error": error}) + "\n" for row in rows)
        with self._file_lock:
            self.dead_letter_path.parent.mkdir(parents=True, exist_ok=True)
            with self.dead_letter_path.open("a", encoding="utf-8") as handle:
                handle.write(lines)
                handle.flush()
                os.fsync(handle.fileno())
            self.dead_lettered += len(rows)

    def _requeue_overflow(self) -> None:
        """Queue again the rows spilled while the queue was full (as many as fit)."""
        with self._file_lock:
            self._overflowed = False
            if not self.dead_letter_path.exists():
                return
            entries = [
                json.loads(line)
                for line in self.dead_letter_path.read_text("utf-8").splitlines()
                if line.strip()
            ]
            kept: list[dict[str, Any]] = []
            for entry in entries:
                if entry["error"] != _OVERFLOW or self._overflowed:
                    kept.append(entry)
                    continue
                with self._done:
                    self._pending += 1
                try:
                    self._queue.put_nowait(entry["row"])
                except queue.Full:  # the rest waits for the next idle moment
                    self._resolved(1)
                    self._overflowed = True
                    kept.append(entry)
                    continue
                self.requeued += 1
            text = "".join(json.dumps(entry) + "\n" for entry in kept)
            self.dead_letter_path.write_text(text, "utf-8")

    def dead_letters(self) -> list[tuple[dict[str, Any], str]]:
        """Rows in the dead-letter file, each with the error that put it there."""
        with self._file_lock:
            if not self.dead_letter_path.exists():
                return []
            text = self.dead_letter_path.read_text("utf-8")
        entries = [json.loads(line) for line in text.splitlines() if line.strip()]
        return [(entry["row"], entry["error"]) for entry in entries]

    def redeliver(self) -> int:
        """Queue every dead-lettered row again (the file is emptied); returns how many."""
        with self._file_lock:
            if not self.dead_letter_path.exists():
                return 0
            text = self.dead_letter_path.read_text("utf-8")
            self.dead_letter_path.write_text("", "utf-8")
        rows = [json.loads(line)["row"] for line in text.splitlines() if line.strip()]
        for row in rows:
            with self._done:
                self._pending += 1
            try:
                self._queue.put(row, timeout=self.deadline_s)
            except queue.Full:
                self._dead_letter([row], "queue full during redelivery")
                self._resolved(1)
        return len(rows)

    # --- reading back, erasure, health ---------------------------------------------------------
    def table_name(self, table: str) -> str:
        """How SQL names one of the sink's tables: ```project.dataset.table```."""
        return f"`{self.project}.{self.dataset}.{table}`"

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run a query (``@p0, @p1 …`` bind ``params``) and return every row."""
        bq = self._bq
        config = bq.QueryJobConfig(
            query_parameters=[
                bq.ScalarQueryParameter(f"p{i}", "STRING", value) for i, value in enumerate(params)
            ]
        )
        job = self._client.query(sql, job_config=config, timeout=self.deadline_s)
        return [tuple(row.values()) for row in job.result(timeout=self.deadline_s)]

    def load_table(
        self, table: str, fields: Sequence[tuple[str, str]], rows: Sequence[Sequence[Any]]
    ) -> None:
        """Replace ``table`` with ``rows`` (columns ``(name, BigQuery type)``)."""
        bq = self._bq
        table_id = f"{self.project}.{self.dataset}.{table}"
        self._ensure_table(self.deadline_s)
        self._client.delete_table(table_id, not_found_ok=True, timeout=self.deadline_s)
        schema = [bq.SchemaField(name, kind) for name, kind in fields]
        self._client.create_table(bq.Table(table_id, schema=schema), timeout=self.deadline_s)
        names = [name for name, _ in fields]
        for start in range(0, len(rows), _INSERT_LIMIT):
            chunk = [
                dict(zip(names, row, strict=True)) for row in rows[start : start + _INSERT_LIMIT]
            ]
            errors = self._client.insert_rows_json(table_id, chunk, timeout=self.deadline_s)
            if errors:
                raise ConfigError("rows", errors[:3], f"rejected while loading {table_id}")

    def count(self, user_id: str | None = None) -> int:
        self._ensure_table(self.deadline_s)
        where, params = ("WHERE user_id = @p0", [user_id]) if user_id is not None else ("", [])
        rows = self.query(
            f"SELECT COUNT(DISTINCT event_id) FROM {self.table_name(EVENTS_TABLE)} {where}", params
        )
        return int(rows[0][0]) if rows else 0

    def forget_user(self, user_id: str) -> None:
        """Delete the user's rows (and rows naming them as member or household) from the table
        and from the dead-letter file.

        Rows queued for this user are sent first, then deleted. (The real service refuses
        DML on rows still in the streaming buffer, about 30 minutes: docs/gcp.md.)
        """
        self.flush()
        self._ensure_table(self.deadline_s)
        self.query(
            f"DELETE FROM {self.table_name(EVENTS_TABLE)} "
            "WHERE user_id = @p0 OR member_id = @p0 OR household_id = @p0",
            [user_id],
        )
        with self._file_lock:
            if self.dead_letter_path.exists():
                kept = [
                    line
                    for line in self.dead_letter_path.read_text("utf-8").splitlines()
                    if line.strip() and not _names(json.loads(line)["row"], user_id)
                ]
                self.dead_letter_path.write_text("".join(f"{k}\n" for k in kept), "utf-8")

    @property
    def queue_depth(self) -> int:
        """Rows accepted by :meth:`emit` and not yet delivered or dead-lettered."""
        with self._done:
            return self._pending

    def flush(self, timeout: float | None = None) -> None:
        """Wait until every emitted row is in BigQuery or in the dead-letter file for a reason
        other than a full queue (rows spilled by a full queue are sent again first)."""
        end = None if timeout is None else time.monotonic() + timeout
        while True:
            with self._done:
                while self._pending > 0:
                    left = None if end is None else end - time.monotonic()
                    if left is not None and left <= 0:
                        return
                    self._done.wait(timeout=left if left is not None else 1.0)
            if not self._overflowed or (end is not None and time.monotonic() >= end):
                return
            self._requeue_overflow()

    def health(self) -> BackendHealth:
        """Probe the table (2 s at most) and report the queue and the last delivery error."""
        started = time.perf_counter()
        depth = self.queue_depth
        detail = f"{self.table_id}; dead-lettered {self.dead_lettered}"
        try:
            self._client.get_dataset(f"{self.project}.{self.dataset}", retry=None, timeout=2.0)
        except Exception as exc:
            return BackendHealth(
                backend=self.name, kind="analytics", status="down", queue_depth=depth,
                last_error=f"{type(exc).__name__}: {exc}"[:300], detail=detail,
            )  # fmt: skip
        busy = depth >= 0.8 * (self._queue.maxsize or 1)
        return BackendHealth(
            backend=self.name,
            kind="analytics",
            status="degraded" if busy or self._last_error else "ok",
            latency_ms=(time.perf_counter() - started) * 1000.0,
            queue_depth=depth,
            last_error=self._last_error,
            detail=detail,
        )

    def close(self) -> None:
        """Deliver what is queued (or dead-letter it), then stop the worker."""
        self.flush()
        self._stopping = True
        self._worker.join(timeout=5.0)
        with contextlib.suppress(Exception):
            self._client.close()
