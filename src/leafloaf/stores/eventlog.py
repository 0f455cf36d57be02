"""EventLog: the in-memory store's event log, packed in typed columns (about 100 bytes an event).

A log of Python tuples costs about 300 bytes an event (the tuple, its float objects, the id
string and a dictionary entry to find duplicates); at a hundred events a shopper that is
most of what the engine holds. Here every field is a column of a typed :class:`array.array`,
repeated strings (users, products, baskets, time zones) are stored once in a table, event
ids are UTF-8 bytes in one buffer, and duplicate detection uses a sorted array of 64-bit
hashes (verified against the stored id, so a hash collision can never drop an event) plus a
dictionary of the most recent ids.

The log is append-only. Erasure builds a new, compacted log without the erased events
(:meth:`EventLog.without`), so readers holding the old one are never disturbed and no
erased string stays referenced.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Iterable, Iterator, Sequence
from itertools import accumulate
from typing import Any

import numpy as np
from numpy.typing import NDArray

from leafloaf.learning.pacing import in_slices
from leafloaf.models import EventType
from leafloaf.stores.base import EventRecord

__all__ = ["EventLog"]

_KINDS = [kind.value for kind in EventType]
_KIND_CODE = {kind: code for code, kind in enumerate(_KINDS)}
_SLICE = 4_096
"""Records appended per pass (between passes, waiting threads get the interpreter)."""
_RECENT = 65_536
"""Ids kept in a dictionary before they are merged into the sorted hash index."""
_FEW = 16
"""Appends of up to this many records go field by field (see ``_append_one``)."""


class _Table:
    """Distinct strings and their codes (users, products, baskets)."""

    __slots__ = ("codes", "values")

    def __init__(self) -> None:
        self.values: list[str] = []
        self.codes: dict[str, int] = {}

    def code(self, value: str) -> int:
        code = self.codes.get(value)
        if code is None:
            code = self.codes[value] = len(self.values)
            self.values.append(value)
        return code


class EventLog:
    """Accepted events in columns; :meth:`append` only after :meth:`known` said they are new.

    >>> log = EventLog()
    >>> log.append([("search", "ann", 0.0, None, 1.0, None, "tea", None, None, None, "e1", 0.0)])
    >>> log.known(["e1", "e2"]), len(log)
    ({'e1'}, 1)
    """

    def __init__(self) -> None:
        self.kind = array("B")
        self.user = array("I")
        self.ts = array("d")
        self.zone = array("H")
        self.product = array("i")
        self.quantity = array("d")
        self.price = array("d")
        self.basket = array("i")
        self.id_end = array("Q")
        self.ids = bytearray()
        self.extra: dict[int, tuple[str | None, str | None, str | None]] = {}
        """Row → (query, member, household), only for rows that have any of them."""
        self.users = _Table()
        self.products = _Table()
        self.baskets = _Table()
        self.zones: list[float] = []
        self.by_user: dict[int, array[int]] = {}
        self._recent: dict[str, int] = {}
        self._hashes = np.zeros(0, dtype=np.int64)
        self._hash_rows: np.ndarray[Any, np.dtype[np.signedinteger[Any]]] = np.zeros(
            0, dtype=np.int32
        )

    def __len__(self) -> int:
        return len(self.id_end)

    # --- ids -------------------------------------------------------------------------------------
    def event_id(self, row: int) -> str:
        start = self.id_end[row - 1] if row else 0
        return self.ids[start : self.id_end[row]].decode("utf-8")

    def known(self, event_ids: Sequence[str]) -> set[str]:
        """Which of ``event_ids`` are already in the log."""
        return set(self._locate(event_ids))

    def _locate(self, event_ids: Iterable[str]) -> dict[str, int]:
        """The row of each id that is in the log (the recent dictionary, then the sorted hash
        index, each hit verified against the stored id)."""
        recent = self._recent
        found = {e: recent[e] for e in event_ids if e in recent}
        rest = [e for e in event_ids if e not in found]
        if not rest or not len(self._hashes):
            return found
        hashes = np.fromiter((hash(e) for e in rest), dtype=np.int64, count=len(rest))
        where = np.searchsorted(self._hashes, hashes)
        inside = np.minimum(where, len(self._hashes) - 1)
        candidates = np.flatnonzero(self._hashes[inside] == hashes)
        for i in candidates.tolist():
            pos, target = int(where[i]), int(hashes[i])
            while pos < len(self._hashes) and self._hashes[pos] == target:
                row = int(self._hash_rows[pos])
                if self.event_id(row) == rest[i]:
                    found[rest[i]] = row
                    break
                pos += 1
        return found

    def _index_recent(self) -> None:
        if not self._recent:
            return
        ids = list(self._recent)
        hashes = np.fromiter((hash(e) for e in ids), dtype=np.int64, count=len(ids))
        rows = np.fromiter(self._recent.values(), dtype=np.int64, count=len(ids))
        if len(self) < 2**31:  # row numbers fit in 4 bytes: half the index
            rows = rows.astype(np.int32)
        all_hashes = np.concatenate([self._hashes, hashes])
        all_rows = np.concatenate([self._hash_rows, rows]).astype(rows.dtype)
        order = np.argsort(all_hashes, kind="stable")
        self._hashes, self._hash_rows = all_hashes[order], all_rows[order]
        self._recent = {}

    # --- writing ---------------------------------------------------------------------------------
    def _zone_code(self, offset: float) -> int:
        if offset not in self.zones:
            self.zones.append(offset)
        return self.zones.index(offset) + 1

    def append(self, records: Iterable[EventRecord]) -> None:
        """Add records whose ids are not in the log (the caller checked with :meth:`known`).

        Column by column: each column is filled by one list comprehension and one
        ``array.extend``, several times faster than appending field by field.
        """
        recs = list(records)
        if not recs:
            return
        if len(recs) > _SLICE:  # slice by slice, handing the GIL over in between
            for part in in_slices(recs, _SLICE):
                self.append(part)
            return
        if len(recs) <= _FEW:
            for r in recs:
                self._append_one(r)
            return
        first = len(self.id_end)
        ucode, pcode, bcode = self.users.code, self.products.code, self.baskets.code
        uget, pget, bget = self.users.codes.get, self.products.codes.get, self.baskets.codes.get
        # a known string costs one dict lookup; only new ones go through code()
        users = [c if (c := uget(r[1])) is not None else ucode(r[1]) for r in recs]
        self.kind.extend([_KIND_CODE[r[0]] for r in recs])
        self.user.extend(users)
        self.ts.extend([r[2] for r in recs])
        self.zone.extend([self._zone_code(r[11]) if len(r) > 11 and r[11] else 0 for r in recs])
        self.product.extend(
            [
                -1 if (p := r[3]) is None else c if (c := pget(p)) is not None else pcode(p)
                for r in recs
            ]
        )
        self.quantity.extend([r[4] for r in recs])
        nan = math.nan
        self.price.extend([nan if r[5] is None else r[5] for r in recs])
        self.basket.extend(
            [
                -1 if (b := r[7]) is None else c if (c := bget(b)) is not None else bcode(b)
                for r in recs
            ]
        )
        encoded = [r[10].encode("utf-8") for r in recs]
        self.id_end.extend(list(accumulate((len(e) for e in encoded), initial=len(self.ids)))[1:])
        self.ids += b"".join(encoded)
        self.extra.update(
            (row, (r[6], r[8], r[9]))
            for row, r in enumerate(recs, start=first)
            if r[6] is not None or r[8] is not None or r[9] is not None
        )
        self._extend_by_user(users, first)
        self._recent.update(
            zip([r[10] for r in recs], range(first, first + len(recs)), strict=True)
        )
        if len(self._recent) > max(_RECENT, len(self._hashes) // 32):
            self._index_recent()

    def _append_one(self, r: EventRecord) -> None:
        """One record, field by field: for a single ``record()`` call the column-wise path's
        fixed costs (a dozen list comprehensions, a numpy sort) would be most of the work."""
        row = len(self.id_end)
        user = self.users.code(r[1])
        self.kind.append(_KIND_CODE[r[0]])
        self.user.append(user)
        self.ts.append(r[2])
        self.zone.append(self._zone_code(r[11]) if len(r) > 11 and r[11] else 0)
        self.product.append(-1 if r[3] is None else self.products.code(r[3]))
        self.quantity.append(r[4])
        self.price.append(math.nan if r[5] is None else r[5])
        self.basket.append(-1 if r[7] is None else self.baskets.code(r[7]))
        self.ids += r[10].encode("utf-8")
        self.id_end.append(len(self.ids))
        if r[6] is not None or r[8] is not None or r[9] is not None:
            self.extra[row] = (r[6], r[8], r[9])
        rows = self.by_user.get(user)
        if rows is None:
            rows = self.by_user[user] = array("I")
        rows.append(row)
        self._recent[r[10]] = row
        if len(self._recent) > max(_RECENT, len(self._hashes) // 32):
            self._index_recent()

    def _extend_by_user(self, users: list[int], first: int) -> None:
        """Rows per user: one stable sort, then one extend per user (not one append per row)."""
        codes = np.asarray(users, dtype=np.int64)
        order = np.argsort(codes, kind="stable")
        sorted_codes = codes[order]
        cuts = np.flatnonzero(np.diff(sorted_codes)) + 1
        starts = np.concatenate(([0], cuts)).tolist()
        ends = [*cuts.tolist(), len(order)]
        rows_sorted = (order + first).astype(np.uint32)
        by_user = self.by_user
        for code, start, end in zip(sorted_codes[starts].tolist(), starts, ends, strict=True):
            rows = by_user.get(code)
            if rows is None:
                rows = by_user[code] = array("I")
            rows.frombytes(rows_sorted[start:end].tobytes())

    def without(self, users: set[str], event_ids: set[str]) -> EventLog:
        """A new, compacted log without the events of ``users`` or with ids ``event_ids``.

        Column by column with numpy masks (no per-row Python), so an erasure costs tens of
        milliseconds, not seconds, on a log of a few hundred thousand events. String tables
        keep only the values that kept rows use, so no erased string stays referenced.
        """
        n = len(self)
        keep = np.ones(n, dtype=bool)
        user = np.frombuffer(self.user, dtype=np.uint32) if n else np.zeros(0, np.uint32)
        gone = [self.users.codes[u] for u in users if u in self.users.codes]
        if gone:
            keep &= ~np.isin(user, np.asarray(gone, dtype=np.uint32))
        if event_ids:
            for row in self._locate(event_ids).values():
                keep[row] = False
        log = EventLog()
        kept = int(keep.sum())
        if not kept:
            return log
        new_row = np.cumsum(keep) - 1  # old row -> new row (for kept rows)

        def column(source: array[Any], dtype: Any) -> array[Any]:
            out = array(source.typecode)
            out.frombytes(np.frombuffer(source, dtype=dtype)[keep].tobytes())
            return out

        log.kind = column(self.kind, np.uint8)
        log.ts = column(self.ts, np.float64)
        log.zone = column(self.zone, np.uint16)
        log.quantity = column(self.quantity, np.float64)
        log.price = column(self.price, np.float64)
        log.zones = list(self.zones)
        users_kept, user_codes = self._recode(user[keep], self.users, log.users)
        log.user = array("I")
        log.user.frombytes(user_codes.astype(np.uint32).tobytes())
        for name, table in (("product", "products"), ("basket", "baskets")):
            codes = np.frombuffer(getattr(self, name), dtype=np.int32)[keep]
            present = codes >= 0
            _, recoded = self._recode(codes[present], getattr(self, table), getattr(log, table))
            out = codes.copy()
            out[present] = recoded
            target = array("i")
            target.frombytes(out.astype(np.int32).tobytes())
            setattr(log, name, target)
        ends = np.frombuffer(self.id_end, dtype=np.uint64).astype(np.int64)
        lengths = np.diff(ends, prepend=0)
        byte_keep = np.repeat(keep, lengths)
        log.ids = bytearray(np.frombuffer(bytes(self.ids), dtype=np.uint8)[byte_keep].tobytes())
        log.id_end = array("Q")
        log.id_end.frombytes(np.cumsum(lengths[keep]).astype(np.uint64).tobytes())
        log.extra = {int(new_row[r]): v for r, v in self.extra.items() if keep[r]}
        order = np.argsort(user_codes, kind="stable")
        bounds = np.searchsorted(user_codes[order], np.arange(len(users_kept) + 1))
        for code in range(len(users_kept)):
            rows = array("I")
            rows.frombytes(order[bounds[code] : bounds[code + 1]].astype(np.uint32).tobytes())
            log.by_user[code] = rows
        # the duplicate index: kept entries, renumbered (no id is hashed again)
        hash_keep = keep[self._hash_rows] if len(self._hash_rows) else np.zeros(0, dtype=bool)
        log._hashes = self._hashes[hash_keep]
        log._hash_rows = new_row[self._hash_rows[hash_keep]].astype(self._hash_rows.dtype)
        log._recent = {e: int(new_row[r]) for e, r in self._recent.items() if keep[r]}
        log._index_recent()
        return log

    @staticmethod
    def _recode(
        codes: NDArray[Any], old: _Table, new: _Table
    ) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        """Fill ``new`` with the values ``codes`` use (in old code order); codes in ``new``."""
        used, inverse = np.unique(codes, return_inverse=True)
        values = old.values
        new.values = [values[code] for code in used.tolist()]
        new.codes = {value: code for code, value in enumerate(new.values)}
        return used.astype(np.int64), inverse.astype(np.int64)

    # --- reading ---------------------------------------------------------------------------------
    def record(self, row: int) -> EventRecord:
        """The stored form of one row."""
        query, member, household = self.extra.get(row, (None, None, None))
        product, basket, zone = self.product[row], self.basket[row], self.zone[row]
        price = self.price[row]
        return (
            _KINDS[self.kind[row]],
            self.users.values[self.user[row]],
            self.ts[row],
            self.products.values[product] if product >= 0 else None,
            self.quantity[row],
            None if math.isnan(price) else price,
            query,
            self.baskets.values[basket] if basket >= 0 else None,
            member,
            household,
            self.event_id(row),
            self.zones[zone - 1] if zone else 0.0,
        )

    def records(self, stop: int | None = None) -> Iterator[EventRecord]:
        """Rows ``0 .. stop`` (default: all), in log order."""
        end = len(self) if stop is None else stop
        return (self.record(row) for row in range(end))

    def user_records(self, user_id: str, stop: int | None = None) -> list[EventRecord]:
        """One user's rows, in log order."""
        code = self.users.codes.get(user_id)
        rows = self.by_user.get(code) if code is not None else None
        if rows is None:
            return []
        end = len(self) if stop is None else stop
        return [self.record(row) for row in rows if row < end]

    def purchase_arrays(
        self, stop: int
    ) -> tuple[
        NDArray[np.int64], NDArray[np.int64], NDArray[np.int64], NDArray[np.float64], list[str],
        list[str],
    ]:  # fmt: skip
        """Purchased lines of rows ``0 .. stop`` as (user, basket, product, day) code columns.

        Baskets are numbered apart per user; a line without a basket id gets its user's
        ``day<N>`` basket, as the record-based fits name it. The last two items name the
        product and the user codes.
        """
        kind = np.frombuffer(self.kind[:stop], dtype=np.uint8)
        product = np.frombuffer(self.product[:stop], dtype=np.int32).astype(np.int64)
        keep = (kind == _KIND_CODE["purchase"]) & (product >= 0)
        user = np.frombuffer(self.user[:stop], dtype=np.uint32).astype(np.int64)[keep]
        day = np.frombuffer(self.ts[:stop], dtype=np.float64)[keep] / 86_400.0
        basket = np.frombuffer(self.basket[:stop], dtype=np.int32).astype(np.int64)[keep]
        missing = basket < 0
        if missing.any():
            table = self.baskets.codes
            extra: dict[int, int] = {}
            floors = np.floor(day[missing]).astype(np.int64)
            for whole in np.unique(floors).tolist():
                code = table.get(f"day{whole}")
                extra[whole] = code if code is not None else len(self.baskets.values) + len(extra)
            basket[missing] = np.asarray([extra[f] for f in floors.tolist()], dtype=np.int64)
        width = int(basket.max()) + 1 if len(basket) else 1
        _, basket = np.unique(user * width + basket, return_inverse=True)
        return (
            user, basket.astype(np.int64), product[keep], day, list(self.products.values),
            list(self.users.values),
        )  # fmt: skip

    def mentioning(self, subject: str) -> list[EventRecord]:
        """Rows of other users naming ``subject`` as member or household, in log order.

        Only rows with a member or household id are in ``extra``, so this reads those, not
        the whole log (one C-level copy of the dictionary's items: safe beside a writer).
        """
        own = self.users.codes.get(subject)
        rows = sorted(
            row
            for row, (_query, member, household) in list(self.extra.items())
            if subject in (member, household) and self.user[row] != own
        )
        return [self.record(row) for row in rows]

    def owner(self, event_id: str) -> str | None:
        """The user whose event has this id (a scan: erasure-time only)."""
        for row in range(len(self)):
            if self.event_id(row) == event_id:
                return self.users.values[self.user[row]]
        return None

    def user_ids(self) -> list[str]:
        """Users with at least one event, in first-seen order."""
        return [self.users.values[u] for u in self.by_user]
