"""Shared sufficient statistics: the row schema every learner reads, and how events fill it.

Each user owns a handful of rows; every column combines by a commutative :class:`Op`, so
the state after any set of events is the same whatever order they arrived in, and states
built on shards merge by the same ops. Times are days since the Unix epoch; decayed sums
are ``log Σ w·exp(λ·t)`` against the epoch, so no stored value ever needs rescaling.

=================  =======================================================  ============
row key            columns                                                  written by
=================  =======================================================  ============
``i:<product>``    lines, quantity, log-decayed lines, first day, last      any event on
                   day, Σ log unit price, priced lines, views, cart adds,   a product
                   cart removes, dismissals
``b:<basket>``     lines, first day, last day, spend                        purchases
``q:<product>:<q>``  lines bought with quantity ``q`` (``q`` ≠ 1)           purchases
``m:<member>``     lines, first day, last day                               member ids
``h:<hour>``       lines bought at that hour of day                         purchases
``s:<query>``      searches, last day                                       searches
``decl:<attr>``    last day declared avoided, last day declared allowed     declarations
=================  =======================================================  ============
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import cast

import numpy as np
from numpy.typing import NDArray

from leafloaf.learning.pacing import handover
from leafloaf.models import Event, EventType
from leafloaf.stores.base import EventRecord, Op, RowDelta, event_to_record, merge_row, merger_for

__all__ = [
    "BASKET_OPS",
    "DECL_OPS",
    "ITEM_OPS",
    "DeltaBatch",
    "Item",
    "LazyUserStats",
    "UserStats",
    "gamma_cdf",
    "lgamma_array",
    "log_beta",
]

INF = math.inf
A, MN, MX, LA = Op.ADD, Op.MIN, Op.MAX, Op.LOGADD

# i:<product> columns
N, QTY, LDEC, T0, T1, LPRICE, NPRICE, VIEWS, CARTS, REMOVES, DISMISSES = range(11)
ITEM_OPS = (A, A, LA, MN, MX, A, A, A, A, A, A)
BASKET_OPS = (A, MN, MX, A)
COUNT_OPS = (A,)
SPAN_OPS = (A, MN, MX)
SEARCH_OPS = (A, MX)
DECL_OPS = (MX, MX)

_ACTION_COLUMN = {
    EventType.VIEW: VIEWS,
    EventType.ADD_TO_CART: CARTS,
    EventType.REMOVE_FROM_CART: REMOVES,
    EventType.DISMISS: DISMISSES,
}


_intern = sys.intern
_HOUR_KEYS = [f"h:{hour}" for hour in range(24)]


def _quantity_key(quantity: float) -> str:
    return f"{quantity:g}"


@dataclass
class DeltaBatch:
    """Deltas of a batch of events, pre-combined per user and row before they hit a store.

    Pre-combining is exact (the ops are associative) and turns a batch of N events into
    one store write per touched row.
    """

    decay_rate: float
    updates: dict[str, dict[str, RowDelta]] = field(default_factory=dict)

    def _put(self, user: str, key: str, ops: tuple[Op, ...], values: list[float]) -> None:
        rows = self.updates.get(user)
        if rows is None:
            rows = self.updates[user] = {}
        current = rows.get(key)
        if current is None:
            rows[key] = (ops, values)
        else:
            merge_row(ops, current[1], values)  # type: ignore[arg-type]

    def add(self, event: Event) -> None:
        """Fold one (already validated, not yet applied) event into the batch."""
        user, day = event.user_id, event.day
        kind = event.type
        if kind is EventType.PURCHASE:
            pid = event.product_id
            qty = event.quantity
            price = event.unit_price
            lprice, npriced = (math.log(price + 1e-9), 1.0) if price is not None else (0.0, 0.0)
            self._put(
                user,
                _intern(f"i:{pid}"),
                ITEM_OPS,
                [1.0, qty, self.decay_rate * day, day, day, lprice, npriced, 0, 0, 0, 0],
            )
            basket = event.basket_id or f"day{math.floor(day)}"
            spend = qty * price if price is not None else 0.0
            self._put(user, f"b:{basket}", BASKET_OPS, [1.0, day, day, spend])
            if qty != 1.0:
                self._put(user, f"q:{pid}:{_quantity_key(qty)}", COUNT_OPS, [1.0])
            self._put(user, _HOUR_KEYS[event.ts.hour], COUNT_OPS, [1.0])
            if event.member_id is not None:
                self._put(user, f"m:{event.member_id}", SPAN_OPS, [1.0, day, day])
        elif kind is EventType.SEARCH:
            query = " ".join((event.query or "").lower().split())
            self._put(user, f"s:{query}", SEARCH_OPS, [1.0, day])
        else:
            values = [0.0, 0.0, -INF, INF, -INF, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]
            values[_ACTION_COLUMN[kind]] = 1.0
            self._put(user, _intern(f"i:{event.product_id}"), ITEM_OPS, values)

    def add_many(self, events: Sequence[Event]) -> None:
        """Fold many events (see :meth:`add_records`, the ingest hot loop)."""
        self.add_records([event_to_record(e) for e in events], events)

    def add_records(self, records: Sequence[EventRecord], events: Sequence[Event]) -> None:
        """Fold many events given with their stored form (``event_to_record``).

        Purchases take an unrolled path over the record tuples: reading an event's fields
        costs a cache miss each (its attributes live in their own dictionary), so the
        ingest path reads them once, into the record, and works on that.
        """
        updates = self.updates
        rate = self.decay_rate
        merge_item, merge_basket, merge_count = (
            merger_for(ITEM_OPS),
            merger_for(BASKET_OPS),
            merger_for(COUNT_OPS),
        )
        purchase = EventType.PURCHASE.value
        log, floor = math.log, math.floor
        item_keys: dict[str, str] = {}  # product id -> its interned "i:" key, for this batch
        for n, r in enumerate(records):
            # r: kind, user, ts, product, quantity, price, query, basket, member, household,
            # event id, utc offset (see event_to_record)
            if not n & 511:  # hand the GIL to waiting readers (learning/pacing.py)
                handover()
            if r[0] != purchase or r[8] is not None:
                self.add(events[n])
                continue
            user = r[1]
            rows = updates.get(user)
            if rows is None:
                rows = updates[user] = {}
            seconds = r[2]
            day = seconds / 86_400.0
            qty = r[4]
            price = r[5]
            if price is None:
                item = [1.0, qty, rate * day, day, day, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]
                spend = 0.0
            else:
                item = [1.0, qty, rate * day, day, day, log(price + 1e-9), 1.0, 0.0, 0.0, 0.0, 0.0]
                spend = qty * price
            pid = cast(str, r[3])  # a purchase always names its product
            key = item_keys.get(pid)
            if key is None:  # one key string per product across all shoppers
                key = item_keys[pid] = _intern("i:" + pid)
            current = rows.get(key)
            if current is None:
                rows[key] = (ITEM_OPS, item)
            else:
                merge_item(current[1], item)  # type: ignore[arg-type]
            basket = r[7]
            key = "b:" + basket if basket else f"b:day{floor(day)}"
            current = rows.get(key)
            if current is None:
                rows[key] = (BASKET_OPS, [1.0, day, day, spend])
            else:
                merge_basket(current[1], [1.0, day, day, spend])  # type: ignore[arg-type]
            key = _HOUR_KEYS[int((seconds + r[11]) // 3600.0 % 24)]  # local hour, as ts.hour
            current = rows.get(key)
            if current is None:
                rows[key] = (COUNT_OPS, [1.0])
            else:
                merge_count(current[1], [1.0])  # type: ignore[arg-type]
            if qty != 1.0:
                self._put(user, f"q:{pid}:{_quantity_key(qty)}", COUNT_OPS, [1.0])

    def declare(self, user: str, attribute: str, avoid: bool, day: float) -> None:
        """A shopper's own statement about an attribute; the latest statement wins."""
        self._put(user, f"decl:{attribute}", DECL_OPS, [day, -INF] if avoid else [-INF, day])


class _Column:
    """One named column of an :class:`Item`, read from the row it views."""

    __slots__ = ("doc", "index")

    def __init__(self, index: int, doc: str) -> None:
        self.index = index
        self.doc = doc

    def __get__(self, item: Item, owner: type | None = None) -> float:
        return item._v[item._o + self.index]


class Item:
    """Parsed ``i:`` row of one product for one user: a read-only view of the row itself.

    It keeps a reference to the stored row (no copy, no float objects), which is what makes
    a cached shopper cheap to hold. ``Item(*values)`` builds one from values.
    """

    __slots__ = ("_o", "_v")

    def __init__(self, *values: float) -> None:
        self._v: Sequence[float] = values
        self._o = 0

    @classmethod
    def view(cls, row: Sequence[float], offset: int = 0) -> Item:
        """An item over ``row[offset:]`` (stored values that are never modified afterwards)."""
        item = cls.__new__(cls)
        item._v = row
        item._o = offset
        return item

    def _values(self) -> tuple[float, ...]:
        return tuple(self._v[self._o : self._o + len(ITEM_OPS)])

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Item) and self._values() == other._values()

    def __hash__(self) -> int:
        return hash(self._values())

    def __repr__(self) -> str:
        return f"Item{self._values()!r}"

    lines = _Column(N, "purchased lines")
    quantity = _Column(QTY, "units bought in all")
    log_decayed = _Column(LDEC, "log of the recency-decayed line count")
    first_day = _Column(T0, "day of the first purchase")
    last_day = _Column(T1, "day of the latest purchase")
    log_price_sum = _Column(LPRICE, "sum of log unit prices over priced lines")
    priced = _Column(NPRICE, "lines with a price")
    views = _Column(VIEWS, "product views")
    carts = _Column(CARTS, "cart adds")
    removes = _Column(REMOVES, "cart removes")
    dismisses = _Column(DISMISSES, "dismissed suggestions")


@dataclass
class UserStats:
    """One user's rows, parsed into what the learners read. Built once, cached by the engine."""

    user_id: str
    items: dict[str, Item]
    baskets: dict[str, Sequence[float]]
    """Basket rows: lines, first day, last day, spend."""
    quantities: dict[str, dict[float, float]]
    members: dict[str, tuple[float, float, float]]
    hours: dict[int, float]
    searches: dict[str, tuple[float, float]]
    declared: dict[str, bool]

    @classmethod
    def from_rows(cls, user_id: str, rows: Mapping[str, Sequence[float]]) -> UserStats:
        """Parse a store's rows."""
        stats = cls(user_id, {}, {}, {}, {}, {}, {}, {})
        views = getattr(rows, "views", None)
        if views is not None:  # a packed block: items view it in place, no copies
            items = stats.items
            other: dict[str, Sequence[float]] = {}
            for key, values, start, end in views():
                if key.startswith("i:"):
                    items[_intern(key[2:])] = Item.view(values, start)
                else:
                    other[key] = values[start:end]
            rows = other
        for key, v in rows.items():
            kind, _, rest = key.partition(":")
            if kind == "i":
                stats.items[_intern(rest)] = Item.view(v)  # product ids: one copy for all
            elif kind == "b":
                stats.baskets[rest] = v
            elif kind == "q":
                pid, _, q = rest.rpartition(":")
                stats.quantities.setdefault(pid, {})[float(q)] = v[0]
            elif kind == "m":
                stats.members[rest] = (v[0], v[1], v[2])
            elif kind == "h":
                stats.hours[int(rest)] = v[0]
            elif kind == "s":
                stats.searches[rest] = (v[0], v[1])
            elif kind == "decl":
                # equal times cannot be ordered: read a tie as "avoid", the safe side
                stats.declared[rest] = v[0] >= v[1] and v[0] > -INF
        return stats

    @property
    def purchased(self) -> dict[str, Item]:
        """Items bought at least once."""
        return {pid: it for pid, it in self.items.items() if it.lines > 0}

    @property
    def lines(self) -> float:
        """Purchased lines in total."""
        return sum(it.lines for it in self.items.values())

    @property
    def orders(self) -> int:
        """Number of distinct baskets."""
        return len(self.baskets)

    def basket_days(self) -> list[float]:
        """Start day of every basket, ascending."""
        return sorted(b[1] for b in self.baskets.values())

    def mean_gap(self) -> float | None:
        """Mean days between consecutive baskets (None with fewer than two)."""
        days = self.basket_days()
        if len(days) < 2:
            return None
        return (days[-1] - days[0]) / (len(days) - 1)

    def quantity_histogram(self, product_id: str) -> dict[float, float]:
        """Lines by quantity for one product (quantity 1 is implied by the remainder)."""
        item = self.items.get(product_id)
        if item is None or item.lines <= 0:
            return {}
        hist = dict(self.quantities.get(product_id, {}))
        ones = item.lines - sum(hist.values())
        if ones > 0.5:
            hist[1.0] = ones
        return hist


# --- special functions, vectorised over numpy where the fits need it -----------------------

_LANCZOS = (
    0.99999999999980993,
    676.5203681218851,
    -1259.1392167224028,
    771.32342877765313,
    -176.61502916214059,
    12.507343278686905,
    -0.13857109526572012,
    9.9843695780195716e-6,
    1.5056327351493116e-7,
)


def lgamma_array(x: NDArray[np.float64]) -> NDArray[np.float64]:
    """``log Γ(x)`` for positive ``x``, element-wise (Lanczos, |error| < 1e-13)."""
    x = np.asarray(x, dtype=np.float64)
    small = x < 0.5
    z = np.where(small, x + 1.0, x) - 1.0
    acc = np.full_like(z, _LANCZOS[0])
    for i, coef in enumerate(_LANCZOS[1:], start=1):
        acc += coef / (z + i)
    t = z + 7.5
    out = 0.5 * math.log(2 * math.pi) + (z + 0.5) * np.log(t) - t + np.log(acc)
    result: NDArray[np.float64] = np.where(small, out - np.log(x), out)
    return result


def log_beta(a: NDArray[np.float64], b: NDArray[np.float64]) -> NDArray[np.float64]:
    """``log B(a, b)`` element-wise."""
    result: NDArray[np.float64] = lgamma_array(a) + lgamma_array(b) - lgamma_array(a + b)
    return result


def gamma_cdf(x: float, shape: float, scale: float) -> float:
    """CDF of the gamma distribution (regularised lower incomplete gamma)."""
    if x <= 0:
        return 0.0
    z = x / scale
    if z < shape + 1.0:
        term = total = 1.0 / shape
        a = shape
        for _ in range(500):
            a += 1.0
            term *= z / a
            total += term
            if term < total * 1e-12:
                break
        return min(1.0, total * math.exp(-z + shape * math.log(z) - math.lgamma(shape)))
    # continued fraction for the upper tail (Numerical Recipes' gcf, modified Lentz)
    b = z + 1.0 - shape
    c = 1.0 / 1e-300
    d = 1.0 / b
    h = d
    for i in range(1, 500):
        an = -i * (i - shape)
        b += 2.0
        d = an * d + b
        d = 1e-300 if abs(d) < 1e-300 else d
        c = b + an / c
        c = 1e-300 if abs(c) < 1e-300 else c
        d = 1.0 / d
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < 1e-12:
            break
    upper = math.exp(-z + shape * math.log(z) - math.lgamma(shape)) * h
    return max(0.0, 1.0 - upper)


class LazyUserStats(Mapping[str, UserStats]):
    """Every shopper's :class:`UserStats`, each parsed from its rows only when asked for.

    A population fit walks all shoppers several times; holding every parsed shopper at once
    would cost more than the store itself at 100k shoppers, and parsing one is cheap.

    >>> users = LazyUserStats(["ann"], lambda user: {"h:9": [2.0]})
    >>> len(users), users["ann"].hours
    (1, {9: 2.0})
    """

    def __init__(
        self, user_ids: Iterable[str], rows: Callable[[str], Mapping[str, Sequence[float]]]
    ) -> None:
        self._ids = list(dict.fromkeys(user_ids))
        self._known = set(self._ids)
        self._rows = rows

    def __getitem__(self, user_id: str) -> UserStats:
        if user_id not in self._known:
            raise KeyError(user_id)
        return UserStats.from_rows(user_id, self._rows(user_id))

    def __iter__(self) -> Iterator[str]:
        return iter(self._ids)

    def __len__(self) -> int:
        return len(self._ids)
