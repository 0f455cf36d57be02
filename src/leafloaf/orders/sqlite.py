"""SQLiteOrders: carts and orders in one SQLite file (embedded, durable, standard library)."""

from __future__ import annotations

import os
import sqlite3
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from leafloaf.errors import StoreUnavailableError
from leafloaf.health import BackendHealth
from leafloaf.models import Cart, CartLine
from leafloaf.orders.base import CartChange, Op, Order, OrderBackend, next_quantity

if TYPE_CHECKING:
    from leafloaf.catalog import Catalog
    from leafloaf.engine import GraphitiPersonalizationEngine

__all__ = ["SQLiteOrders"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS cart_lines (
    user_id TEXT NOT NULL,
    product_id TEXT NOT NULL,
    name TEXT NOT NULL,
    quantity REAL NOT NULL,
    unit_price REAL,
    seq INTEGER NOT NULL,
    PRIMARY KEY (user_id, product_id)
);
CREATE TABLE IF NOT EXISTS cart_changes (
    change_id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    product_id TEXT NOT NULL,
    before REAL NOT NULL,
    after REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS cart_changes_user ON cart_changes (user_id);
CREATE TABLE IF NOT EXISTS orders (
    order_id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    placed_at TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS orders_user ON orders (user_id);
"""


class SQLiteOrders(OrderBackend):
    """Carts, change ids and orders in one SQLite file; each change is one transaction.

    >>> from leafloaf import Catalog, Product, SQLiteOrders
    >>> orders = SQLiteOrders(":memory:", Catalog([Product(product_id="1", name="Milk")]))
    >>> orders.set_quantity("ann", "1", 3).after
    3.0
    >>> orders.health().status
    'ok'
    """

    name = "sqlite"

    def __init__(
        self,
        path: str | os.PathLike[str] = "leafloaf-orders.db",
        catalog: Catalog | None = None,
        engine: GraphitiPersonalizationEngine | None = None,
    ) -> None:
        super().__init__(catalog, engine)
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(_SCHEMA)

    def cart(self, user_id: str) -> Cart:
        with self._lock:
            rows = self._db.execute(
                "SELECT product_id, name, quantity, unit_price FROM cart_lines"
                " WHERE user_id = ? ORDER BY seq",
                (user_id,),
            ).fetchall()
        return Cart(
            user_id=user_id,
            lines=[CartLine(product_id=p, name=n, quantity=q, unit_price=u) for p, n, q, u in rows],
        )

    def _apply(
        self, user_id: str, line: CartLine, op: Op, quantity: float, change_id: str
    ) -> CartChange:
        with self._lock, self._write():
            db = self._db
            seen = db.execute(
                "SELECT user_id, product_id, before, after FROM cart_changes WHERE change_id = ?",
                (change_id,),
            ).fetchone()
            if seen is not None:
                u, p, b, a = seen
                return CartChange(change_id=change_id, user_id=u, product_id=p, before=b, after=a)
            row = db.execute(
                "SELECT quantity FROM cart_lines WHERE user_id = ? AND product_id = ?",
                (user_id, line.product_id),
            ).fetchone()
            before = float(row[0]) if row else 0.0
            after = next_quantity(before, op, quantity)
            if after <= 0:
                db.execute(
                    "DELETE FROM cart_lines WHERE user_id = ? AND product_id = ?",
                    (user_id, line.product_id),
                )
            elif row:
                db.execute(
                    "UPDATE cart_lines SET quantity = ? WHERE user_id = ? AND product_id = ?",
                    (after, user_id, line.product_id),
                )
            else:
                db.execute(
                    "INSERT INTO cart_lines VALUES (?, ?, ?, ?, ?,"
                    " (SELECT COALESCE(MAX(seq), 0) + 1 FROM cart_lines WHERE user_id = ?))",
                    (user_id, line.product_id, line.name, after, line.unit_price, user_id),
                )
            db.execute(
                "INSERT INTO cart_changes VALUES (?, ?, ?, ?, ?)",
                (change_id, user_id, line.product_id, before, after),
            )
        return CartChange(
            change_id=change_id,
            user_id=user_id,
            product_id=line.product_id,
            before=before,
            after=after,
        )

    def _place_order(self, user_id: str, order_id: str) -> Order | None:
        with self._lock, self._write():
            seen = self._db.execute(
                "SELECT body FROM orders WHERE order_id = ?", (order_id,)
            ).fetchone()
            if seen is not None:
                return Order.model_validate_json(seen[0])
            lines = self.cart(user_id).lines
            if not lines:
                return None
            order = Order(
                order_id=order_id, user_id=user_id, lines=lines, placed_at=datetime.now(UTC)
            )
            self._db.execute("DELETE FROM cart_lines WHERE user_id = ?", (user_id,))
            self._db.execute(
                "INSERT INTO orders VALUES (?, ?, ?, ?)",
                (order_id, user_id, order.placed_at.isoformat(), order.model_dump_json()),
            )
        return order

    def orders(self, user_id: str) -> list[Order]:
        """The shopper's placed orders, oldest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT body FROM orders WHERE user_id = ? ORDER BY placed_at, rowid", (user_id,)
            ).fetchall()
        return [Order.model_validate_json(body) for (body,) in rows]

    def forget_user(self, user_id: str) -> int:
        with self._lock, self._write():
            gone = 0
            for table in ("cart_lines", "orders", "cart_changes"):
                cursor = self._db.execute(f"DELETE FROM {table} WHERE user_id = ?", (user_id,))
                gone += cursor.rowcount if table != "cart_changes" else 0
        return gone

    def health(self) -> BackendHealth:
        start = time.perf_counter()
        try:
            with self._lock:
                (carts,) = self._db.execute(
                    "SELECT COUNT(DISTINCT user_id) FROM cart_lines"
                ).fetchone()
        except sqlite3.Error as exc:
            return BackendHealth(backend=self.name, kind="orders", status="down",
                                 last_error=str(exc), detail=self.path)  # fmt: skip
        return BackendHealth(
            backend=self.name,
            kind="orders",
            status="ok",
            latency_ms=(time.perf_counter() - start) * 1000,
            detail=f"{carts} open carts in {self.path}",
        )

    def close(self) -> None:
        """Close the database file."""
        with self._lock:
            self._db.close()

    def _write(self) -> _Transaction:
        return _Transaction(self._db, self.path)


class _Transaction:
    """BEGIN IMMEDIATE … COMMIT, rolled back on error; a locked or read-only file is an outage."""

    def __init__(self, db: sqlite3.Connection, path: str) -> None:
        self._db = db
        self._path = path

    def __enter__(self) -> None:
        try:
            self._db.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise StoreUnavailableError(f"orders database {self._path!r}: {exc}") from exc

    def __exit__(self, kind: object, exc: object, tb: object) -> None:
        if kind is None:
            try:
                self._db.execute("COMMIT")
            except sqlite3.OperationalError as err:
                self._db.execute("ROLLBACK")
                raise StoreUnavailableError(f"orders database {self._path!r}: {err}") from err
        else:
            self._db.execute("ROLLBACK")
