"""Progress bars for long CLI steps: tqdm when installed (``leafloaf[cli]``), else plain text."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from typing import TypeVar

__all__ = ["progress"]

T = TypeVar("T")


def progress(items: Iterable[T], total: int | None, desc: str, unit: str = " it") -> Iterator[T]:
    """Iterate ``items`` while drawing a progress bar on stderr."""
    try:
        from tqdm import tqdm
    except ImportError:
        return _plain(items, total, desc)
    return iter(tqdm(items, total=total, desc=desc, unit=unit, leave=False))


def _plain(items: Iterable[T], total: int | None, desc: str) -> Iterator[T]:
    step = max((total or 0) // 20, 1)
    for i, item in enumerate(items, start=1):
        if total and (i % step == 0 or i == total):
            filled = int(20 * i / total)
            sys.stderr.write(f"\r{desc}: [{'#' * filled}{'.' * (20 - filled)}] {i}/{total}")
            if i == total:
                sys.stderr.write("\n")
            sys.stderr.flush()
        yield item
