"""Pacing for long batch loops: hand the interpreter to other threads every few hundred steps.

Used by the population fit and by every loop of the ingest path (coercion, packing, the
statistics fold, the log append, the row merges), so that neither a refit nor a large
``record_many`` makes a concurrent read wait for a whole switch interval.

A population fit is mostly Python loops. Run in a background thread it would hold the GIL
for its whole switch interval (5 ms) at a time, and a ``rerank`` arriving meanwhile would
wait that long for it. A zero-length sleep every ``every`` steps releases the GIL, so a
waiting reader runs within a fraction of a millisecond; the fit itself slows by a few
percent.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from typing import TypeVar

__all__ = ["handover", "in_slices", "paced"]

T = TypeVar("T")


_QUANTUM = 0.000_2
"""Seconds of work between two hand-overs: a waiting reader runs within about this long."""
_local = threading.local()  # each thread's last hand-over: one writer's never stands in for
# another's, or eight writers would hand over eight times less often between them


def handover() -> None:
    """Release the GIL for a moment, when another thread exists to take it and the last
    hand-over is at least ``_QUANTUM`` ago.

    A zero-length sleep is a system call (tens of microseconds on a busy machine): a
    process with a single thread, a batch job, skips it, and so do the many short loops of
    one ``record()`` call (each loop hands over at its start) until a quantum has passed.
    """
    if threading.active_count() > 1:
        now = time.perf_counter()
        if now - getattr(_local, "last", 0.0) >= _QUANTUM:
            time.sleep(0)
            _local.last = time.perf_counter()


def paced(items: Iterable[T], every: int = 128) -> Iterator[T]:
    """``items``, releasing the GIL briefly every ``every`` items.

    >>> list(paced(range(3), every=2))
    [0, 1, 2]
    """
    for n, item in enumerate(items):
        if n % every == 0:
            handover()
        yield item


def in_slices(items: Sequence[T], size: int = 1024) -> Iterator[Sequence[T]]:
    """``items`` in consecutive slices of ``size``, releasing the GIL before each one.

    For loops that run per slice (list comprehensions, ``array.extend``): the same hand-over
    as :func:`paced` at no per-item cost.

    >>> [list(s) for s in in_slices([1, 2, 3], size=2)]
    [[1, 2], [3]]
    """
    for start in range(0, len(items), size):
        handover()
        yield items[start : start + size]
