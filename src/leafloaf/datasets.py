"""Loaders turning public grocery data sets into a Catalog and a stream of Events.

* Instacart layout (``orders*.csv``, ``order_items*.csv`` or ``order_products*.csv``,
  ``products.csv``, ``aisles.csv``, ``departments.csv``): relative time only, so timestamps
  are rebuilt by accumulating ``days_since_prior_order`` from :data:`INSTACART_START`.
* The Complete Journey (``transactions.csv[.gz]``, ``products.csv``): real quantities and
  prices; unit price is ``sales_value / quantity``; ``package_size`` ("12 OZ", "6 PK/12 OZ")
  becomes the product's ``size`` and ``unit`` (g, ml or items) where it reads as one.
"""

from __future__ import annotations

import csv
import gzip
import io
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from leafloaf.catalog import Catalog
from leafloaf.errors import ValidationError
from leafloaf.models import Event, EventType, Product
from leafloaf.sizes import BASE_UNITS, parse_package_size

__all__ = [
    "COMPLETEJOURNEY_COLUMNS",
    "INSTACART_COLUMNS",
    "INSTACART_START",
    "Dataset",
    "check_layout",
    "load_completejourney",
    "load_completejourney_demographics",
    "load_instacart",
]

INSTACART_START = datetime(2017, 1, 1, tzinfo=UTC)
"""Arbitrary origin of rebuilt Instacart timestamps (the source has relative time only)."""


@dataclass
class Dataset:
    """A catalog, its purchase events in time order, and each user's next order time if known."""

    name: str
    catalog: Catalog
    events: list[Event]
    next_order_at: dict[str, datetime] = field(default_factory=dict)

    @property
    def users(self) -> list[str]:
        """User ids in first-seen order."""
        return list(dict.fromkeys(e.user_id for e in self.events))


INSTACART_COLUMNS = {
    "orders": ("order_id", "user_id", "eval_set", "order_number", "order_hour_of_day",
               "days_since_prior_order"),
    "order_items": ("order_id", "product_id"),
    "products": ("product_id", "product_name", "aisle_id", "department_id"),
    "aisles": ("aisle_id", "aisle"),
    "departments": ("department_id", "department"),
}  # fmt: skip
"""Columns each Instacart-layout file must have (others are ignored)."""

COMPLETEJOURNEY_COLUMNS = {
    "transactions": ("household_id", "basket_id", "product_id", "quantity", "sales_value",
                     "transaction_timestamp"),
    "products": ("product_id", "department", "product_category", "product_type"),
}  # fmt: skip
"""Columns each Complete Journey file must have (others are ignored)."""


def _folder(folder: str | Path) -> Path:
    path = Path(folder)
    if not path.is_dir():
        what = "does not exist" if not path.exists() else "is a file, not a data folder"
        raise ValidationError("data", str(folder), what)
    return path


def _find(folder: Path, layout: str, *patterns: str) -> Path:
    for pattern in patterns:
        found = sorted(folder.glob(pattern))
        if found:
            return found[0]
    raise ValidationError(
        "data", str(folder), f"no file matching {' or '.join(patterns)}: not {layout} data"
    )


def _open(path: Path) -> io.TextIOBase:
    """A text handle on a CSV file, gzip-compressed or not (the caller closes it)."""
    opener = gzip.open if path.suffix == ".gz" else open
    handle = opener(path, "rt", newline="", encoding="utf-8")
    assert isinstance(handle, io.TextIOBase)
    return handle


def _check_columns(path: Path, layout: str, columns: tuple[str, ...]) -> None:
    """Fail with the file and the missing columns before any row is read."""
    with _open(path) as handle:
        header = next(csv.reader(handle), [])
    missing = [c for c in columns if c not in header]
    if missing:
        raise ValidationError(
            "data",
            str(path),
            f"has no column {', '.join(missing)}: not {layout} data (wrong --format?)",
        )


def _rows(path: Path) -> Iterator[dict[str, str]]:
    with _open(path) as handle:
        yield from csv.DictReader(handle)


def _max_users(max_users: int | None) -> None:
    if max_users is not None and max_users < 1:
        raise ValidationError("max_users", max_users, "must be at least 1 (or None for all)")


def _instacart_files(folder: Path) -> dict[str, Path]:
    layout = "Instacart-layout"
    files = {
        "orders": _find(folder, layout, "orders*.csv", "orders*.csv.gz"),
        "order_items": _find(folder, layout, "order_items*.csv*", "order_products*.csv*"),
    }
    for name in ("products", "aisles", "departments"):
        files[name] = _find(folder, layout, f"{name}.csv")
    for kind, path in files.items():
        _check_columns(path, layout, INSTACART_COLUMNS[kind])
    return files


def _completejourney_files(folder: Path) -> dict[str, Path]:
    layout = "Complete Journey"
    files = {
        "transactions": _find(folder, layout, "transactions.csv.gz", "transactions.csv"),
        "products": _find(folder, layout, "products.csv", "products.csv.gz"),
    }
    for kind, path in files.items():
        _check_columns(path, layout, COMPLETEJOURNEY_COLUMNS[kind])
    return files


_LAYOUTS = {"instacart": _instacart_files, "completejourney": _completejourney_files}


def check_layout(folder: str | Path, fmt: str | None = None) -> str:
    """The layout of a data folder, ``"instacart"`` or ``"completejourney"``, once checked.

    Detected from the files when ``fmt`` is None. Raises :class:`ValidationError` naming the
    folder, file or column that is missing; it reads header lines only, so it is quick.
    """
    path = _folder(folder)
    if fmt is None:
        if any(path.glob("transactions.csv*")):
            fmt = "completejourney"
        elif any(path.glob("orders*.csv*")):
            fmt = "instacart"
        else:
            raise ValidationError(
                "data",
                str(folder),
                "holds neither Complete Journey (transactions.csv[.gz]) nor Instacart-layout "
                "(orders*.csv) files",
            )
    if fmt not in _LAYOUTS:
        raise ValidationError("format", fmt, f"choose {' or '.join(_LAYOUTS)}")
    _LAYOUTS[fmt](path)
    return fmt


def load_instacart(folder: str | Path, max_users: int | None = None) -> Dataset:
    """Load an Instacart-layout folder (e.g. ``../shared/data/instacart_1k``).

    Only ``prior`` orders carry items; a ``test`` order row gives the time of the user's next
    order (``next_order_at``), which is when their restock predictions are asked for.
    """
    folder = _folder(folder)
    _max_users(max_users)
    files = _instacart_files(folder)
    orders, items = files["orders"], files["order_items"]
    catalog = Catalog.from_instacart(folder)
    by_user: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in _rows(orders):
        by_user[row["user_id"]].append(row)
    users = sorted(by_user, key=int if all(u.isdigit() for u in by_user) else str)
    if max_users is not None:
        users = users[:max_users]
    when: dict[str, tuple[str, datetime]] = {}
    next_order_at: dict[str, datetime] = {}
    for user in users:
        day = 0.0
        for row in sorted(by_user[user], key=lambda r: int(r["order_number"])):
            gap = row["days_since_prior_order"]
            day += float(gap) if gap else 0.0
            ts = INSTACART_START + timedelta(days=day, hours=int(row["order_hour_of_day"]))
            if row["eval_set"] == "prior":
                when[row["order_id"]] = (user, ts)
            else:
                next_order_at[user] = ts
    lines: list[tuple[datetime, int, Event]] = []
    for row in _rows(items):
        hit = when.get(row["order_id"])
        if hit is None:
            continue
        user, ts = hit
        event = Event(  # validated where the data enters: ingest then trusts it
            type=EventType.PURCHASE,
            user_id=user,
            ts=ts,
            product_id=row["product_id"],
            quantity=1.0,
            unit_price=None,
            query=None,
            basket_id=row["order_id"],
            member_id=None,
            household_id=None,
            event_id=f"ic-{row['order_id']}-{row['product_id']}",
        )
        lines.append((ts, int(row.get("add_to_cart_order") or 0), event))
    lines.sort(key=lambda t: (t[0], t[2].user_id, t[1]))
    return Dataset("instacart", catalog, [e for _, _, e in lines], next_order_at)


def load_completejourney(folder: str | Path, max_users: int | None = None) -> Dataset:
    """Load The Complete Journey (``transactions.csv.gz`` + ``products.csv``).

    Lines with quantity 0 and the FUEL / MISCELLANEOUS / COUPON departments (not groceries)
    are skipped; timestamps are read as UTC. The data has no product names: a product is
    named by its type and package size, plus ``#<product_id>`` where several share that.
    """
    folder = _folder(folder)
    _max_users(max_users)
    files = _completejourney_files(folder)
    products_file, transactions = files["products"], files["transactions"]
    skip_departments = {"FUEL", "MISCELLANEOUS", "COUPON", "CNTRL/STORE SUP", "POSTAL CENTER"}
    products: list[Product] = []
    for row in _rows(products_file):
        if row["department"] in skip_departments:
            continue
        kind = row["product_type"] or row["product_category"] or row["department"]
        size = f" {row['package_size']}" if row.get("package_size") else ""
        measured = parse_package_size(row.get("package_size"))
        products.append(
            Product(
                product_id=row["product_id"],
                name=f"{kind.title()}{size}",
                brand=row.get("brand") or None,
                categories=tuple(
                    c for c in (row["department"], row["product_category"]) if c and c.strip()
                ),
                # what the package holds, in g, ml or items: prices compare per unit of it
                size=measured.amount if measured else None,
                unit=BASE_UNITS[measured.dimension] if measured else None,
            )
        )
    # The data has no product names, only type and size: many products share one. A shared
    # name gets the product id, so two lines that read the same are the same product.
    shared = {name for name, n in Counter(p.name for p in products).items() if n > 1}
    catalog = Catalog(
        p.model_copy(update={"name": f"{p.name} #{p.product_id}"}) if p.name in shared else p
        for p in products
    )
    events: list[Event] = []
    users: set[str] = set()
    for line, row in enumerate(_rows(transactions)):
        pid, user = row["product_id"], row["household_id"]
        quantity = float(row["quantity"])
        if pid not in catalog or quantity <= 0:
            continue
        if max_users is not None and user not in users and len(users) >= max_users:
            continue
        users.add(user)
        value = float(row["sales_value"])
        events.append(
            Event(  # validated where the data enters: ingest then trusts it
                type=EventType.PURCHASE,
                user_id=user,
                ts=datetime.fromisoformat(row["transaction_timestamp"]).replace(tzinfo=UTC),
                product_id=pid,
                quantity=quantity,
                unit_price=max(value, 0.0) / quantity,
                query=None,
                basket_id=row["basket_id"],
                member_id=None,
                household_id=None,
                event_id=f"cj-{row['basket_id']}-{pid}-{line}",  # stable: the file's row
            )
        )
    events.sort(key=lambda e: (e.ts, e.user_id))
    return Dataset("completejourney", catalog, events)


def load_completejourney_demographics(folder: str | Path) -> dict[str, dict[str, str]]:
    """Complete Journey ``demographics.csv``: household id → its row (``household_size``,
    ``household_comp``, ``kids_count``, ``age``, ``income``, ...), as the file spells them.

    Only some households carry one (343 of the 1,000 in ``completejourney_1k``); a folder
    without the file gives an empty mapping. These are real labels for *evaluating*
    household detection (``leafloaf evaluate household``); the engine never reads them.
    """
    path = _folder(folder) / "demographics.csv"
    if not path.exists():
        return {}
    _check_columns(path, "Complete Journey", ("household_id", "household_size", "kids_count"))
    return {row["household_id"]: dict(row) for row in _rows(path)}
