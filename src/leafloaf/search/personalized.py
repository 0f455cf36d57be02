"""Personalised search: retrieve a candidate pool, re-rank it for the shopper, respect diet."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Literal

import numpy as np

from leafloaf.catalog import attribute_label
from leafloaf.errors import ValidationError
from leafloaf.models import Reason
from leafloaf.search.base import (
    PersonalizedHit,
    QueryMatch,
    SearchBackend,
    SearchFilters,
    SearchHit,
)
from leafloaf.search.lexical import relevance_tier, tier_order

if TYPE_CHECKING:
    from leafloaf.engine import GraphitiPersonalizationEngine

__all__ = [
    "match_reason",
    "personalized_search",
    "popularity_prior_order",
    "shopper_first_prior",
]

Prior = Literal["popularity", "none"]

_UNLEARNED = frozenset({"original_position", "original_position_for"})
"""Re-ranking reasons that say only that nothing learned moved the product."""


def match_reason(query: str, match: QueryMatch | None) -> Reason:
    """Why a search result is there, in terms of the words the shopper typed.

    ``"matches 'milk' but not 'oat'"`` when only some words matched (params ``query``:
    the matched words, ``missing``: the others, ``asked``: the whole query); ``"similar
    to 'oat milk'"`` when none did (the vectors found it); ``"matches 'oat milk'"`` when
    all did, or when the backend cannot tell (``match`` is None).

    >>> match_reason("oat milk", QueryMatch(matched=("milk",), missing=("oat",))).text
    "matches 'milk' but not 'oat'"
    """
    asked = query.strip()
    if match is None or not match.missing:
        return Reason.of("matches", query=asked)
    if not match.matched:
        return Reason.of("similar", query=asked)
    return Reason.of(
        "matches_partly",
        query=" ".join(match.matched),
        missing=" ".join(match.missing),
        asked=asked,
    )


class _OwnFirst(Mapping[str, float]):
    """Population purchases, with the shopper's own products above any of them.

    A view, not a copy: the population mapping holds every product ever bought."""

    _ABOVE = 1e12
    """More purchase lines than any population holds."""

    def __init__(self, population: Mapping[str, float], own: Mapping[str, float]) -> None:
        self._population = population
        self._own = own

    def get(self, key: str, default: float = 0.0) -> float:  # type: ignore[override]
        mine = self._own.get(key)
        return self._ABOVE * (1.0 + mine) if mine else self._population.get(key, default)

    def __getitem__(self, key: str) -> float:
        if key in self._own or key in self._population:
            return self.get(key)
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        return iter({**self._population, **self._own})

    def __len__(self) -> int:
        return len(self._population.keys() | self._own.keys())

    def __bool__(self) -> bool:
        return bool(self._population) or bool(self._own)


def shopper_first_prior(
    population: Mapping[str, float], own: Mapping[str, float]
) -> Mapping[str, float]:
    """The prior :func:`personalized_search` retrieves its pool with: the shopper's own
    products (by their purchase lines) above every product of the population's.

    >>> prior = shopper_first_prior({"milk": 900.0, "kefir": 3.0}, {"kefir": 2.0})
    >>> prior.get("kefir") > prior.get("milk") > prior.get("bread", 0.0)
    True
    """
    return _OwnFirst(population, own) if own else population


def popularity_prior_order(
    hits: Sequence[SearchHit],
    item_lines: Mapping[str, float],
    category: Callable[[str], str | None] | None = None,
) -> list[SearchHit]:
    """Retrieved hits in the order a shopper with no history sees: relevance tiers first,
    population purchases inside a tier.

    Equal retrieval scores are equally good textual matches (a tier, see
    :func:`~leafloaf.search.lexical.relevance_tier`). Inside a tier, with ``category``
    (product id → aisle), the aisle that holds most of the tier's purchases comes first
    (:func:`~leafloaf.search.lexical.tier_order`), then the products people buy most. A
    popular product never passes a better textual match. No weight to tune.

    >>> hits = [SearchHit(product_id=p, score=s, retriever="bm25")
    ...         for p, s in (("rare", 2.0), ("popular", 2.0), ("weak", 0.5))]
    >>> [h.product_id for h in popularity_prior_order(hits, {"popular": 50, "weak": 900})]
    ['popular', 'rare', 'weak']
    """
    if not hits:
        return []
    n = len(hits)
    scores = np.fromiter((h.score for h in hits), np.float64, n)
    prior = np.fromiter((item_lines.get(h.product_id, 0.0) for h in hits), np.float64, n)
    groups = np.full(n, -1, dtype=np.int64)
    if category is not None:
        names: dict[str | None, int] = {None: -1}
        groups = np.fromiter((names.setdefault(category(h.product_id), len(names) - 1)
                              for h in hits), np.int64, n)  # fmt: skip
    return [hits[i] for i in tier_order(scores, prior, groups).tolist()]


def personalized_search(
    engine: GraphitiPersonalizationEngine,
    backend: SearchBackend,
    user_id: str,
    query: str,
    k: int = 10,
    filters: SearchFilters | None = None,
    pool: int = 200,
    prior: Prior = "popularity",
) -> list[PersonalizedHit]:
    """The shopper's best ``k`` products for ``query``, with the reasons for each.

    1. ``backend`` retrieves the best ``pool`` products for the query (with ``filters``,
       plus the shopper's *declared* avoidances as exclusions); inside the relevance tier
       that ``pool`` cuts, the shopper's own purchases are kept first, then the products
       everyone buys;
    2. with ``prior="popularity"`` they are put in the order every shopper without
       history sees (:func:`popularity_prior_order`: retrieval score × population
       purchases); ``prior="none"`` keeps the backend's order;
    3. ``engine.rerank`` re-orders them by what it learned about the shopper (repeat
       purchases, brand/category affinity as lift over the population, price position),
       with that order as its position prior;
    4. declared avoidances are a hard filter (checked again against the engine's catalog,
       whatever the backend did); *inferred* ones are demoted by the re-ranker and the hit
       says so. A shopper with no history gets the order of step 2.

    Each hit's reasons (:class:`~leafloaf.models.Reason`) say what the re-ranker learned,
    or, when nothing did, the match (:func:`match_reason`) and how often everyone buys it.
    A hit that holds only some of the query's words says so first, whatever else it says.

    >>> hits = personalized_search(engine, backend, "ann", "milk", k=5)  # doctest: +SKIP
    >>> hits[0].name, [r.text for r in hits[0].reasons]                   # doctest: +SKIP
    ('Oat Milk', ['you bought it 6 times'])
    """
    if k < 0:
        raise ValidationError("k", k, "must be >= 0")
    if pool < 1:
        raise ValidationError("pool", pool, "must be >= 1")
    if prior not in ("popularity", "none"):
        raise ValidationError("prior", prior, 'must be "popularity" or "none"')
    if k == 0 or not query.strip():
        return []
    # the compiled scoring model holds the same avoidances rerank uses (declared ones with
    # their user statement, inferred ones with P(avoid)); it is cached and rebuilt when the
    # shopper's statistics change, so this costs nothing per query
    model = engine.shopper_model(user_id)
    declared = tuple(sorted(a for a, avoids in model.declared.items() if avoids))
    inferred = {a: p for a, p in model.avoid.items() if a not in model.declared}
    base = filters or SearchFilters()
    if declared:
        excluded = (*base.exclude_attributes, *declared)
        base = base.model_copy(update={"exclude_attributes": tuple(dict.fromkeys(excluded))})
    item_lines = engine.population.item_lines if prior == "popularity" else {}
    mine = model.item_lines
    # which products of the relevance tier that `pool` cuts are retrieved: the shopper's
    # own purchases first, then what everyone buys (the order across tiers is untouched)
    pool_prior = shopper_first_prior(item_lines, mine)
    hits = backend.search_with_prior(query, k=max(pool, k), filters=base, prior=pool_prior)
    catalog = engine.catalog
    blocked = set(declared)
    retrieved = {}
    for rank, hit in enumerate(hits):
        pid = hit.product_id
        if pid in catalog and not (blocked and blocked.intersection(catalog.attributes(pid))):
            retrieved[pid] = (rank, hit)
    if prior == "popularity" and retrieved:
        ordered = popularity_prior_order([h for _, h in retrieved.values()], item_lines,
                                         catalog.category)  # fmt: skip
        retrieved = {h.product_id: retrieved[h.product_id] for h in ordered}
    if not retrieved:
        return []
    # the shopper's statistics re-order each relevance tier, never across tiers: what
    # they buy comes first among equally good matches, not before a better match. Inside
    # a tier the aisle order of step 2 holds too, except for products they bought: a
    # general liking for an aisle does not pull its products before the query's aisle
    reranked = engine.rerank(user_id, list(retrieved), query=query)
    position = {pid: i for i, pid in enumerate(reranked.product_ids)}
    group: dict[str, int] = {}
    first_seen: dict[tuple[float, str | None], int] = {}
    for pid, (_, hit) in retrieved.items():
        cell = (relevance_tier(hit.score), catalog.category(pid))
        group[pid] = first_seen.setdefault(cell, len(first_seen))

    def key(pid: str) -> tuple[float, int, int]:
        rank = -1 if mine.get(pid) else group[pid]
        return -relevance_tier(retrieved[pid][1].score), rank, position[pid]

    ranking = [reranked[position[pid]] for pid in sorted(position, key=key)[:k]]
    hiding = [Reason.of("hiding", attribute=attribute_label(a), key=a) for a in declared]
    matches = backend.query_matches(query, [scored.product_id for scored in ranking])
    out: list[PersonalizedHit] = []
    for scored in ranking:
        rank, hit = retrieved[scored.product_id]
        found = match_reason(query, matches.get(scored.product_id))
        reasons = [r for r in scored.reasons if r.code not in _UNLEARNED]
        if not reasons:  # nothing learned moved it: the words (and everyone's buying) did
            reasons = [found]
            bought = item_lines.get(scored.product_id, 0.0)
            if prior == "popularity" and bought:
                reasons.append(Reason.of("popular", times=bought))
        elif found.code != "matches":
            # not quite what was asked ("oat milk", and this is milk): say so before the
            # history, whatever the shopper bought
            reasons.insert(0, found)
        clash = sorted(a for a in catalog.attributes(scored.product_id) if a in inferred)
        if clash:
            reasons = [r for r in reasons if r.code != "diet_conflict"]
            reasons += [
                Reason.of(
                    "avoided_inferred",
                    attribute=attribute_label(a),
                    key=a,
                    probability=inferred[a],
                )
                for a in clash
            ]
        out.append(
            PersonalizedHit(
                product_id=scored.product_id,
                name=scored.name,
                score=scored.score,
                retrieval_rank=rank,
                retriever=hit.retriever,
                reasons=reasons + hiding,
            )
        )
    return out
