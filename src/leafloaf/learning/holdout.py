"""The baskets of a purchase log as the refit's held-out fits read them: start day, owner,
content hash, and each shopper's latest basket, chosen by content, never by arrival order.

Every fit that holds out latest baskets (complements' κ, the price weight, the next-basket
knobs, the reorder regularity) starts from this one table, so they pick their cases the
same way and none depends on the order events arrived in.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["BasketTable", "basket_table", "content_hash", "shopper_signatures"]

IntArray = NDArray[np.int64]


def content_hash(text: str) -> int:
    """A stable 32-bit hash of an id (CRC-32: the same in every process, unlike ``hash``)."""
    return zlib.crc32(text.encode())


@dataclass(frozen=True)
class BasketTable:
    """Per basket id: ``start`` day (inf without lines), ``owner`` (-1 without lines),
    ``signature`` (sum of its distinct products' hashes mod 2³²) and ``size`` (distinct
    products); ``present`` the baskets with lines, ``latest`` every shopper's latest basket
    (by start day, then content; in shopper order), ``per_user`` baskets per shopper;
    ``line_basket`` / ``line_product`` the distinct (basket, product) pairs, by basket;
    ``product_hash`` each product's :func:`content_hash`."""

    start: NDArray[np.float64]
    owner: IntArray
    signature: IntArray
    size: IntArray
    present: IntArray
    latest: IntArray
    per_user: IntArray
    line_basket: IntArray
    line_product: IntArray
    product_hash: IntArray

    @property
    def n_users(self) -> int:
        """Shopper indices run from 0 to ``n_users - 1``."""
        return len(self.per_user)


def basket_table(
    user: NDArray[Any],
    basket: NDArray[Any],
    product: NDArray[Any],
    day: NDArray[Any],
    product_ids: Sequence[str],
) -> BasketTable:
    """The :class:`BasketTable` of a log given as parallel line columns (non-empty).

    >>> t = basket_table(np.array([0, 0, 0]), np.array([0, 1, 1]), np.array([0, 0, 1]),
    ...                  np.array([1.0, 5.0, 5.0]), ["milk", "eggs"])
    >>> t.latest.tolist(), t.size.tolist(), t.per_user.tolist()
    ([1], [1, 2], [2])
    """
    p_hash = np.asarray([content_hash(p) for p in product_ids], dtype=np.int64)
    n_baskets = int(basket.max()) + 1
    start = np.full(n_baskets, np.inf)
    np.minimum.at(start, basket, day)
    owner = np.full(n_baskets, -1, dtype=np.int64)
    owner[basket] = user
    width = max(len(product_ids), 1)
    distinct = np.unique(basket * width + product)  # a product repeated in a basket once
    d_basket, d_product = distinct // width, distinct % width
    signature = np.zeros(n_baskets, dtype=np.int64)
    np.add.at(signature, d_basket, p_hash[d_product])
    signature %= 2**32
    size = np.bincount(d_basket, minlength=n_baskets).astype(np.int64)
    present = np.flatnonzero(owner >= 0)
    order = present[np.lexsort((signature[present], start[present], owner[present]))]
    last_of_group = np.r_[owner[order][1:] != owner[order][:-1], True]
    per_user = np.bincount(owner[present], minlength=int(user.max()) + 1).astype(np.int64)
    return BasketTable(start, owner, signature, size, present, order[last_of_group], per_user,
                       d_basket, d_product, p_hash)  # fmt: skip


def shopper_signatures(table: BasketTable) -> IntArray:
    """Per shopper: the sum of their baskets' signatures mod 2³² (a content hash of their
    whole history, to sample shoppers by)."""
    sig = np.zeros(table.n_users, dtype=np.int64)
    np.add.at(sig, table.owner[table.present], table.signature[table.present])
    sig %= 2**32
    return sig
