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

    evaluate = sub.add_parser("evaluate", help="offline evaluation on real purchase histories")
    kinds = evaluate.add_subparsers(dest="what", required=True)
    for what, text in (
        ("next-basket", "next-basket recommendation vs. G-TopFreq, P-TopFreq, TIFU-KNN"),
        ("complements", "basket completion vs. global co-occurrence"),
        ("dietary", "planted avoidances: precision, recall, false-positive rate"),
        ("household", "merged accounts: ROC-AUC"),
        ("quantity", "suggested quantity vs. last quantity and global mode"),
        ("budget", "price-aware re-ranking vs. without prices"),
        ("search", "category ranking, personalised vs. popularity"),
    ):
        cmd = kinds.add_parser(what, help=text)
        cmd.add_argument("--data", required=True, help="data folder or DNNTSP .json file")
        cmd.add_argument(
            "--format", choices=["instacart", "dnntsp", "completejourney"], default=None
        )
        cmd.add_argument("--users", type=int, default=None, help="random sample of N users")
        cmd.add_argument("--seed", type=int, default=0)
        cmd.add_argument("--out", default="reports", help="output folder")
        cmd.add_argument("--no-progress", action="store_true")
        if what == "search":
            cmd.add_argument(
                "--judged",
                nargs="?",
                const="tests/search/judged",
                default=None,
                help="score graded judgements instead (folder, default tests/search/judged): "
                "nDCG@10, P@10, top-1 with bootstrap intervals",
            )
            cmd.add_argument("--split", choices=["heldout", "tune", "all"], default="heldout")

    bench = sub.add_parser("bench", help="measure ingest, re-rank and memory against budgets")
    bench.add_argument(
        "what",
        nargs="?",
        choices=["core", "search"],
        default="core",
        help="core (default): ingest, re-rank, memory; search: LocalSearch",
    )
    bench.add_argument("--data", help="data folder (same default as demo)")
    bench.add_argument("--format", choices=["instacart", "completejourney"], default=None)
    bench.add_argument("--users", type=int, default=None)
    bench.add_argument("--out", default="docs/benchmarks", help="report folder")
    bench.add_argument("--quick", action="store_true", help="fewer repetitions (smoke test)")
    return parser


def _evaluate(args: argparse.Namespace) -> None:
    from leafloaf.evaluation.data import load_basket_data
    from leafloaf.evaluation.report import next_basket_markdown, plot_next_basket, write_report

    if args.what == "search" and args.judged is not None:
        from leafloaf.search.judged import evaluate_judged, judged_markdown

        split = None if args.split == "all" else args.split
        result = evaluate_judged(args.data, args.judged, split=split, seed=args.seed)
        markdown = judged_markdown(result)
        stem = f"search-judged-{result['dataset']}-{result['split']}"
        for path in write_report(result, Path(args.out), stem, markdown):
            print(f"wrote {path}")
        print(markdown)
        return
    data = load_basket_data(args.data, args.format)
    show = not args.no_progress
    out = Path(args.out)
    if args.what == "next-basket":
        from leafloaf.evaluation.nextbasket import evaluate_next_basket

        result = evaluate_next_basket(data, args.users, args.seed, show)
        markdown = next_basket_markdown(result)
        paths = write_report(result, out, f"next-basket-{data.name}", markdown, plot_next_basket)
    else:
        from leafloaf.evaluation.capabilities import CAPABILITIES, capability_markdown

        result = CAPABILITIES[args.what](data, args.users, args.seed, show)
        markdown = capability_markdown(result)
        paths = write_report(result, out, f"{args.what}-{data.name}", markdown)
    print(markdown)
    for path in paths:
        print(f"wrote {path}")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``leafloaf`` script."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "demo":
            from leafloaf.demo import run_demo

            run_demo(args.data, args.format, args.users, args.shoppers)
        elif args.command == "evaluate":
            _evaluate(args)
        elif args.command == "bench":
            from leafloaf.bench.core import run_core_bench, write_report
            from leafloaf.demo import find_data, load

            dataset = load(find_data(args.data), args.format, args.users)
            if args.what == "search":
                from leafloaf.bench.search import run_search_bench, write_search_report
                from leafloaf.engine import GraphitiPersonalizationEngine

                engine = GraphitiPersonalizationEngine(dataset.catalog)
                engine.record_many(dataset.events)
                results = run_search_bench(dataset.catalog, engine, repeats=3 if args.quick else 20)
                paths = write_search_report(results, Path(args.out), "leafloaf bench search")
            else:
                results = run_core_bench(dataset, quick=args.quick)
                command = "leafloaf bench" + (f" --users {args.users}" if args.users else "")
                paths = write_report(results, Path(args.out), command)
            for path in paths:
                print(f"wrote {path}")
    except LeafLoafError as err:
        print(f"leafloaf: error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
