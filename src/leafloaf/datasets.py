"""Loaders turning public grocery data sets into a Catalog and a stream of Events.

* Instacart layout (``orders*.csv``, ``order_items*.csv`` or ``order_products*.csv``,
  ``products.csv``, ``aisles.csv``, ``departments.csv``): relative time only, so timestamps
  are rebuilt by accumulating ``days_since_prior_order`` from :data:`INSTACART_START`.
* The Complete Journey (``transactions.csv[.gz]``, ``products.csv``): real quantities and
  prices; unit price is ``sales_value / quantity``.
"""

from __future__ import annotations

import csv
import gzip
import io
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from leafloaf.catalog import Catalog
from leafloaf.errors import ValidationError
from leafloaf.models import Event, EventType, Product

__all__ = ["INSTACART_START", "Dataset", "load_completejourney", "load_instacart"]

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


def _find(folder: Path, *patterns: str) -> Path:
    for pattern in patterns:
        found = sorted(folder.glob(pattern))
        if found:
            return found[0]
    raise ValidationError("data", str(folder), f"no file matching {' or '.join(patterns)}")


def _rows(path: Path) -> Iterator[dict[str, str]]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", newline="", encoding="utf-8") as handle:
        assert isinstance(handle, io.TextIOBase)
        yield from csv.DictReader(handle)


def load_instacart(folder: str | Path, max_users: int | None = None) -> Dataset:
    """Load an Instacart-layout folder (e.g. ``../shared/data/instacart_1k``).

    Only ``prior`` orders carry items; a ``test`` order row gives the time of the user's next
    order (``next_order_at``), which is when their restock predictions are asked for.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise ValidationError("data", str(folder), "is not a folder")
    catalog = Catalog.from_instacart(folder)
    orders = _find(folder, "orders*.csv", "orders*.csv.gz")
    items = _find(folder, "order_items*.csv*", "order_products*.csv*")
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
        event = Event.model_construct(
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
    are skipped; timestamps are read as UTC.
    """
    folder = Path(folder)
    skip_departments = {"FUEL", "MISCELLANEOUS", "COUPON", "CNTRL/STORE SUP", "POSTAL CENTER"}
    products: list[Product] = []
    for row in _rows(_find(folder, "products.csv", "products.csv.gz")):
        if row["department"] in skip_departments:
            continue
        kind = row["product_type"] or row["product_category"] or row["department"]
        size = f" {row['package_size']}" if row.get("package_size") else ""
        products.append(
            Product(
                product_id=row["product_id"],
                name=f"{kind.title()}{size}",
                brand=row.get("brand") or None,
                categories=tuple(
                    c for c in (row["department"], row["product_category"]) if c and c.strip()
                ),
            )
        )
    catalog = Catalog(products)
    events: list[Event] = []
    users: set[str] = set()
    for line, row in enumerate(_rows(_find(folder, "transactions.csv.gz", "transactions.csv"))):
        pid, user = row["product_id"], row["household_id"]
        quantity = float(row["quantity"])
        if pid not in catalog or quantity <= 0:
            continue
        if max_users is not None and user not in users and len(users) >= max_users:
            continue
        users.add(user)
        value = float(row["sales_value"])
        events.append(
            Event.model_construct(
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
