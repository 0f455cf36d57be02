"""Progress for long CLI steps, on stderr: tqdm bars with ``leafloaf[cli]``, else plain text.

Every bar and step stays on screen when it ends, with its elapsed time, so a long command
leaves a record of where its time went.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TypeVar

__all__ = ["progress", "step"]

T = TypeVar("T")


def progress(items: Iterable[T], total: int | None, desc: str, unit: str = " it") -> Iterator[T]:
    """Iterate ``items`` while drawing a progress bar on stderr; the bar stays when done."""
    try:
        from tqdm import tqdm
    except ImportError:
        return _plain(items, total, desc)
    return iter(tqdm(items, total=total, desc=desc, unit=unit, leave=True, mininterval=0.5))


@contextmanager
def step(desc: str, show: bool = True) -> Iterator[None]:
    """Say on stderr that ``desc`` started and, on one line, how long it took.

    >>> with step("counting", show=False):
    ...     total = sum(range(10))
    >>> total
    45
    """
    if not show:
        yield
        return
    started = time.perf_counter()
    sys.stderr.write(f"{desc} …")
    sys.stderr.flush()
    try:
        yield
    except BaseException:
        sys.stderr.write(" stopped\n")
        raise
    sys.stderr.write(f" done in {time.perf_counter() - started:.1f}s\n")
    sys.stderr.flush()


def _plain(items: Iterable[T], total: int | None, desc: str) -> Iterator[T]:
    step_size = max((total or 0) // 20, 1)
    started = time.perf_counter()
    for i, item in enumerate(items, start=1):
        if total and (i % step_size == 0 or i == total):
            filled = int(20 * i / total)
            elapsed = time.perf_counter() - started
            bar = f"{'#' * filled}{'.' * (20 - filled)}"
            sys.stderr.write(f"\r{desc}: [{bar}] {i}/{total} in {elapsed:.1f}s")
            if i == total:
                sys.stderr.write("\n")
            sys.stderr.flush()
        yield item
