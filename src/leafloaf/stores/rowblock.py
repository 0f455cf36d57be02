"""RowBlock: all statistics rows of one shopper packed in one array (the in-memory store's unit).

A dictionary of one small array per row costs about 190 bytes a row (the array object, its
buffer and a dictionary slot); a shopper has ~90 rows. Here a shopper's row keys are one
sorted list, their values one ``array('d')`` and the row boundaries one ``array('I')``:
about 100 bytes a row. Blocks are immutable once published; a transaction edits a
:class:`RowDraft` copy and publishes a new block when it commits.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections.abc import Iterator, Mapping, Sequence
from itertools import accumulate
from typing import Any

from leafloaf.stores.base import Op, offset_merger_for

__all__ = ["RowBlock", "RowDraft"]

_SPLICE = 4
"""A draft with up to this many new rows out of order is spliced, not re-sorted."""


class RowBlock(Mapping[str, Sequence[float]]):
    """A read-only mapping of row key → values, packed.

    >>> draft = RowDraft(None)
    >>> draft.merge("b", (Op.ADD,), [1.0]); draft.merge("a", (Op.ADD, Op.MAX), [2.0, 3.0])
    >>> block = draft.freeze()
    >>> list(block), list(block["a"])
    (['a', 'b'], [2.0, 3.0])
    """

    __slots__ = ("data", "keys_", "starts")

    def __init__(self, keys: list[str], starts: array[int], values: array[float]) -> None:
        self.keys_ = keys
        self.starts = starts
        self.data = values

    def _find(self, key: str) -> int:
        keys = self.keys_
        i = bisect_left(keys, key)
        return i if i < len(keys) and keys[i] == key else -1

    def __getitem__(self, key: str) -> Sequence[float]:
        i = self._find(key)
        if i < 0:
            raise KeyError(key)
        return self.data[self.starts[i] : self.starts[i + 1]]

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self._find(key) >= 0

    def __iter__(self) -> Iterator[str]:
        return iter(self.keys_)

    def __len__(self) -> int:
        return len(self.keys_)

    def views(self) -> Iterator[tuple[str, array[float], int, int]]:
        """``(key, values, start, end)`` of every row, without copying any values."""
        starts, values = self.starts, self.data
        for i, key in enumerate(self.keys_):
            yield key, values, starts[i], starts[i + 1]


class RowDraft:
    """A transaction's private copy of one shopper's rows.

    Making one is three C-level copies (keys, starts, values); existing rows are found by
    bisecting the sorted keys, and only rows new in this transaction get a dictionary entry,
    so touching a shopper with a long history costs no per-row Python work.
    """

    __slots__ = ("base_count", "index", "keys", "sorted", "starts", "values")

    def __init__(self, base: RowBlock | None) -> None:
        if base is None:
            self.keys: list[str] = []
            self.starts: array[int] = array("I", [0])
            self.values: array[float] = array("d")
        else:
            self.keys = list(base.keys_)
            self.starts = array("I", base.starts)
            self.values = array("d", base.data)
        self.base_count = len(self.keys)
        """The first ``base_count`` keys are sorted (those of the published block)."""
        self.index: dict[str, int] = {}
        """Rows added in this transaction."""
        self.sorted = True

    def _find(self, key: str) -> int:
        keys, n = self.keys, self.base_count
        i = bisect_left(keys, key, 0, n)
        if i < n and keys[i] == key:
            return i
        return self.index.get(key, -1)

    def merge(self, key: str, ops: Sequence[Op], delta: Sequence[Any]) -> None:
        """Combine ``delta`` into row ``key`` (a new row when there is none)."""
        i = self._find(key)
        if i < 0:
            if self.keys and key < self.keys[-1]:
                self.sorted = False
            self.index[key] = len(self.keys)
            self.keys.append(key)
            self.values.extend(delta)
            self.starts.append(len(self.values))
        else:
            offset_merger_for(ops)(self.values, self.starts[i], delta)

    def freeze(self) -> RowBlock:
        """The published, immutable block (rows sorted by key)."""
        if self.sorted:
            return RowBlock(self.keys, self.starts, self.values)
        if len(self.keys) - self.base_count <= _SPLICE:
            return self._splice()
        order = sorted(range(len(self.keys)), key=self.keys.__getitem__)
        starts: array[int] = array("I", [0])
        values: array[float] = array("d")
        for i in order:
            values.extend(self.values[self.starts[i] : self.starts[i + 1]])
            starts.append(len(values))
        return RowBlock([self.keys[i] for i in order], starts, values)

    def _splice(self) -> RowBlock:
        """A sorted block plus a few new rows: each is slid into place (C-level moves), where
        re-sorting would copy every row in Python (one event usually adds one row)."""
        n, old_starts, old_values = self.base_count, self.starts, self.values
        keys = self.keys[:n]
        values = old_values[: old_starts[n]]
        lengths = [old_starts[i + 1] - old_starts[i] for i in range(n)]
        for i in sorted(range(n, len(self.keys)), key=self.keys.__getitem__):
            key = self.keys[i]
            pos = bisect_left(keys, key)
            at = sum(lengths[:pos])
            values[at:at] = old_values[old_starts[i] : old_starts[i + 1]]
            keys.insert(pos, key)
            lengths.insert(pos, old_starts[i + 1] - old_starts[i])
        starts: array[int] = array("I", [0])
        starts.extend(accumulate(lengths))
        return RowBlock(keys, starts, values)
