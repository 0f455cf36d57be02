"""Derive the small samples in examples/data/ that the demo, docs and tests fall back to.

* ``instacart_sample/`` from ../shared/data/instacart_1k/ (or --source): every order of a
  seeded random choice of users, the products they bought plus a seeded random set of other
  products (so search has something to rank), in the same file layout.
* ``completejourney_sample/`` from ../shared/data/completejourney_1k/ (or --cj-source): the
  full one-year history of a seeded random choice of households with enough baskets, their
  grocery lines (with quantities and prices) and the products they bought, gzip-compressed
  in the same layout, with the source's PROVENANCE.md beside them.

Deterministic: the same sources and seeds give byte-identical files.

    python scripts/make_sample.py            # or: make sample
"""

from __future__ import annotations

import argparse
import csv
import gzip
import hashlib
import io
import random
import shutil
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
LIMIT = 2 * 1024 * 1024
CJ_LIMIT = 1024 * 1024
# Not groceries: the loader skips these departments, so the sample leaves them out.
CJ_SKIP = {"FUEL", "MISCELLANEOUS", "COUPON", "CNTRL/STORE SUP", "POSTAL CENTER"}


def _read(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        return list(reader.fieldnames or []), list(reader)


def _write(path: Path, header: list[str], rows: list[dict[str, str]]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=header, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def _read_gz(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with gzip.open(path, "rt", newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        return list(reader.fieldnames or []), list(reader)


def _write_gz(path: Path, header: list[str], rows: list[dict[str, str]]) -> None:
    """gzip with mtime 0, so the bytes (and sha256) only depend on the rows."""
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=header, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    with (
        open(path, "wb") as raw,
        gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=9, mtime=0) as handle,
    ):
        handle.write(text.getvalue().encode("utf-8"))


def _report(out: Path, summary: str) -> int:
    size = sum(f.stat().st_size for f in out.iterdir() if f.is_file())
    print(f"{summary}, {size:,} bytes in {out}")
    for f in sorted(out.iterdir()):
        if f.suffix in (".csv", ".gz"):
            print(f"  sha256 {hashlib.sha256(f.read_bytes()).hexdigest()}  {f.name}")
    return size


def make_sample(source: Path, out: Path, users: int, extra_products: int, seed: int) -> int:
    """Write the sample; returns its total size in bytes."""
    rng = random.Random(seed)
    order_header, orders = _read(source / "orders_demo.csv")
    prior_counts: dict[str, int] = {}
    for row in orders:
        if row["eval_set"] == "prior":
            prior_counts[row["user_id"]] = prior_counts.get(row["user_id"], 0) + 1
    # Prefer shoppers with at least five prior orders; top up from the rest only if short.
    eligible = sorted((u for u, n in prior_counts.items() if n >= 5), key=int)
    chosen = set(rng.sample(eligible, min(users, len(eligible))))
    if len(chosen) < users:
        rest = sorted(({row["user_id"] for row in orders} - set(eligible)), key=int)
        chosen |= set(rng.sample(rest, min(users - len(chosen), len(rest))))
    kept_orders = [row for row in orders if row["user_id"] in chosen]
    order_ids = {row["order_id"] for row in kept_orders}
    item_header, items = _read(source / "order_items_demo.csv")
    kept_items = [row for row in items if row["order_id"] in order_ids]
    bought = {row["product_id"] for row in kept_items}
    product_header, products = _read(source / "products.csv")
    others = sorted((p["product_id"] for p in products if p["product_id"] not in bought), key=int)
    keep = bought | set(rng.sample(others, min(extra_products, len(others))))
    kept_products = [p for p in products if p["product_id"] in keep]
    out.mkdir(parents=True, exist_ok=True)
    _write(out / "orders_demo.csv", order_header, kept_orders)
    _write(out / "order_items_demo.csv", item_header, kept_items)
    _write(out / "products.csv", product_header, kept_products)
    for name in ("aisles.csv", "departments.csv"):
        header, rows = _read(source / name)
        _write(out / name, header, rows)
    return _report(
        out,
        f"{len(chosen)} users, {len(kept_orders)} orders, {len(kept_items)} items, "
        f"{len(kept_products)} products",
    )


def make_cj_sample(source: Path, out: Path, households: int, min_baskets: int, seed: int) -> int:
    """Write the Complete Journey sample; returns its total size in bytes."""
    product_header, products = _read(source / "products.csv")
    grocery = {p["product_id"] for p in products if p["department"] not in CJ_SKIP}
    line_header, lines = _read_gz(source / "transactions.csv.gz")
    baskets: dict[str, set[str]] = defaultdict(set)
    for row in lines:
        baskets[row["household_id"]].add(row["basket_id"])
    eligible = sorted((h for h, b in baskets.items() if len(b) >= min_baskets), key=int)
    chosen = set(random.Random(seed).sample(eligible, min(households, len(eligible))))
    kept = [
        row
        for row in lines
        if row["household_id"] in chosen and row["product_id"] in grocery
        and float(row["quantity"]) > 0
    ]  # fmt: skip
    bought = {row["product_id"] for row in kept}
    out.mkdir(parents=True, exist_ok=True)
    _write_gz(out / "transactions.csv.gz", line_header, kept)
    _write_gz(
        out / "products.csv.gz", product_header, [p for p in products if p["product_id"] in bought]
    )
    demo_header, demographics = _read(source / "demographics.csv")
    _write(
        out / "demographics.csv",
        demo_header,
        [d for d in demographics if d["household_id"] in chosen],
    )
    shutil.copyfile(source / "PROVENANCE.md", out / "PROVENANCE.md")
    return _report(
        out,
        f"{len(chosen)} households, {len({r['basket_id'] for r in kept})} baskets, "
        f"{len(kept)} lines, {len(bought)} products",
    )


def main() -> None:
    """Command line entry."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=REPO.parent / "shared/data/instacart_1k")
    parser.add_argument("--out", type=Path, default=REPO / "examples/data/instacart_sample")
    parser.add_argument("--users", type=int, default=250)
    parser.add_argument("--extra-products", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--cj-source", type=Path, default=REPO.parent / "shared/data/completejourney_1k"
    )
    parser.add_argument(
        "--cj-out", type=Path, default=REPO / "examples/data/completejourney_sample"
    )
    parser.add_argument("--cj-households", type=int, default=100)
    parser.add_argument("--cj-min-baskets", type=int, default=20)
    args = parser.parse_args()
    size = make_sample(args.source, args.out, args.users, args.extra_products, args.seed)
    if size > LIMIT:
        raise SystemExit(f"sample is {size:,} bytes, over the 2 MB limit: lower --users")
    size = make_cj_sample(
        args.cj_source, args.cj_out, args.cj_households, args.cj_min_baskets, args.seed
    )
    if size > CJ_LIMIT:
        raise SystemExit(f"sample is {size:,} bytes, over the 1 MB limit: lower --cj-households")


if __name__ == "__main__":
    main()
