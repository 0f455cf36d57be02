"""BeliefWriter: keeps memory in step with what the engine believes, off the request path.

After a population refit and on declarations the engine marks shoppers dirty (a set insert:
never blocks a record or a read). A daemon thread derives each dirty shopper's beliefs, diffs
them against every belief memory holds about them, and writes only the changes in batches:
new beliefs, and ``invalid_at`` on beliefs that no longer hold (never a deletion). A batch the
memory refuses stays queued and is retried, with its shoppers, so no belief is lost.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from datetime import datetime

from leafloaf.memory.base import MemoryBackend
from leafloaf.models import Fact

__all__ = ["BATCH_FACTS", "BeliefWriter", "diff_beliefs"]

log = logging.getLogger("leafloaf")

_IDLE_EXIT = 5.0
"""Seconds without work after which the writer thread ends (an idle engine holds none)."""
BATCH_FACTS = 10_000
"""Beliefs per ``remember`` call. Kuzu's commit costs about 0.13 s whatever the batch holds
(docs/benchmarks/memory.md), so batches of 10,000 write about twice as fast as the 2,000 or
so a fixed group of shoppers used to give; the writer runs off the request path, so a batch
costs no reader anything, and ``forget_user`` waits at most for one batch to finish."""
_RETRY = 1.0
"""Seconds before a batch the memory refused is tried again."""

Derive = Callable[[str, datetime], list[Fact]]
"""What the engine believes about a shopper now (``valid_at`` set, ``invalid_at`` unset)."""


def diff_beliefs(derived: Iterable[Fact], held: Iterable[Fact], now: datetime) -> list[Fact]:
    """The writes that make ``held`` (every belief memory has about a shopper) say ``derived``.

    A belief is the same when subject, relation and object agree; one that still holds keeps
    its ``valid_at``. Held current beliefs that are not derived any more get ``invalid_at =
    now``. A new belief keeps its own ``valid_at`` unless that is not after the same
    subject and relation's last ``invalid_at`` (then ``now``), so no past belief is overwritten.

    >>> from datetime import UTC, datetime
    >>> t = datetime(2024, 1, 1, tzinfo=UTC)
    >>> old = Fact(user_id="a", subject="product:1", relation="buys_regularly", object="Tea",
    ...            valid_at=t)
    >>> [(f.subject, f.invalid_at is not None) for f in diff_beliefs([], [old], t)]
    [('product:1', True)]
    """
    held = list(held)
    current = {(f.subject, f.relation, f.object): f for f in held if f.invalid_at is None}
    ended: dict[tuple[str, str], datetime] = {}
    taken = {f.key for f in held}
    for f in held:
        if f.invalid_at is not None:
            last = ended.get((f.subject, f.relation))
            ended[(f.subject, f.relation)] = max(f.invalid_at, last or f.invalid_at)
    writes: list[Fact] = []
    keep: set[tuple[str, str, str]] = set()
    for fact in derived:
        ident = (fact.subject, fact.relation, fact.object)
        if ident in keep:
            continue
        keep.add(ident)
        if ident in current:
            old = current[ident]
            if abs(old.confidence - fact.confidence) > 0.05:
                writes.append(old.model_copy(update={"confidence": fact.confidence}))
            continue
        valid = min(fact.valid_at, now)
        last = ended.get((fact.subject, fact.relation))
        if (last is not None and valid < last) or fact.model_copy(
            update={"valid_at": valid}
        ).key in taken:
            valid = now
        writes.append(fact.model_copy(update={"valid_at": valid}))
    for ident, old in current.items():
        if ident not in keep:
            writes.append(old.model_copy(update={"invalid_at": max(now, old.valid_at)}))
    return writes


class BeliefWriter:
    """Derives, diffs and writes shoppers' beliefs in a daemon thread.

    ``schedule(users)`` only records who to look at; ``wait()`` blocks until everything
    scheduled is written (tests, ``engine.sync_memory``). With ``background=False`` the work
    runs in the calling thread.
    """

    def __init__(
        self,
        memory: MemoryBackend,
        derive: Derive,
        clock: Callable[[], datetime],
        background: bool = True,
        batch_facts: int = BATCH_FACTS,
    ) -> None:
        self.memory = memory
        self._derive = derive
        self._clock = clock
        self.background = background
        self.batch_facts = batch_facts
        self._dirty: dict[str, None] = {}
        self._pending: list[Fact] = []
        self._pending_users: set[str] = set()
        self._lock = threading.Lock()
        self._work_lock = threading.Lock()
        self._wake = threading.Event()
        self._idle = threading.Event()
        self._idle.set()
        self._thread: threading.Thread | None = None
        self._stop = False
        self.written = 0
        """Beliefs written so far (new, changed and invalidated)."""
        self.last_error: BaseException | None = None

    @property
    def queue_depth(self) -> int:
        """Shoppers waiting to be looked at plus beliefs waiting to be written."""
        with self._lock:
            return len(self._dirty) + len(self._pending)

    def schedule(self, users: Iterable[str]) -> None:
        """Look at these shoppers again (cheap; never blocks on memory)."""
        with self._lock:
            for user in users:
                self._dirty[user] = None
            if not self._dirty and not self._pending:
                return
            self._idle.clear()
        if not self.background:
            self._drain()
            return
        with self._lock:
            self._wake.set()
            if self._thread is None and not self._stop:
                self._thread = threading.Thread(
                    target=self._loop, name="leafloaf-beliefs", daemon=True
                )
                self._thread.start()

    def discard(self, user_id: str) -> None:
        """Drop a shopper's queued work (call with :meth:`exclusive` held, before erasing)."""
        with self._lock:
            self._dirty.pop(user_id, None)
            self._pending = [f for f in self._pending if f.user_id != user_id]

    def exclusive(self) -> threading.Lock:
        """Held while a batch is derived and written: erasure takes it to run between."""
        return self._work_lock

    def wait(self, timeout: float | None = None) -> bool:
        """Block until nothing scheduled is left unwritten (True) or ``timeout`` passed."""
        return self._idle.wait(timeout)

    def _loop(self) -> None:
        while not self._stop:
            if not self._wake.wait(timeout=_IDLE_EXIT):
                with self._lock:
                    if not self._wake.is_set():
                        self._thread = None
                        return
                continue
            self._wake.clear()
            if not self._drain() and not self._stop:
                self._wake.wait(_RETRY)  # memory refused: keep the work, try again shortly
                self._wake.set()

    def _drain(self) -> bool:
        """Derive and write until nothing is queued; False if memory refused a batch."""
        while True:
            with self._work_lock:
                now = self._clock()
                batch: list[Fact] = []
                users: list[str] = []
                # a group of shoppers at a time until the batch is full: a store's commit
                # has a cost of its own (Kuzu's ~0.1 s whatever the size), paid per batch
                while len(batch) < self.batch_facts:
                    with self._lock:
                        group = list(self._dirty)[: max(1, self.batch_facts // 20)]
                        for user in group:
                            del self._dirty[user]
                    if not group:
                        break
                    users += group
                    try:
                        for user in group:
                            batch += diff_beliefs(
                                self._derive(user, now), self.memory.history(user), now
                            )
                    except Exception as exc:  # engine or memory failed: look at them again
                        return self._failed(exc, users, [])
                with self._lock:
                    batch = self._pending + batch
                    self._pending = []
                done = 0
                try:
                    while done < len(batch):
                        chunk = batch[done : done + self.batch_facts]
                        self.memory.remember(chunk)
                        done += len(chunk)
                        self.written += len(chunk)
                except Exception as exc:  # what was not written stays queued, in order
                    return self._failed(exc, [], batch[done:])
                self.last_error = None
                with self._lock:
                    if not self._dirty and not self._pending:
                        self._idle.set()
                        return True

    def _failed(self, exc: BaseException, users: list[str], facts: list[Fact]) -> bool:
        self.last_error = exc
        log.warning("memory belief write failed (kept for retry): %s", exc)
        with self._lock:
            for user in users:
                self._dirty[user] = None
            self._pending = facts + self._pending
        return False

    def close(self, timeout: float | None = 10.0) -> None:
        """Write what is queued (up to ``timeout``), then stop the thread."""
        if self.background and self._thread is not None:
            self.wait(timeout)
        self._stop = True
        self._wake.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)
