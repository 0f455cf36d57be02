"""Pacing for long batch loops: hand the interpreter to other threads every few hundred steps.

A population fit is mostly Python loops. Run in a background thread it would hold the GIL
for its whole switch interval (5 ms) at a time, and a ``rerank`` arriving meanwhile would
wait that long for it. A zero-length sleep every ``every`` steps releases the GIL, so a
waiting reader runs within a fraction of a millisecond; the fit itself slows by a few
percent.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from typing import TypeVar

__all__ = ["paced"]

T = TypeVar("T")


def paced(items: Iterable[T], every: int = 128) -> Iterator[T]:
    """``items``, releasing the GIL briefly every ``every`` items.

    >>> list(paced(range(3), every=2))
    [0, 1, 2]
    """
    for n, item in enumerate(items):
        if n % every == 0:
            time.sleep(0)
        yield item
