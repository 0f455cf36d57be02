"""Contract suite every OrderBackend passes: carts, idempotent changes, checkout, events."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leafloaf import (
    Catalog,
    EventType,
    GraphitiPersonalizationEngine,
    InMemoryOrders,
    OrderBackend,
    Product,
    SQLiteOrders,
    UnknownProductError,
    ValidationError,
)

CATALOG = Catalog(
    [
        Product(product_id="milk", name="Oat Milk", categories=("dairy", "milk"), price=2.5),
        Product(product_id="eggs", name="Free Range Eggs", categories=("dairy", "eggs")),
        Product(product_id="bread", name="Sourdough", categories=("bakery", "bread"), price=4.0),
    ]
)
T0 = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


def _open(kind: str, tmp_path: Path, engine: GraphitiPersonalizationEngine) -> OrderBackend:
    if kind == "memory":
        return InMemoryOrders(engine=engine)
    return SQLiteOrders(tmp_path / "orders.db", engine=engine)


@pytest.fixture(params=["memory", "sqlite"])
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def engine() -> GraphitiPersonalizationEngine:
    return GraphitiPersonalizationEngine(CATALOG, clock=lambda: T0)


@pytest.fixture
def orders(
    kind: str, tmp_path: Path, engine: GraphitiPersonalizationEngine
) -> Iterator[OrderBackend]:
    backend = _open(kind, tmp_path, engine)
    yield backend
    if isinstance(backend, SQLiteOrders):
        backend.close()


def _types(engine: GraphitiPersonalizationEngine, user: str) -> list[tuple[str, str, float]]:
    return [(e.type.value, e.product_id or "", e.quantity) for e in engine.store.events(user)]


def test_empty_cart_for_a_new_shopper(orders: OrderBackend) -> None:
    cart = orders.cart("nobody")
    assert cart.user_id == "nobody" and cart.lines == []


def test_add_remove_and_set_keep_lines_in_order_with_names_and_prices(
    orders: OrderBackend,
) -> None:
    orders.add("ann", "milk", 2)
    orders.add("ann", "bread")
    orders.add("ann", "milk", 1)
    cart = orders.cart("ann")
    assert [(ln.product_id, ln.quantity) for ln in cart.lines] == [("milk", 3.0), ("bread", 1.0)]
    assert cart.lines[0].name == "Oat Milk" and cart.lines[0].unit_price == 2.5
    assert cart.total == 11.5
    orders.remove("ann", "milk", 1)
    assert orders.cart("ann").quantity("milk") == 2.0
    orders.set_quantity("ann", "bread", 4)
    orders.remove("ann", "milk")
    assert orders.cart("ann").summary() == {"bread": 4.0}
    orders.set_quantity("ann", "bread", 0)
    assert orders.cart("ann").lines == []


def test_removing_more_than_held_empties_the_line(orders: OrderBackend) -> None:
    orders.add("ann", "eggs", 1)
    change = orders.remove("ann", "eggs", 5)
    assert (change.before, change.after) == (1.0, 0.0)
    assert orders.cart("ann").lines == []


def test_carts_are_per_shopper(orders: OrderBackend) -> None:
    orders.add("ann", "milk")
    orders.add("bob", "eggs", 2)
    assert orders.cart("ann").summary() == {"milk": 1.0}
    assert orders.cart("bob").summary() == {"eggs": 2.0}


def test_a_retried_change_id_changes_nothing_twice(
    orders: OrderBackend, engine: GraphitiPersonalizationEngine
) -> None:
    first = orders.add("ann", "milk", 2, change_id="c-1")
    again = orders.add("ann", "milk", 2, change_id="c-1")
    assert again == first
    assert orders.cart("ann").quantity("milk") == 2.0
    assert _types(engine, "ann") == [("add_to_cart", "milk", 2.0)]


def test_every_change_is_recorded_with_its_direction_and_size(
    orders: OrderBackend, engine: GraphitiPersonalizationEngine
) -> None:
    orders.add("ann", "milk", 3)
    orders.set_quantity("ann", "milk", 1)
    orders.remove("ann", "milk")
    orders.remove("ann", "milk")  # nothing left: no event
    assert _types(engine, "ann") == [
        ("add_to_cart", "milk", 3.0),
        ("remove_from_cart", "milk", 2.0),
        ("remove_from_cart", "milk", 1.0),
    ]


def test_checkout_places_the_cart_once_and_records_purchases(
    orders: OrderBackend, engine: GraphitiPersonalizationEngine
) -> None:
    orders.add("ann", "milk", 2)
    orders.add("ann", "bread")
    order = orders.checkout("ann", order_id="o-1")
    assert order is not None and [ln.product_id for ln in order.lines] == ["milk", "bread"]
    assert orders.cart("ann").lines == []
    assert orders.checkout("ann", order_id="o-1") == order  # a retried checkout
    assert orders.checkout("ann") is None  # nothing in the cart
    bought = [e for e in engine.store.events("ann") if e.type is EventType.PURCHASE]
    assert sorted((e.product_id, e.quantity, e.basket_id) for e in bought) == [
        ("bread", 1.0, "o-1"),
        ("milk", 2.0, "o-1"),
    ]
    assert {i.product_id for i in engine.usual_order("ann").items} == {"milk", "bread"}


def test_bad_input_names_the_field(orders: OrderBackend) -> None:
    with pytest.raises(UnknownProductError):
        orders.add("ann", "caviar")
    with pytest.raises(ValidationError) as err:
        orders.add("ann", "milk", 0)
    assert err.value.field == "quantity"
    with pytest.raises(ValidationError) as err:
        orders.set_quantity("ann", "milk", -1)
    assert err.value.field == "quantity"
    with pytest.raises(ValidationError) as err:
        orders.add(" ", "milk")
    assert err.value.field == "user_id"


def test_forget_user_erases_cart_and_orders(orders: OrderBackend) -> None:
    orders.add("ann", "milk")
    orders.checkout("ann")
    orders.add("ann", "eggs")
    orders.add("bob", "eggs")
    assert orders.forget_user("ann") >= 2
    assert orders.cart("ann").lines == []
    assert orders.cart("bob").summary() == {"eggs": 1.0}


def test_health_reports_ok_and_can_say_down(orders: OrderBackend, kind: str) -> None:
    assert orders.health().status == "ok"
    assert orders.health().kind == "orders"
    if isinstance(orders, SQLiteOrders):
        orders.close()
        assert orders.health().status == "down"


def test_concurrent_adds_are_all_counted(orders: OrderBackend) -> None:
    def work() -> None:
        for _ in range(20):
            orders.add("ann", "milk")

    threads = [threading.Thread(target=work) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert orders.cart("ann").quantity("milk") == 120.0


OPS = st.lists(
    st.tuples(
        st.sampled_from(["add", "remove", "set"]),
        st.sampled_from(["milk", "eggs", "bread"]),
        st.integers(min_value=0, max_value=4),
    ),
    max_size=25,
)


# the fixtures are only a backend kind and a folder: each example opens its own backend
@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ops=OPS)
def test_cart_matches_a_model_and_events_sum_to_it(
    kind: str, tmp_path: Path, ops: list[tuple[str, str, int]]
) -> None:
    engine = GraphitiPersonalizationEngine(CATALOG, clock=lambda: T0)
    backend = _open(kind, tmp_path / uuid.uuid4().hex, engine)
    model: dict[str, float] = {}
    for op, pid, q in ops:
        if op == "add" and q > 0:
            backend.add("u", pid, q)
            model[pid] = model.get(pid, 0) + q
        elif op == "remove":
            backend.remove("u", pid, q or None)
            model[pid] = max(model.get(pid, 0) - q, 0) if q else 0
        elif op == "set":
            backend.set_quantity("u", pid, q)
            model[pid] = q
    expected = {p: float(q) for p, q in model.items() if q > 0}
    assert backend.cart("u").summary() == expected
    net: dict[str, float] = {}
    for e in engine.store.events("u"):
        sign = 1 if e.type is EventType.ADD_TO_CART else -1
        net[e.product_id or ""] = net.get(e.product_id or "", 0) + sign * e.quantity
    assert {p: q for p, q in net.items() if q} == expected
    if isinstance(backend, SQLiteOrders):
        backend.close()
