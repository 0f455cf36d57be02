"""Validation: bad input names field and value; record_many keeps every valid row."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leafloaf import (
    Catalog,
    Event,
    EventType,
    GraphitiPersonalizationEngine,
    Product,
    UnknownProductError,
    ValidationError,
)

T0 = datetime(2026, 2, 1, 8, tzinfo=UTC)
CATALOG = Catalog(
    [
        Product(product_id=f"p{i}", name=f"Product {i}", categories=("dept", f"aisle{i % 2}"))
        for i in range(4)
    ]
)


def good(**over: Any) -> dict[str, Any]:
    row: dict[str, Any] = {"type": "purchase", "user_id": "u1", "product_id": "p1", "ts": T0}
    row.update(over)
    return row


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("quantity", -1),
        ("quantity", 0),
        ("unit_price", math.nan),
        ("unit_price", -2.0),
        ("user_id", ""),
        ("user_id", "   "),
        ("ts", datetime(2026, 1, 1)),
        ("type", "teleport"),
    ],
)
def test_bad_field_raises_naming_field_and_value(field: str, value: Any) -> None:
    with pytest.raises(ValidationError) as info:
        Event(**good(**{field: value}))
    assert info.value.field == field
    assert info.value.value == value or (isinstance(value, float) and math.isnan(info.value.value))
    assert field in str(info.value)


def test_unknown_product_is_rejected_by_the_engine() -> None:
    engine = GraphitiPersonalizationEngine(CATALOG)
    with pytest.raises(UnknownProductError) as info:
        engine.record(good(product_id="nope"))
    assert info.value.field == "product_id" and info.value.value == "nope"
    assert engine.store.event_count() == 0


def test_event_needs_product_or_query() -> None:
    with pytest.raises(ValidationError, match="product_id"):
        Event(type=EventType.VIEW, user_id="u", ts=T0)
    with pytest.raises(ValidationError, match="query"):
        Event(type=EventType.SEARCH, user_id="u", ts=T0)
    assert Event.search("u", "oat milk", ts=T0).query == "oat milk"


def test_constructors_and_generated_ids() -> None:
    a = Event.purchase("u", "p1", quantity=2, unit_price=1.5, basket_id="b", ts=T0)
    b = Event.purchase("u", "p1", ts=T0)
    assert a.event_id != b.event_id and len(a.event_id) == 32
    assert Event.view("u", "p1", ts=T0).type is EventType.VIEW
    assert Event.add_to_cart("u", "p1", ts=T0).type is EventType.ADD_TO_CART
    assert Event.remove_from_cart("u", "p1", ts=T0).type is EventType.REMOVE_FROM_CART
    assert Event.dismiss("u", "p1", ts=T0).type is EventType.DISMISS
    assert a.day == pytest.approx(T0.timestamp() / 86400)


def test_product_validation_and_catalog_loaders(tmp_path: Any) -> None:
    with pytest.raises(ValidationError) as info:
        Product(product_id="x", name="X", price=-1)
    assert info.value.field == "price"
    path = tmp_path / "c.csv"
    path.write_text(
        "product_id,name,brand,categories,price,tags\n"
        "1,Oat Milk,Oatly,dairy/milk,2.5,vegan|organic\n2,Bread,,bakery,,\n"
    )
    catalog = Catalog.from_csv(path)
    assert catalog.attributes("1") == (
        "department:dairy",
        "aisle:milk",
        "brand:Oatly",
        "tag:vegan",
        "tag:organic",
    )
    assert catalog.get("1").price == 2.5 and catalog.get("2").price is None
    assert catalog.category("2") == "department:bakery"
    bad = tmp_path / "bad.csv"
    bad.write_text("product_id,name,price\n1,A,cheap\n")
    with pytest.raises(ValidationError, match="price"):
        Catalog.from_csv(bad)


bad_rows = st.sampled_from(
    [
        {"quantity": -3},
        {"product_id": "missing"},
        {"ts": datetime(2026, 1, 1)},
        {"user_id": ""},
        {"unit_price": math.inf},
        {"type": "unknown"},
    ]
)
rows = st.lists(
    st.one_of(
        st.builds(
            lambda p, q, d: good(product_id=f"p{p}", quantity=q, ts=T0 + timedelta(days=d)),
            st.integers(0, 3),
            st.integers(1, 5),
            st.integers(0, 60),
        ),
        bad_rows.map(lambda over: good(**over)),
    ),
    max_size=40,
)


@settings(max_examples=60, deadline=None)
@given(rows)
def test_record_many_keeps_every_valid_row_and_names_each_rejection(
    batch: list[dict[str, Any]],
) -> None:
    engine = GraphitiPersonalizationEngine(CATALOG)
    report = engine.record_many(batch)
    valid = []
    for index, row in enumerate(batch):
        try:
            event = Event(**row)
            if event.product_id not in CATALOG:
                raise UnknownProductError(event.product_id or "")
            valid.append(row)
        except ValidationError as err:
            rejection = next(r for r in report.rejected if r.index == index)
            assert rejection.field == err.field
    assert report.accepted == len(valid) == engine.store.event_count()
    assert len(report.rejected) == len(batch) - len(valid)
    lines = sum(1 for row in valid if row["type"] == "purchase")
    assert engine.usual_order("u1", 10).orders_seen <= lines
    assert sum(it.lines for it in engine._user_stats("u1").items.values()) == pytest.approx(lines)


def test_only_validated_events_skip_the_ingest_recheck() -> None:
    good = Event.purchase("u1", "p1", ts=datetime(2026, 1, 5, tzinfo=UTC))
    assert good.validated and good.model_copy().validated
    poisoned = good.model_copy(update={"basket_id": "\ud800"})  # skips pydantic's validators
    built = Event.model_construct(**{**dict(good), "quantity": math.nan})
    assert not poisoned.validated and not built.validated
    assert poisoned != good and built != good and built == built.model_copy()
    engine = GraphitiPersonalizationEngine(Catalog([Product(product_id="p1", name="Tea")]))
    report = engine.record_many([good, poisoned, built])
    assert report.accepted == 1
    assert sorted(r.field for r in report.rejected) == ["basket_id", "quantity"]
    # a store reads back what it accepted as validated, equal to what was recorded
    (stored,) = list(engine.store.events("u1"))
    assert stored.validated and stored == good and hash(stored) == hash(good)
