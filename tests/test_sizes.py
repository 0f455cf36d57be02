"""Package sizes read as an amount of grams, millilitres or items."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leafloaf import Product
from leafloaf.sizes import BASE_UNITS, parse_package_size, product_size

OZ, FL_OZ, LB = 28.349523125, 29.5735295625, 453.59237


@pytest.mark.parametrize(
    ("text", "dimension", "amount"),
    [
        ("12 OZ", "mass", 12 * OZ),
        ("16 oz", "mass", 16 * OZ),
        ("12OZ", "mass", 12 * OZ),
        ("12    OZ", "mass", 12 * OZ),
        (".5 OZ", "mass", 0.5 * OZ),
        ("1 LB", "mass", LB),
        ("LB", "mass", LB),
        ("1 1/2 LB", "mass", 1.5 * LB),
        ("1 LB 4 OZ", "mass", LB + 4 * OZ),
        ("3/4 OZ", "mass", 0.75 * OZ),
        ("500 G", "mass", 500.0),
        ("2 KG", "mass", 2000.0),
        ("64 FL OZ", "volume", 64 * FL_OZ),
        ("750 ML", "volume", 750.0),
        ("1.5 L", "volume", 1500.0),
        ("1/2 GAL", "volume", 3785.411784 / 2),
        ("GAL", "volume", 3785.411784),
        ("QT", "volume", 946.352946),
        ("6 CT", "count", 6.0),
        ("2 DZ", "count", 24.0),
        ("8 PK", "count", 8.0),
        # multi-packs are the total they hold
        ("6 PK/12 OZ", "mass", 72 * OZ),
        ("12 OZ/6 PK", "mass", 72 * OZ),
        ("6/12 OZ", "mass", 72 * OZ),
        ("10/6.75 OZ", "mass", 67.5 * OZ),
        ("4/187 ML", "volume", 748.0),
        ("12 PK/12 FL OZ", "volume", 144 * FL_OZ),
        ("24 CT/12 OZ", "mass", 288 * OZ),
    ],
)
def test_sizes_read_as_base_units(text: str, dimension: str, amount: float) -> None:
    size = parse_package_size(text)
    assert size is not None, text
    assert size.dimension == dimension
    assert size.amount == pytest.approx(amount)


@pytest.mark.parametrize(
    "text",
    ["", "   ", "ASSORTED", "LARGE", "12-16 OZ", "12 - 16 OZ", "0 OZ", "1/0 OZ", "0/12 OZ",
     "10 SQ FT", "6 IN", "12 OZ CAN", "L    2 OZ", "6 CT/SZ 3", "1/2", "CTN", "12 STEM",
     "OZ OZ LB CT", "9" * 60, "1e9 OZ"],
)  # fmt: skip
def test_unreadable_sizes_are_none(text: str) -> None:
    assert parse_package_size(text) is None


def test_not_a_string_is_none() -> None:
    assert parse_package_size(None) is None
    assert parse_package_size(12) is None  # type: ignore[arg-type]


@given(st.text(max_size=30))
def test_any_text_parses_to_none_or_a_positive_finite_amount(text: str) -> None:
    size = parse_package_size(text)
    assert size is None or (
        size.dimension in BASE_UNITS and math.isfinite(size.amount) and size.amount > 0
    )


def test_a_products_size_and_unit_round_trip() -> None:
    six_pack = parse_package_size("6 PK/12 OZ")
    assert six_pack is not None
    product = Product(
        product_id="cola", name="Cola", size=six_pack.amount, unit=BASE_UNITS[six_pack.dimension]
    )
    found = product_size(product)
    assert found is not None and found.dimension == "mass"
    assert found.amount == pytest.approx(six_pack.amount)
    assert product_size(Product(product_id="x", name="X", size=3.0)) is None  # no unit
    assert product_size(Product(product_id="y", name="Y", size=3.0, unit="furlong")) is None
