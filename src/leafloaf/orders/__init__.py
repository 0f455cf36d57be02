"""Order backends: the host's cart and orders (``OrderBackend``), in memory or SQLite."""

from leafloaf.orders.base import CartChange, Order, OrderBackend
from leafloaf.orders.memory import InMemoryOrders
from leafloaf.orders.sqlite import SQLiteOrders

__all__ = ["CartChange", "InMemoryOrders", "Order", "OrderBackend", "SQLiteOrders"]
