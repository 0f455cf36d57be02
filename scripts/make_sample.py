"""Derive the small Instacart sample in examples/data/ that the demo and tests fall back to.

Reads the Instacart subset in ../shared/data/instacart_1k/ (or --source), keeps every order
of a seeded random choice of users, the products they bought plus a seeded random set of
other products (so search has something to rank), and writes the same file layout.
Deterministic: the same source and seed give byte-identical files.

    python scripts/make_sample.py            # or: make sample
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import random
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
LIMIT = 2 * 1024 * 1024


def _read(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        return list(reader.fieldnames or []), list(reader)


def _write(path: Path, header: list[str], rows: list[dict[str, str]]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=header, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


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
    size = sum(f.stat().st_size for f in out.iterdir() if f.is_file())
    print(
        f"{len(chosen)} users, {len(kept_orders)} orders, {len(kept_items)} items, "
        f"{len(kept_products)} products, {size:,} bytes in {out}"
    )
    for f in sorted(out.glob("*.csv")):
        print(f"  sha256 {hashlib.sha256(f.read_bytes()).hexdigest()}  {f.name}")
    return size


def main() -> None:
    """Command line entry."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=REPO.parent / "shared/data/instacart_1k")
    parser.add_argument("--out", type=Path, default=REPO / "examples/data/instacart_sample")
    parser.add_argument("--users", type=int, default=250)
    parser.add_argument("--extra-products", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    size = make_sample(args.source, args.out, args.users, args.extra_products, args.seed)
    if size > LIMIT:
        raise SystemExit(f"sample is {size:,} bytes, over the 2 MB limit: lower --users")


if __name__ == "__main__":
    main()
