"""Apply the hand-written rules (rules.py) to an Instacart-layout catalog: graded judgements.

``python -m tests.search.judged.build ../shared/data/instacart_1k`` rewrites
``queries.tsv`` (query, kind, split) and ``instacart_qrels.tsv`` (query, then the
space-separated product ids of grade 2 and of grade 1; every product not listed is grade 0).
``--review`` prints, per query, what each grade holds and the most bought grade-0 products
that share a word with the query: what the judge reads before accepting the rules.
"""

from __future__ import annotations

import csv
import hashlib
import re
import sys
import unicodedata
from collections import Counter
from pathlib import Path

from tests.search.judged.rules import RULES, Judge, Match

HERE = Path(__file__).parent
QUERIES = HERE / "queries.tsv"
QRELS = HERE / "instacart_qrels.tsv"
HELD_OUT_SHARE = 0.6
"""Share of the queries never used to tune or to choose anything in the search code."""


def normalise(text: str) -> str:
    """Lower case, accents stripped: how the rules read product names."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def split_of(query: str) -> str:
    """``"heldout"`` or ``"tune"``, fixed by a hash of the query text (not by its results)."""
    bucket = int(hashlib.sha256(query.encode()).hexdigest()[:8], 16) / 16**8
    return "heldout" if bucket < HELD_OUT_SHARE else "tune"


def _matches(match: Match, name: str, aisle: str) -> bool:
    if match.aisle is not None and not re.fullmatch(match.aisle, aisle):
        return False
    if match.no is not None and re.search(match.no, name):
        return False
    return re.search(match.name, name) is not None


def grade(judge: Judge, name: str, aisle: str) -> int:
    """2 exact, 1 related, 0 wrong, for one product under one query's rules."""
    if any(_matches(m, name, aisle) for m in judge.exact):
        return 2
    if any(_matches(m, name, aisle) for m in judge.related):
        return 1
    return 0


def load_products(folder: Path) -> list[tuple[str, str, str]]:
    """(product id, normalised name, aisle name) for every product of the catalog."""
    with open(folder / "aisles.csv", newline="", encoding="utf-8") as handle:
        aisles = {row["aisle_id"]: row["aisle"] for row in csv.DictReader(handle)}
    with open(folder / "products.csv", newline="", encoding="utf-8") as handle:
        return [(row["product_id"], normalise(row["product_name"]), aisles[row["aisle_id"]])
                for row in csv.DictReader(handle)]  # fmt: skip


def judge_catalog(folder: Path) -> dict[str, dict[str, int]]:
    """query → {product id: grade >= 1}, for every rule with at least one exact product."""
    products = load_products(folder)
    judged: dict[str, dict[str, int]] = {}
    for judge in RULES:
        grades = {pid: g for pid, name, aisle in products if (g := grade(judge, name, aisle))}
        if 2 in grades.values():
            judged[judge.query] = grades
    return judged


def write(folder: Path) -> None:
    judged = judge_catalog(folder)
    kinds = {j.query: j.kind for j in RULES}
    with open(QUERIES, "w", newline="") as handle:
        out = csv.writer(handle, delimiter="\t", lineterminator="\n")
        out.writerow(["query", "kind", "split"])
        for query in judged:
            out.writerow([query, kinds[query], split_of(query)])
    with open(QRELS, "w", newline="") as handle:
        out = csv.writer(handle, delimiter="\t", lineterminator="\n")
        out.writerow(["query", "exact", "related"])
        for query, grades in judged.items():
            ids = [" ".join(sorted((p for p, g in grades.items() if g == level), key=int))
                   for level in (2, 1)]  # fmt: skip
            out.writerow([query, *ids])
    dropped = [j.query for j in RULES if j.query not in judged]
    print(f"{len(judged)} queries judged; dropped (no exact product): {dropped}")


def review(folder: Path, bought: Counter[str]) -> None:
    products = load_products(folder)
    by_id = {pid: (name, aisle) for pid, name, aisle in products}
    judged = judge_catalog(folder)
    for judge in RULES:
        grades = judged.get(judge.query, {})
        words = [w[:5] for w in re.findall(r"[a-z]{3,}", normalise(judge.query))]
        print(f"\n## {judge.query} [{judge.kind}] exact={sum(g == 2 for g in grades.values())} "
              f"related={sum(g == 1 for g in grades.values())}")  # fmt: skip
        for level in (2, 1):
            top = sorted((p for p, g in grades.items() if g == level), key=lambda p: -bought[p])
            print(
                f"  {level}:",
                " | ".join(f"{by_id[p][0][:34]} <{by_id[p][1][:10]}>" for p in top[:7]),
            )
        misses = [p for p, name, _ in products if p not in grades
                  and any(w in name for w in words)]  # fmt: skip
        misses.sort(key=lambda p: -bought[p])
        print("  0?:", " | ".join(f"{by_id[p][0][:34]} <{by_id[p][1][:10]}>" for p in misses[:9]))


if __name__ == "__main__":
    data = Path(sys.argv[1])
    if "--review" in sys.argv:
        with open(data / "order_items_demo.csv", newline="") as handle:
            counts = Counter(row["product_id"] for row in csv.DictReader(handle))
        review(data, counts)
    else:
        write(data)
