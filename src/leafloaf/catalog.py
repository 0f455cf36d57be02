"""The product catalog: products by id, their attributes, and loaders for common layouts."""

from __future__ import annotations

import csv
import math
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

from leafloaf.errors import UnknownProductError, ValidationError
from leafloaf.models import Product

__all__ = ["Catalog", "attribute_label"]

_CATEGORY_LEVELS = ("department", "aisle")


def attribute_label(attribute: str) -> str:
    """Human wording of an attribute key: ``"aisle:milk"`` → ``"milk (aisle)"``."""
    kind, _, value = attribute.partition(":")
    return f"{value} ({kind})" if value else attribute


class Catalog:
    """Products by id with their attributes (category levels, brand and tags).

    Attributes are plain strings ``"<kind>:<value>"`` such as ``"department:dairy eggs"``,
    ``"aisle:milk"``, ``"brand:Horizon"`` or ``"tag:organic"``; the learners only ever see
    these keys, so nothing in LeafLoaf names a product, category or word.

    >>> cat = Catalog([Product(product_id="1", name="Oat Milk", categories=("dairy", "milk"))])
    >>> cat.attributes("1")
    ('department:dairy', 'aisle:milk')
    """

    def __init__(self, products: Iterable[Product] = ()) -> None:
        self._products: dict[str, Product] = {}
        self._attributes: dict[str, tuple[str, ...]] = {}
        self._by_attribute: dict[str, list[str]] = defaultdict(list)
        self._index: dict[str, int] = {}
        self._ids: list[str] = []
        self._category: dict[str, str | None] = {}
        for product in products:
            self.add(product)

    # --- building ---------------------------------------------------------------------------
    def add(self, product: Product) -> None:
        """Add or replace a product."""
        pid = product.product_id
        if pid in self._products:
            for attr in self._attributes[pid]:
                self._by_attribute[attr].remove(pid)
        else:
            self._index[pid] = len(self._ids)
            self._ids.append(pid)
        attrs = self._derive_attributes(product)
        self._products[pid] = product
        self._attributes[pid] = attrs
        self._category[pid] = next(
            (a for a in reversed(attrs) if not a.startswith(("brand:", "tag:"))), None
        )
        for attr in attrs:
            self._by_attribute[attr].append(pid)

    @staticmethod
    def _derive_attributes(product: Product) -> tuple[str, ...]:
        attrs: list[str] = []
        for level, value in enumerate(product.categories):
            kind = _CATEGORY_LEVELS[level] if level < len(_CATEGORY_LEVELS) else f"level{level}"
            attrs.append(f"{kind}:{value}")
        if product.brand:
            attrs.append(f"brand:{product.brand}")
        attrs.extend(f"tag:{tag}" for tag in product.tags)
        return tuple(dict.fromkeys(attrs))

    # --- reading ----------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._products)

    def __contains__(self, product_id: object) -> bool:
        return product_id in self._products

    def __iter__(self) -> Iterator[Product]:
        return iter(self._products.values())

    def get(self, product_id: str) -> Product:
        """The product with this id; raises :class:`UnknownProductError` if absent."""
        try:
            return self._products[product_id]
        except KeyError:
            raise UnknownProductError(product_id) from None

    def name(self, product_id: str) -> str:
        """Product name, or the id itself for an unknown product."""
        product = self._products.get(product_id)
        return product.name if product else product_id

    def attributes(self, product_id: str) -> tuple[str, ...]:
        """Attribute keys of a product (empty for an unknown one)."""
        return self._attributes.get(product_id, ())

    def category(self, product_id: str) -> str | None:
        """The narrowest category attribute of a product (its "aisle"), if any."""
        return self._category.get(product_id)

    def products_with(self, attribute: str) -> list[str]:
        """Product ids carrying an attribute."""
        return list(self._by_attribute.get(attribute, ()))

    def count_with(self, attribute: str) -> int:
        """Number of products carrying an attribute."""
        return len(self._by_attribute.get(attribute, ()))

    def all_attributes(self) -> list[str]:
        """Every attribute key used by at least one product."""
        return [a for a, ids in self._by_attribute.items() if ids]

    def index(self, product_id: str) -> int:
        """Dense integer index of a product (stable while the catalog only grows)."""
        return self._index[product_id]

    @property
    def ids(self) -> list[str]:
        """Product ids in index order."""
        return self._ids

    @property
    def positions(self) -> Mapping[str, int]:
        """Product id → dense index, a live read-only view (fast membership tests in bulk).

        >>> "1" in Catalog([Product(product_id="1", name="Tea")]).positions
        True
        """
        return self._index

    # --- loaders ----------------------------------------------------------------------------
    @classmethod
    def from_csv(cls, path: str | Path) -> Catalog:
        """Load a plain CSV.

        Columns: ``product_id, name`` (required) and optional ``brand``, ``categories``
        (a path joined by ``/``, broad to narrow), ``price``, ``size``, ``unit`` and ``tags``
        (joined by ``|``).
        """
        products = []
        with open(path, newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            missing = {"product_id", "name"} - set(reader.fieldnames or ())
            if missing:
                raise ValidationError("columns", sorted(missing), f"missing from {path}")
            for row in reader:
                products.append(
                    Product(
                        product_id=row["product_id"].strip(),
                        name=row["name"].strip(),
                        brand=(row.get("brand") or "").strip() or None,
                        categories=_split(row.get("categories"), "/"),
                        price=_number(row.get("price"), "price"),
                        size=_number(row.get("size"), "size"),
                        unit=(row.get("unit") or "").strip() or None,
                        tags=_split(row.get("tags"), "|"),
                    )
                )
        return cls(products)

    @classmethod
    def from_instacart(cls, folder: str | Path) -> Catalog:
        """Load the Instacart layout: ``products.csv``, ``aisles.csv``, ``departments.csv``."""
        folder = Path(folder)
        aisles = _id_names(folder / "aisles.csv", "aisle_id", "aisle")
        departments = _id_names(folder / "departments.csv", "department_id", "department")
        products = []
        with open(folder / "products.csv", newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                department = departments.get(row["department_id"], "")
                aisle = aisles.get(row["aisle_id"], "")
                categories = tuple(c for c in (department, aisle) if c and c != "missing")
                products.append(
                    Product(
                        product_id=row["product_id"],
                        name=row["product_name"],
                        categories=categories,
                    )
                )
        return cls(products)


def _split(text: str | None, sep: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in (text or "").split(sep) if part.strip())


def _number(text: str | None, field: str) -> float | None:
    if text is None or not text.strip():
        return None
    try:
        value = float(text)
    except ValueError:
        raise ValidationError(field, text, "is not a number") from None
    if not math.isfinite(value):
        raise ValidationError(field, text, "must be finite")
    return value


def _id_names(path: Path, id_column: str, name_column: str) -> dict[str, str]:
    with open(path, newline="", encoding="utf-8") as handle:
        return {row[id_column]: row[name_column] for row in csv.DictReader(handle)}
