"""The ``leafloaf`` command: ``demo`` and ``bench`` (more subcommands join as issues land)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from leafloaf.errors import LeafLoafError

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="leafloaf", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="learn from a real purchase history and show 3 shoppers")
    demo.add_argument(
        "--data",
        help="data folder (default: ../shared/data/instacart_1k, "
        "else examples/data/instacart_sample)",
    )
    demo.add_argument("--format", choices=["instacart", "completejourney"], default=None)
    demo.add_argument("--users", type=int, default=None, help="only the first N users")
    demo.add_argument("--shoppers", type=int, default=3, help="how many shoppers to show")

    bench = sub.add_parser("bench", help="measure ingest, re-rank and memory against budgets")
    bench.add_argument("--data", help="data folder (same default as demo)")
    bench.add_argument("--format", choices=["instacart", "completejourney"], default=None)
    bench.add_argument("--users", type=int, default=None)
    bench.add_argument("--out", default="docs/benchmarks", help="report folder")
    bench.add_argument("--quick", action="store_true", help="fewer repetitions (smoke test)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``leafloaf`` script."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "demo":
            from leafloaf.demo import run_demo

            run_demo(args.data, args.format, args.users, args.shoppers)
        elif args.command == "bench":
            from leafloaf.bench.core import run_core_bench, write_report
            from leafloaf.demo import find_data, load

            dataset = load(find_data(args.data), args.format, args.users)
            results = run_core_bench(dataset, quick=args.quick)
            command = "leafloaf bench" + (f" --users {args.users}" if args.users else "")
            for path in write_report(results, Path(args.out), command):
                print(f"wrote {path}")
    except LeafLoafError as err:
        print(f"leafloaf: error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
