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


def handover() -> None:
    """Release the GIL for a moment, when another thread exists to take it.

    A zero-length sleep is a system call (tens of microseconds on a busy machine), so a
    process with a single thread, a batch job, skips it.
    """
    if threading.active_count() > 1:
        time.sleep(0)


def paced(items: Iterable[T], every: int = 128) -> Iterator[T]:
    """``items``, releasing the GIL briefly every ``every`` items.

    >>> list(paced(range(3), every=2))
    [0, 1, 2]
    """
    for n, item in enumerate(items, start=1):
        if n % every == 0:  # after each ``every`` items: a short loop (one record) never pays
            handover()
        yield item


def in_slices(items: Sequence[T], size: int = 1024) -> Iterator[Sequence[T]]:
    """``items`` in consecutive slices of ``size``, releasing the GIL between them.

    For loops that run per slice (list comprehensions, ``array.extend``): the same hand-over
    as :func:`paced` at no per-item cost.

    >>> [list(s) for s in in_slices([1, 2, 3], size=2)]
    [[1, 2], [3]]
    """
    for start in range(0, len(items), size):
        if start:
            handover()
        yield items[start : start + size]
