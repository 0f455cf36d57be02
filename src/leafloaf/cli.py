"""The ``leafloaf`` command: ``demo``, ``evaluate``, ``bench`` and ``chat``.

A user's mistake (a bad argument, a missing or wrong data folder, a count below 1) is one
line on stderr and exit status 2, never a traceback. The parser is the standard library's
argparse, so the command works on the core install; ``leafloaf[cli]`` only adds tqdm bars.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from leafloaf import __version__
from leafloaf.errors import LeafLoafError, ValidationError
from leafloaf.progress import step

__all__ = ["DEFAULT_OUT", "build_parser", "main"]

DEFAULT_OUT = Path("reports")
"""Where ``bench`` and ``evaluate`` write unless told otherwise: beside you, not in the package."""

_EVALUATIONS = {
    "next-basket": "next-basket recommendation vs. G-TopFreq, P-TopFreq, TIFU-KNN",
    "complements": "basket completion vs. co-occurrence and own most-bought, paired bootstrap CI",
    "dietary": "planted diets and taste gaps at 5, 20, 50 percent: precision, recall, calibration",
    "household": "real household sizes (where known) and merged accounts: ROC-AUC, calibration",
    "quantity": "suggested quantity vs. last quantity and global mode",
    "budget": "price-aware re-ranking vs. without prices",
    "search": "category ranking, personalised vs. popularity",
    "cart": "the ranking's cart term on vs. off, held-out baskets, paired bootstrap CI",
    "reorder": "restock probability calibration on held-out baskets: Brier, ECE, reliability",
}
# Data each evaluation needs: quantity and budget need quantities and prices.
_SAMPLE = {"quantity": "completejourney_sample", "budget": "completejourney_sample"}

_DEMO_EXAMPLES = """\
examples (from the root of a clone):
  leafloaf demo
  leafloaf demo --data examples/data/instacart_sample --shoppers 1
  leafloaf demo --data examples/data/completejourney_sample --users 40 --shoppers 2
"""
_BENCH_EXAMPLES = """\
examples (from the root of a clone):
  leafloaf bench --data examples/data/instacart_sample --users 50 --quick
  leafloaf bench search --data examples/data/instacart_sample --quick
  leafloaf bench stores --data examples/data/instacart_sample --users 30 --quick
  leafloaf bench memory --data examples/data/instacart_sample --quick
  leafloaf bench assistant --data examples/data/instacart_sample --quick
"""


_CHAT_EXAMPLES = """\
examples (from the root of a clone):
  leafloaf chat --data examples/data/instacart_sample --user 16229
"""


class _Parser(argparse.ArgumentParser):
    """argparse that reports a bad argument in one line, without the usage block."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def _count(text: str) -> int:
    """A whole number of at least 1 (users, shoppers)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _formatter(prog: str) -> argparse.HelpFormatter:
    return argparse.RawDescriptionHelpFormatter(prog, max_help_position=28)


def build_parser() -> argparse.ArgumentParser:
    """The parser of the ``leafloaf`` command (its ``--help`` is the reference)."""
    parser = _Parser(
        prog="leafloaf",
        description="LeafLoaf: an embeddable grocery assistant that learns each shopper "
        "from behaviour.",
        epilog="'leafloaf COMMAND --help' shows each command's options and examples.",
        formatter_class=_formatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = sub.add_parser(
        "demo",
        help="learn from a real purchase history and show every capability for 3 shoppers",
        description="Learn from a real purchase history and show all ten capabilities, with "
        "their reasons, for a few shoppers.",
        epilog=_DEMO_EXAMPLES,
        formatter_class=_formatter,
    )
    demo.add_argument(
        "--data",
        metavar="PATH",
        help="data folder (default: ../shared/data/completejourney_1k if beside the clone, "
        "else the bundled examples/data/completejourney_sample)",
    )
    demo.add_argument("--format", choices=["instacart", "completejourney"], default=None,
                      help="data layout (default: detected from the folder)")  # fmt: skip
    demo.add_argument("--users", type=_count, metavar="N", help="learn from the first N only")
    demo.add_argument("--shoppers", type=_count, default=3, metavar="N",
                      help="how many shoppers to show (default 3)")  # fmt: skip

    evaluate = sub.add_parser(
        "evaluate",
        help="offline evaluation on real purchase histories against baselines",
        description="Offline evaluation on real purchase histories. Writes JSON, markdown and "
        "(with leafloaf[eval]) PNG reports.",
        epilog="'leafloaf evaluate WHAT --help' shows each evaluation's options and an example.",
        formatter_class=_formatter,
    )
    kinds = evaluate.add_subparsers(dest="what", required=True, metavar="WHAT")
    for what, text in _EVALUATIONS.items():
        sample = _SAMPLE.get(what, "instacart_sample")
        cmd = kinds.add_parser(
            what,
            help=text,
            description=f"Evaluate {what}: {text}.",
            epilog="example (from the root of a clone):\n"
            f"  leafloaf evaluate {what} --data examples/data/{sample} --users 30\n",
            formatter_class=_formatter,
        )
        cmd.add_argument("--data", required=True, metavar="PATH",
                         help="data folder or DNNTSP .json file")  # fmt: skip
        cmd.add_argument("--format", choices=["instacart", "dnntsp", "completejourney"],
                         default=None, help="data layout (default: detected)")  # fmt: skip
        cmd.add_argument("--users", type=_count, metavar="N", help="random sample of N users")
        cmd.add_argument("--seed", type=int, default=0, help="seed of the user sample")
        cmd.add_argument("--out", type=Path, default=DEFAULT_OUT, metavar="DIR",
                         help=f"report folder (default: ./{DEFAULT_OUT})")  # fmt: skip
        cmd.add_argument("--no-progress", action="store_true", help="no progress bars")
        if what == "search":
            cmd.add_argument(
                "--judged",
                nargs="?",
                const="tests/search/judged",
                default=None,
                metavar="FOLDER",
                help="score graded judgements instead (folder, default tests/search/judged): "
                "nDCG@10, P@10, top-1 with bootstrap intervals",
            )
            cmd.add_argument("--split", choices=["heldout", "tune", "all"], default="heldout",
                             help="which judged queries to score (default: heldout)")  # fmt: skip

    bench = sub.add_parser(
        "bench",
        help="measure ingest, re-rank and memory against the design's budgets",
        description="Measure throughput, latency and memory against the budgets in the "
        "design. Writes JSON and markdown reports.",
        epilog=_BENCH_EXAMPLES,
        formatter_class=_formatter,
    )
    bench.add_argument(
        "what",
        nargs="?",
        choices=["core", "search", "runtime", "stores", "memory", "assistant"],
        default="core",
        help="core (default): ingest, re-rank, memory; search: LocalSearch; runtime: re-rank "
        "under writers and refits, asyncio hold, memory growth (--scales); stores: events/s "
        "and latency per operation of memory, sqlite, redis (and spanner when configured); "
        "memory: belief writes/s and recall latency on embedded Graphiti (leafloaf[graphiti]); "
        "assistant: Assistant.reply turn latency without an LLM (--shoppers)",
    )
    bench.add_argument("--data", metavar="PATH", help="data folder (same default as demo)")
    bench.add_argument("--format", choices=["instacart", "completejourney"], default=None,
                       help="data layout (default: detected)")  # fmt: skip
    bench.add_argument("--users", type=_count, metavar="N", help="the first N users only")
    bench.add_argument("--out", type=Path, default=DEFAULT_OUT / "benchmarks", metavar="DIR",
                       help=f"report folder (default: ./{DEFAULT_OUT}/benchmarks)")  # fmt: skip
    bench.add_argument("--quick", action="store_true", help="fewer repetitions (smoke test)")
    bench.add_argument("--scales", default="1000,10000", metavar="N,N",
                       help="runtime: shopper counts for the memory growth curve")  # fmt: skip
    bench.add_argument("--redis-url", metavar="URL",
                       help="stores: a Redis server to measure (default: start a local "
                       "redis-server)")  # fmt: skip
    bench.add_argument("--shoppers", type=_count, default=50, metavar="N",
                       help="assistant: shoppers timed (default 50)")  # fmt: skip

    chat = sub.add_parser(
        "chat",
        help="talk to the shopping assistant in the terminal, as one of the data's shoppers",
        description="A terminal chat with the assistant (no LLM): learn a purchase history, "
        "then type messages as one of its shoppers. /cart shows the cart, /user ID switches "
        "shopper, /quit (or Ctrl-D) ends.",
        epilog=_CHAT_EXAMPLES,
        formatter_class=_formatter,
    )
    chat.add_argument("--data", metavar="PATH", help="data folder (same default as demo)")
    chat.add_argument("--format", choices=["instacart", "completejourney"], default=None,
                      help="data layout (default: detected)")  # fmt: skip
    chat.add_argument("--user", metavar="ID", help="shopper to be (default: the first one)")
    chat.add_argument("--users", type=_count, metavar="N", help="learn from the first N only")
    return parser


def _out_folder(out: Path) -> Path:
    """The report folder, created; a path that is a file is the user's mistake."""
    if out.exists() and not out.is_dir():
        raise ValidationError("out", str(out), "is a file; pass a folder for the reports")
    out.mkdir(parents=True, exist_ok=True)
    return out


def _evaluate(args: argparse.Namespace) -> None:
    from leafloaf.evaluation.data import check_basket_data, load_basket_data
    from leafloaf.evaluation.report import next_basket_markdown, plot_next_basket, write_report

    if args.what == "search" and args.judged is not None:
        from leafloaf.search.judged import evaluate_judged, judged_markdown

        out = _out_folder(args.out)
        split = None if args.split == "all" else args.split
        result = evaluate_judged(args.data, args.judged, split=split, seed=args.seed)
        markdown = judged_markdown(result)
        stem = f"search-judged-{result['dataset']}-{result['split']}"
        print(markdown)
        for path in write_report(result, out, stem, markdown):
            print(f"wrote {path}")
        return
    show = not args.no_progress
    fmt = check_basket_data(args.data, args.format)  # quick: a mistake fails before any output
    out = _out_folder(args.out)
    with step(f"loading {args.data}", show):
        data = load_basket_data(args.data, fmt)
    if args.what == "next-basket":
        from leafloaf.evaluation.nextbasket import evaluate_next_basket

        result = evaluate_next_basket(data, args.users, args.seed, show)
        markdown = next_basket_markdown(result)
        paths = write_report(result, out, f"next-basket-{data.name}", markdown, plot_next_basket)
    elif args.what == "reorder":
        from leafloaf.evaluation.reorder import evaluate_reorder, plot_reorder, reorder_markdown

        result = evaluate_reorder(data, args.users, args.seed, show)
        markdown = reorder_markdown(result)
        paths = write_report(result, out, f"reorder-{data.name}", markdown, plot_reorder)
    elif args.what == "dietary":
        from leafloaf.evaluation.dietary import dietary_markdown, evaluate_dietary, plot_dietary

        result = evaluate_dietary(data, args.users, args.seed, show)
        markdown = dietary_markdown(result)
        paths = write_report(result, out, f"dietary-{data.name}", markdown, plot_dietary)
    else:
        from leafloaf.evaluation.capabilities import (
            CAPABILITIES,
            CAPABILITY_PLOTS,
            capability_markdown,
        )

        extra = (  # budget checks price sensitivity against the data's household incomes
            {"demographics": Path(args.data) / "demographics.csv"} if args.what == "budget" else {}
        )
        result = CAPABILITIES[args.what](data, args.users, args.seed, show, **extra)
        markdown = capability_markdown(result)
        plot = CAPABILITY_PLOTS.get(args.what)
        paths = write_report(result, out, f"{args.what}-{data.name}", markdown, plot)
    print(markdown)
    for path in paths:
        print(f"wrote {path}")


def _bench(args: argparse.Namespace) -> None:
    from leafloaf.datasets import check_layout
    from leafloaf.demo import find_data, load

    path = find_data(args.data)
    fmt = check_layout(path, args.format)  # quick: a mistake fails before any output
    out = _out_folder(args.out)
    with step(f"loading {path}"):
        dataset = load(path, fmt, args.users)
    if args.what == "search":
        from leafloaf.bench.search import run_search_bench, write_search_report
        from leafloaf.engine import GraphitiPersonalizationEngine

        with step("learning"):
            engine = GraphitiPersonalizationEngine(dataset.catalog)
            engine.record_many(dataset.events)
        results = run_search_bench(dataset.catalog, engine, repeats=3 if args.quick else 20)
        paths = write_search_report(results, out, "leafloaf bench search")
    elif args.what == "memory":
        from leafloaf.bench.memory import run_memory_bench, write_memory_report

        results = run_memory_bench(dataset, quick=args.quick)
        command = "leafloaf bench memory" + (f" --users {args.users}" if args.users else "")
        paths = write_memory_report(results, out, command)
    elif args.what == "assistant":
        from leafloaf.bench.assistant import run_assistant_bench, write_assistant_report

        results = run_assistant_bench(dataset, shoppers=3 if args.quick else args.shoppers)
        command = "leafloaf bench assistant" + (f" --data {args.data}" if args.data else "")
        paths = write_assistant_report(results, out, command)
    elif args.what == "runtime":
        from leafloaf.bench.runtime import run_runtime_bench, write_runtime_report

        try:
            scales = [int(s) for s in args.scales.split(",") if s]
        except ValueError:
            raise ValidationError(
                "scales", args.scales, "must be counts such as 1000,10000"
            ) from None
        if not scales or min(scales) < 1:
            raise ValidationError("scales", args.scales, "must be counts of at least 1")
        results = run_runtime_bench(dataset, str(path), scales, 300 if args.quick else 2_000)
        paths = (out / "runtime.json", write_runtime_report(results, out, "leafloaf bench runtime"))
    elif args.what == "stores":
        from leafloaf.bench.stores import run_stores_bench, write_stores_report

        results = run_stores_bench(dataset, args.redis_url, batch=1_000 if args.quick else 5_000,
                                   reads=50 if args.quick else 500,
                                   outage_events=10_000 if args.quick else 100_000)  # fmt: skip
        command = "leafloaf bench stores" + (f" --users {args.users}" if args.users else "")
        paths = write_stores_report(results, out, command)
    else:
        from leafloaf.bench.core import run_core_bench, write_report

        results = run_core_bench(dataset, quick=args.quick)
        command = "leafloaf bench" + (f" --users {args.users}" if args.users else "")
        paths = write_report(results, out, command)
    for written in paths:
        print(f"wrote {written}")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``leafloaf`` script and of ``python -m leafloaf``."""
    args = build_parser().parse_args(argv)
    try:
        if args.command == "demo":
            from leafloaf.demo import run_demo

            run_demo(args.data, args.format, args.users, args.shoppers)
        elif args.command == "evaluate":
            _evaluate(args)
        elif args.command == "chat":
            from leafloaf.chat import run_chat

            run_chat(args.data, args.format, args.user, args.users)
        else:
            _bench(args)
    except LeafLoafError as err:
        print(f"leafloaf: error: {err}", file=sys.stderr)
        return 2
    except OSError as err:  # unreadable data, a report folder we may not write to
        where = f": {err.filename}" if err.filename else ""
        print(f"leafloaf: error: {err.strerror or err}{where}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("leafloaf: interrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
