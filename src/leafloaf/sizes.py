"""Package sizes: ``"12 OZ"``, ``"6 PK/12 OZ"``, ``"1.5 L"`` read as an amount of a base unit.

Prices are only comparable per unit of what a package holds, and only between packages
measured the same way. A size is read as one of three dimensions, each in one base unit:
``mass`` in grams, ``volume`` in millilitres, ``count`` in items. A multi-pack
(``"6 PK/12 OZ"``, ``"6/12 OZ"``, ``"12 OZ/6 PK"``) is the total it holds. Text that
names no known unit, a range (``"12-16 OZ"``) or a zero amount reads as ``None``: the
product's price then stays per package. ``OZ`` alone is the US ounce of weight (``FL OZ``
is volume), as grocery labels use it.

>>> size = parse_package_size("6 PK/12 OZ")
>>> size.dimension, round(size.amount)
('mass', 2041)
>>> parse_package_size("64 FL OZ").dimension
'volume'
>>> parse_package_size("ASSORTED") is None
True
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache

from leafloaf.models import Product

__all__ = ["BASE_UNITS", "PackageSize", "parse_package_size", "product_size"]

BASE_UNITS = {"mass": "g", "volume": "ml", "count": "ct"}
"""The unit each dimension's amounts are in (what a loader writes to ``Product.unit``)."""

_UNITS: dict[str, tuple[str, float]] = {
    # mass, grams
    "OZ": ("mass", 28.349523125),
    "Z": ("mass", 28.349523125),
    "LB": ("mass", 453.59237),
    "LBS": ("mass", 453.59237),
    "POUND": ("mass", 453.59237),
    "OUNCE": ("mass", 28.349523125),
    "G": ("mass", 1.0),
    "GR": ("mass", 1.0),
    "GM": ("mass", 1.0),
    "KG": ("mass", 1000.0),
    # volume, millilitres
    "FL OZ": ("volume", 29.5735295625),
    "FLOZ": ("volume", 29.5735295625),
    "ML": ("volume", 1.0),
    "CL": ("volume", 10.0),
    "L": ("volume", 1000.0),
    "LTR": ("volume", 1000.0),
    "LITER": ("volume", 1000.0),
    "LITRE": ("volume", 1000.0),
    "PT": ("volume", 473.176473),
    "QT": ("volume", 946.352946),
    "GAL": ("volume", 3785.411784),
    "GA": ("volume", 3785.411784),
    "GALLON": ("volume", 3785.411784),
    # count, items
    "CT": ("count", 1.0),
    "COUNT": ("count", 1.0),
    "PK": ("count", 1.0),
    "PACK": ("count", 1.0),
    "PC": ("count", 1.0),
    "EA": ("count", 1.0),
    "DZ": ("count", 12.0),
}
# longest spellings first, so "FL OZ" wins over "OZ"
_UNIT = "|".join(sorted((re.escape(u) for u in _UNITS), key=len, reverse=True)).replace(
    r"\ ", r"\s*"
)
_NUMBER = r"(?:\d+\s+\d+/\d+|\d+/\d+|\d*\.\d+|\d+)"
_MEASURE = re.compile(rf"(?P<n>{_NUMBER})?\s*(?<![A-Z])(?P<u>{_UNIT})\b\.?")
_SLASHED = re.compile(rf"^(?P<a>\d+)\s*/\s*(?P<b>\d*\.?\d+)\s*(?P<u>{_UNIT})\.?$")
_FRACTION_DENOMINATORS = {2, 3, 4, 8}
"""Labels print halves, thirds, quarters and eighths: "1/2 GAL" is half a gallon, while
"6/12 OZ" is six 12-ounce packages."""


@dataclass(frozen=True)
class PackageSize:
    """What a package holds: a dimension and an amount in its base unit (g, ml or items)."""

    dimension: str
    """``"mass"`` (grams), ``"volume"`` (millilitres) or ``"count"`` (items)."""
    amount: float


def _number(text: str) -> float:
    text = text.strip()
    if " " in text:  # a mixed fraction, "1 1/2"
        whole, fraction = text.split(None, 1)
        return float(whole) + _number(fraction)
    if "/" in text:
        top, bottom = text.split("/")
        return float(top) / float(bottom) if float(bottom) else math.nan
    return float(text)


def _measure(n: str | None, unit: str) -> tuple[str, float] | None:
    """``(dimension, base amount)`` of ``n`` (1 when absent) of a unit."""
    dimension, factor = _UNITS[re.sub(r"\s+", " ", unit)]
    value = _number(n) if n else 1.0
    if not math.isfinite(value) or value <= 0:
        return None
    return dimension, value * factor


def parse_package_size(text: str | None) -> PackageSize | None:
    """The dimension and base-unit amount a package size names, or ``None`` if unreadable.

    Never raises: any string (or ``None``) is accepted, and what cannot be read is ``None``.

    >>> parse_package_size("1 LB")
    PackageSize(dimension='mass', amount=453.59237)
    >>> parse_package_size("12-16 OZ") is None
    True
    """
    return _parse(text) if isinstance(text, str) else None


@lru_cache(maxsize=8192)  # catalogs repeat a few thousand size strings; refits reread them
def _parse(text: str) -> PackageSize | None:
    clean = re.sub(r"\s+", " ", text.upper()).strip()
    if not clean or len(clean) > 40 or re.search(r"\d\s*-\s*\d", clean):
        return None  # empty, not a size, or a range: no single amount
    slashed = _SLASHED.match(clean)
    if slashed is not None:
        a, b = int(slashed["a"]), float(slashed["b"])
        if b.is_integer() and a < b and int(b) in _FRACTION_DENOMINATORS:
            one = _measure(f"{a}/{int(b)}", slashed["u"])
        else:  # a count of packages, then the size of each
            each = _measure(slashed["b"], slashed["u"])
            one = (each[0], a * each[1]) if each is not None and a > 0 else None
        return PackageSize(*one) if one is not None else None
    sizes: list[tuple[str, float]] = []
    at = 0
    for found in _MEASURE.finditer(clean):
        if clean[at : found.start()].strip(" /"):
            return None  # words that are not a size ("12 OZ CAN" stays per package)
        one = _measure(found["n"], found["u"])
        if one is None:
            return None
        sizes.append(one)
        at = found.end()
    if not sizes or clean[at:].strip(" /"):
        return None
    measured = [s for s in sizes if s[0] != "count"]
    counts = [s for s in sizes if s[0] == "count"]
    if len(sizes) == 1:
        return PackageSize(*sizes[0])
    if len(measured) == 1 and len(counts) == 1:
        # "6 PK/12 OZ" or "12 OZ/6 PK": packs × the size of each
        return PackageSize(measured[0][0], counts[0][1] * measured[0][1])
    if not counts and len({s[0] for s in sizes}) == 1:
        # "1 LB 4 OZ": parts of one amount
        return PackageSize(sizes[0][0], sum(s[1] for s in sizes))
    return None


def product_size(product: Product) -> PackageSize | None:
    """A catalog product's size from its ``size`` and ``unit`` (None when either is missing
    or the unit is not one :func:`parse_package_size` reads)."""
    if product.size is None or not product.size or not product.unit:
        return None
    return parse_package_size(f"{product.size:f} {product.unit}")
