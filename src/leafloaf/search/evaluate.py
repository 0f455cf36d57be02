"""Search quality offline: does personal re-ranking put the product a shopper bought first?

Protocol (``leafloaf evaluate search``): each user's last order is held out and the engine
learns from every earlier one. For each held-out product, two queries a shopper might type
are sent to :class:`~leafloaf.search.local.LocalSearch`:

* ``aisle`` — the product's aisle name (``"yogurt"``, ``"fresh fruits"``): broad, many
  products match, so the order decides everything;
* ``word`` — the most informative word of the product's name: the one with the highest
  IDF among name words shared with at least one other product (a word that names a single
  product would make the query an identifier, and the ranking moot).

The backend's best ``pool`` products — the pool :func:`personalized_search` re-ranks,
population purchases choosing inside the relevance tier that ``pool`` cuts — are ordered
four ways:

* ``retrieval`` — the backend's order (relevance tiers, the prior inside a tier);
* ``popularity`` — relevance tiers, then the aisle and the products people buy
  (:func:`~leafloaf.search.personalized.popularity_prior_order`): exactly what a shopper
  with no history gets, i.e. the unpersonalised order of :func:`personalized_search`;
* ``personalised`` — :func:`personalized_search` for the shopper (default
  ``prior="popularity"``);
* ``personalised-no-prior`` — the same re-ranker over the raw retrieval order
  (``prior="none"``), to show what each part contributes.

Reported per query kind and method: NDCG@10 and MRR of the purchased product (0 when it
is not among the ``pool``), hit rate at 10, and how often retrieval found it at all
(``retrieved@pool``), which bounds what any re-ranking can do.
"""

from __future__ import annotations

import re
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from leafloaf.catalog import Catalog
from leafloaf.evaluation.data import BasketData, load_basket_data
from leafloaf.evaluation.metrics import ndcg_at_k
from leafloaf.evaluation.nextbasket import train_engine
from leafloaf.evaluation.split import leave_last_out
from leafloaf.progress import progress as progress_bar
from leafloaf.search.local import LocalSearch
from leafloaf.search.personalized import Prior, personalized_search, popularity_prior_order

__all__ = [
    "QUERY_KINDS",
    "evaluate_search",
    "evaluate_search_queries",
    "informative_words",
    "search_markdown",
]

QUERY_KINDS = ("aisle", "word")
"""The two kinds of query sent for every held-out product."""

METHODS = ("retrieval", "popularity", "personalised", "personalised-no-prior")
"""How the retrieved pool is ordered (see the module docstring)."""

_NAME_WORD = re.compile(r"[a-z]{3,}")
_STOPWORDS = frozenset({"and", "the", "for", "with", "from", "of", "in", "to", "a"})


def informative_words(catalog: Catalog) -> dict[str, str]:
    """Product id → the name word with the highest IDF shared by 2+ products (if any).

    >>> from leafloaf.models import Product
    >>> cat = Catalog([Product(product_id=str(i), name=n) for i, n in
    ...                enumerate(["Greek Yogurt", "Vanilla Greek Yogurt", "Oat Milk"])])
    >>> informative_words(cat)
    {'0': 'greek', '1': 'greek'}
    """
    words = {p.product_id: set(_NAME_WORD.findall(p.name.lower())) - _STOPWORDS for p in catalog}
    frequency: Counter[str] = Counter()
    for bag in words.values():
        frequency.update(bag)
    chosen: dict[str, str] = {}
    for pid, bag in words.items():
        shared = [w for w in bag if frequency[w] >= 2]
        if shared:
            # lowest document frequency = highest IDF; ties alphabetically, reproducibly
            chosen[pid] = min(shared, key=lambda w: (frequency[w], w))
    return chosen


def _rank(ranked: Sequence[str], target: str) -> int | None:
    try:
        return ranked.index(target) + 1
    except ValueError:
        return None


def _summary(rows: Sequence[tuple[int | None, float]], pool: int) -> dict[str, float | int]:
    ranks = [r for r, _ in rows]
    n = max(len(rows), 1)
    return {
        "ndcg@10": sum(g for _, g in rows) / n,
        "mrr": sum(1.0 / r for r in ranks if r is not None) / n,
        "hit@10": sum(1 for r in ranks if r is not None and r <= 10) / n,
        f"retrieved@{pool}": sum(1 for r in ranks if r is not None) / n,
        "cases": len(rows),
    }


def evaluate_search_queries(
    data: BasketData,
    users: int | None = None,
    seed: int = 0,
    show: bool = True,
    alpha: float | None = None,
    pool: int = 200,
    backend: Callable[[], LocalSearch] | None = None,
    label: str | None = None,
) -> dict[str, Any]:
    """The query protocol of this module on loaded baskets (see the module docstring).

    ``backend`` makes the (empty) index to evaluate (default: ``LocalSearch`` with lexical
    relevance only, or, with ``alpha``, hybrid with the default encoder and relative-score
    fusion of that weight). The pool is what :func:`personalized_search` retrieves: the
    best ``pool`` products, population purchases choosing inside the relevance tier that
    ``pool`` cuts. Returns a JSON-ready dict: ``methods`` maps ``"<kind>-query-<method>"``
    to its figures.
    """
    started = time.perf_counter()
    data = data.sample_users(users, seed)
    splits = leave_last_out(data, min_history=0)
    engine = train_engine(data.catalog, {u: s.known("test") for u, s in splits.items()})
    trained = time.perf_counter()
    if backend is not None:
        index = backend()
    elif alpha is None:
        index = LocalSearch(dense=False)
    else:
        index = LocalSearch(dense=True, alpha=alpha, fusion="relative")
    index.index(engine.catalog)
    words = informative_words(engine.catalog)
    popularity = dict(engine.population.item_lines)
    category = engine.catalog.category
    rows: dict[str, list[tuple[int | None, float]]] = defaultdict(list)
    queries = 0
    user_ids: Iterable[str] = list(splits)
    if show:
        user_ids = progress_bar(list(splits), len(splits), "search queries", unit=" users")
    for user in user_ids:
        for target in splits[user].test.items:
            if target not in engine.catalog:
                continue
            asked = {"aisle": engine.catalog.get(target).aisle, "word": words.get(target)}
            for kind in QUERY_KINDS:
                query = asked[kind]
                if not query:
                    continue
                queries += 1
                hits = index.search_with_prior(query, k=pool, prior=popularity)
                rankings = {
                    "retrieval": [h.product_id for h in hits],
                    "popularity": [
                        h.product_id for h in popularity_prior_order(hits, popularity, category)
                    ],
                }
                priors: tuple[tuple[str, Prior], ...] = (
                    ("personalised", "popularity"),
                    ("personalised-no-prior", "none"),
                )
                for method, prior in priors:
                    mine = personalized_search(engine, index, user, query, k=pool,
                                               pool=pool, prior=prior)  # fmt: skip
                    rankings[method] = [h.product_id for h in mine]
                for method, ranked in rankings.items():
                    rows[f"{kind}-query-{method}"].append(
                        (_rank(ranked, target), ndcg_at_k(ranked, {target}, 10))
                    )
    methods = {name: _summary(values, pool) for name, values in sorted(rows.items())}
    if label is not None:
        retrieval = label
    elif alpha is None and backend is None:
        retrieval = "lexical (field-aware relevance tiers)"
    else:
        retrieval = f"hybrid, {index.health().mode}, alpha={alpha}"
    return {
        "capability": "search",
        "dataset": data.name,
        "protocol": "each user's last order held out, the engine trained on all earlier "
        f"orders; every held-out product queried with its aisle name and with its most "
        f"informative shared name word; LocalSearch ({retrieval}) retrieves {pool} (the "
        "pool personalised search re-ranks: population purchases choose inside the "
        "relevance tier the pool cuts), ordered by retrieval (tiers), by what a new "
        "shopper sees (tiers, then the aisle and products people buy), personalised, and "
        "personalised without the popularity prior; NDCG@10 and MRR of the purchased "
        "product (0 when not retrieved)",
        "users": len(splits),
        "queries": queries,
        "retrieval": retrieval,
        "pool": pool,
        "seconds": {
            "train": round(trained - started, 2),
            "total": round(time.perf_counter() - started, 2),
        },
        "methods": methods,
    }


def evaluate_search(
    data_folder: str | Path,
    users: int | None = None,
    seed: int = 0,
    progress: bool = True,
    alpha: float | None = None,
    pool: int = 200,
    backend: Callable[[], LocalSearch] | None = None,
    label: str | None = None,
) -> dict[str, Any]:
    """Search quality, personalised vs. unpersonalised, on an Instacart-layout folder.

    ``users``: a reproducible random sample (all when None). On ``instacart_1k`` (1,000
    users, ~20k queries) it runs in a few minutes on 2 cores with lexical retrieval.
    ``backend``/``label``: another index to evaluate (see :func:`evaluate_search_queries`).

    >>> result = evaluate_search("../shared/data/instacart_1k")           # doctest: +SKIP
    >>> result["methods"]["aisle-query-personalised"]["ndcg@10"]          # doctest: +SKIP
    """
    data = load_basket_data(data_folder)
    return evaluate_search_queries(data, users, seed, progress, alpha, pool, backend, label)


def search_markdown(result: Mapping[str, Any]) -> str:
    """A markdown table of :func:`evaluate_search`'s result."""
    pool = result["pool"]
    lines = [
        f"# Search evaluation: {result['dataset']}",
        "",
        f"Protocol: {result['protocol']}.",
        "",
        f"{result['users']:,} users, {result['queries']:,} queries, retrieval "
        f"{result['retrieval']}; {result['seconds']['total']:.0f} s.",
        "",
        f"| query | ranking | NDCG@10 | MRR | hit@10 | retrieved@{pool} | cases |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for name, figures in result["methods"].items():
        kind, _, method = name.partition("-query-")
        lines.append(
            f"| {kind} | {method} | {figures['ndcg@10']:.4f} | {figures['mrr']:.4f} | "
            f"{figures['hit@10']:.4f} | {figures[f'retrieved@{pool}']:.4f} | "
            f"{figures['cases']:,} |"
        )
    return "\n".join(lines) + "\n"
