"""Next-basket knobs learned from the deployment's own log: recency half-life, timing and
neighbour weights, neighbourhood size.

Inside the population refit, a bounded sample of shoppers (at most ``max_cases``, chosen by a
hash of their latest basket's content, so the same events in any order give the same sample)
hold out their latest basket. Their statistics are rebuilt from the earlier baskets alone and
scored with the functions ``next_basket`` serves with (``usual_scores``,
``reorder_probabilities``, :meth:`Neighbourhood.dense_scores_many`); each candidate setting's
top ten is read off one precomputed matrix per signal, and the setting with the highest mean
held-out Recall@10 wins — but only when it beats the setting it would replace by more than
two paired standard errors. Otherwise the *neutral* setting stays: plain personal frequency
(the longest half-life, no timing, no neighbours), the strongest simple baseline of the
next-basket literature, so a tiny deployment is not fitted to noise.

The search runs in two stages: first the personal knobs (half-life × timing weight, own
products only), then, with that half-life, the neighbour knobs (personal weight × timing
weight × neighbourhood size) over a neighbourhood of at most ``max_pool`` shoppers whose
vectors never contain a held-out basket's own shopper. The pool is every shopper up to
20,000, so "k neighbours" means in the fit what it means when served: with a 5,000-shopper
pool on the 9,010 DC shoppers the fit chose 50 neighbours and served Recall@10 0.456, with
all of them 800 and 0.471. Cost: one ``next_basket`` read per case and candidate
half-life, plus one neighbourhood query per case over the pool (about 2 s at 1,000
shoppers, 3.5 s at 9,010; bounded above 20,000).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from leafloaf.learning.holdout import basket_table

if TYPE_CHECKING:
    from leafloaf.config import EngineConfig
    from leafloaf.learning.population import PopulationModel, PurchaseColumns
    from leafloaf.learning.stats import UserStats

__all__ = [
    "HALF_LIVES",
    "NEIGHBOURS",
    "PERSONAL_WEIGHTS",
    "STORAGE_HALF_LIFE_DAYS",
    "TIMING_WEIGHTS",
    "NextBasketFit",
    "fit_next_basket",
]

STORAGE_HALF_LIFE_DAYS = 60.0
"""Half-life of the decayed sums kept in each shopper's rows when the served half-life is
learned. Any positive value works: a product's decayed count at another half-life is
rebuilt from the stored one (exact for one or two purchases and at this half-life; the
purchases between the first and the last are placed where the stored sum says they were
on average). It sits in the middle of :data:`HALF_LIVES` so every candidate is near it."""

HALF_LIVES = (15.0, 30.0, 60.0, 120.0, 240.0, 480.0, 960.0)
"""Candidate recency half-lives in days, doubling: from "last fortnight" to "a few years"
(plain frequency over grocery histories)."""
TIMING_WEIGHTS = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6)
PERSONAL_WEIGHTS = (0.5, 0.6, 0.7, 0.8, 0.9, 1.0)
NEIGHBOURS = (25, 50, 100, 200, 400, 800)
_TOP = 10
_KEEP = 30
"""Per case, the products kept as candidates: the top of each signal (a blend's top ten
always lies within the top thirty of one of its parts, in practice)."""
_MIN_CASES = 20
"""Below this many held-out baskets no comparison is trusted: the neutral setting stays."""


@dataclass(frozen=True)
class NextBasketFit:
    """The next-basket knobs a population refit learned, and the evidence behind them."""

    half_life_days: float = HALF_LIVES[-1]
    timing_weight: float = 0.0
    personal_weight: float = 1.0
    neighbours: int = NEIGHBOURS[2]
    cases: int = 0
    """Held-out latest baskets the knobs were scored on."""
    recall: float = 0.0
    """Mean held-out Recall@10 of the chosen setting."""
    neutral_recall: float = 0.0
    """Mean held-out Recall@10 of the neutral setting (personal frequency)."""
    learned: bool = False
    """False: the held-out evidence did not separate settings, so the neutral one stays."""


def _gate(best: NDArray[np.float64], incumbent: NDArray[np.float64]) -> bool:
    """True when ``best`` beats ``incumbent`` by more than two paired standard errors."""
    diff = best - incumbent
    if len(diff) < _MIN_CASES:
        return False
    se = float(diff.std(ddof=1)) / math.sqrt(len(diff))
    return float(diff.mean()) > 2.0 * se and float(diff.mean()) > 0.0


def _recalls(
    scores: NDArray[np.float64],
    valid: NDArray[np.bool_],
    target: NDArray[np.float64],
    sizes: NDArray[np.float64],
) -> NDArray[np.float64]:
    """Per-case Recall@10 of the ``valid`` candidate columns ranked by ``scores`` (ties go to
    the earlier column, product ids being sorted, as ``next_basket`` breaks them)."""
    width = scores.shape[1]
    tie = np.arange(width, dtype=np.float64) * (1e-9 / max(width, 1))
    keyed = np.where(valid, scores - tie, -np.inf)
    take = min(_TOP, width)
    if take == 0:
        return np.zeros(len(scores))
    top = np.argpartition(-keyed, take - 1, axis=1)[:, :take]
    rows = np.arange(len(scores))[:, None]
    ok = np.isfinite(keyed[rows, top])
    hits = (target[rows, top] * ok).sum(axis=1)
    result: NDArray[np.float64] = hits / sizes
    return result


@dataclass
class _Case:
    stats: UserStats
    code: int  # the shopper's index in the neighbour pool
    at_day: float
    target: set[str]


def _case_stats(
    columns: PurchaseColumns, rows: NDArray[np.bool_], case_of: NDArray[np.int64], rate: float
) -> list[UserStats]:
    """Each case's :class:`UserStats` from its history lines, as ingest would build them."""
    from leafloaf.learning.stats import Item, UserStats

    n_cases = int(case_of.max()) + 1 if len(case_of) else 0
    c = case_of[columns.user[rows]]
    prod, day, bask = columns.product[rows], columns.day[rows], columns.basket[rows]
    width = max(len(columns.product_ids), 1)
    key, inverse = np.unique(c * width + prod, return_inverse=True)
    lines = np.bincount(inverse, minlength=len(key)).astype(np.float64)
    first = np.full(len(key), np.inf)
    last = np.full(len(key), -np.inf)
    np.minimum.at(first, inverse, day)
    np.maximum.at(last, inverse, day)
    scaled = rate * day
    peak = np.full(len(key), -np.inf)
    np.maximum.at(peak, inverse, scaled)
    summed = np.bincount(inverse, weights=np.exp(scaled - peak[inverse]), minlength=len(key))
    log_decayed = np.log(summed) + peak
    b_key, b_inv = np.unique(bask, return_inverse=True)
    b_lines = np.bincount(b_inv, minlength=len(b_key)).astype(np.float64)
    b_first = np.full(len(b_key), np.inf)
    b_last = np.full(len(b_key), -np.inf)
    np.minimum.at(b_first, b_inv, day)
    np.maximum.at(b_last, b_inv, day)
    b_case = np.zeros(len(b_key), dtype=np.int64)
    b_case[b_inv] = c
    out = [UserStats(f"case{i}", {}, {}, {}, {}, {}, {}, {}) for i in range(n_cases)]
    ids = columns.product_ids
    order = sorted(range(len(key)), key=lambda j: (int(key[j]) // width, ids[int(key[j]) % width]))
    for j in order:
        i, p = divmod(int(key[j]), width)
        out[i].items[columns.product_ids[p]] = Item(
            lines[j], lines[j], log_decayed[j], first[j], last[j], 0.0, 0.0, 0.0, 0.0, 0.0, 0.0
        )
    for j in range(len(b_key)):
        out[int(b_case[j])].baskets[str(int(b_key[j]))] = (b_lines[j], b_first[j], b_last[j], 0.0)
    return out


def _pool_vectors(
    columns: PurchaseColumns,
    pool_users: NDArray[np.int64],
    held: NDArray[np.bool_],
    half_life: float,
) -> list[tuple[str, dict[str, float]]]:
    """Recency-weighted order shares of the pool's shoppers (held-out baskets left out),
    in pool order, products in id order: what the engine's neighbourhood holds."""
    rate = math.log(2) / half_life
    in_pool = np.full(int(columns.user.max()) + 1, -1, dtype=np.int64)
    in_pool[pool_users] = np.arange(len(pool_users))
    keep = (in_pool[columns.user] >= 0) & ~held[columns.basket]
    u = in_pool[columns.user[keep]]
    b, p, d = columns.basket[keep], columns.product[keep], columns.day[keep]
    n_b = int(columns.basket.max()) + 1
    start = np.full(n_b, np.inf)
    np.minimum.at(start, b, d)
    owner = np.full(n_b, -1, dtype=np.int64)
    owner[b] = u
    last = np.full(len(pool_users), -np.inf)
    np.maximum.at(last, u, d)
    present = np.flatnonzero(owner >= 0)
    weight = np.zeros(n_b)
    weight[present] = np.exp(rate * (start[present] - last[owner[present]]))
    orders = np.bincount(owner[present], weights=weight[present], minlength=len(pool_users))
    width = max(len(columns.product_ids), 1)
    line = np.unique(b * width + p)  # a basket counts once per product
    lb, lp = line // width, line % width
    key, inverse = np.unique(owner[lb] * width + lp, return_inverse=True)
    ku, kp = key // width, key % width
    share = np.bincount(inverse, weights=weight[lb], minlength=len(key)) / np.maximum(
        orders[ku], 1e-12
    )
    out: list[tuple[str, dict[str, float]]] = [(f"pool{i}", {}) for i in range(len(pool_users))]
    ids = columns.product_ids
    for j in sorted(range(len(key)), key=lambda j: (int(ku[j]), ids[int(kp[j])])):
        out[int(ku[j])][1][ids[int(kp[j])]] = float(share[j])
    return out


def fit_next_basket(
    columns: PurchaseColumns,
    population: PopulationModel,
    config: EngineConfig,
    max_cases: int = 400,
    max_pool: int = 20_000,
    with_neighbours: bool = True,
) -> NextBasketFit:
    """Learn the next-basket knobs on held-out latest baskets (see the module docstring).

    ``with_neighbours`` False (no neighbourhood will be served) skips the neighbour stage.

    Knobs the host set in ``config`` are not searched; they keep their value. The result
    never depends on the order the events arrived in.
    """
    from leafloaf.learning.neighbours import fit_neighbourhood
    from leafloaf.learning.reorder import reorder_probabilities
    from leafloaf.learning.usual import usual_scores

    fixed_h = config.half_life_days
    half_lives = (fixed_h,) if fixed_h is not None else HALF_LIVES
    timings = (config.timing_weight,) if config.timing_weight is not None else TIMING_WEIGHTS
    personals = (
        (config.personal_weight,) if config.personal_weight is not None else PERSONAL_WEIGHTS
    )
    sizes_k = (config.neighbours,) if config.neighbours is not None else NEIGHBOURS
    neutral = NextBasketFit(
        half_life_days=half_lives[-1],
        timing_weight=timings[0],
        personal_weight=personals[-1],
        neighbours=sizes_k[min(2, len(sizes_k) - 1)],
    )
    if len(columns.product) == 0:
        return neutral
    storage = fixed_h if fixed_h is not None else STORAGE_HALF_LIFE_DAYS
    ids = columns.product_ids
    table = basket_table(columns.user, columns.basket, columns.product, columns.day, ids)
    owner, signature, start, present = table.owner, table.signature, table.start, table.present
    per_user, n_users, n_b = table.per_user, table.n_users, len(table.owner)
    d_b, d_p = table.line_basket, table.line_product
    user_sig = np.zeros(n_users, dtype=np.int64)
    np.add.at(user_sig, owner[present], signature[present] * 2654435761 % 2**32)
    user_sig %= 2**32
    latest = table.latest
    eligible = latest[per_user[owner[latest]] >= 2]
    eligible = eligible[np.lexsort((user_sig[owner[eligible]], signature[eligible]))][:max_cases]
    if len(eligible) < _MIN_CASES:
        return replace(neutral, cases=len(eligible))
    held = np.zeros(n_b, dtype=bool)
    held[eligible] = True
    case_users = owner[eligible]
    # the pool: the cases' shoppers, then the others whose histories hash lowest, in hash
    # order (neighbours found among equals do not depend on arrival order)
    sampled = np.zeros(n_users, dtype=bool)
    sampled[case_users] = True
    others = np.flatnonzero(~sampled & (per_user > 0))
    room = max(0, max_pool - len(case_users))
    pool = np.r_[case_users, others[np.argsort(user_sig[others], kind="stable")][:room]]
    pool = pool[np.lexsort((pool, user_sig[pool]))]
    pool_code = {int(u): i for i, u in enumerate(pool.tolist())}
    case_of = np.full(n_users, -1, dtype=np.int64)
    case_of[case_users] = np.arange(len(case_users))
    rows = (case_of[columns.user] >= 0) & ~held[columns.basket]
    stats = _case_stats(columns, rows, case_of, math.log(2) / storage)
    in_held = held[d_b]
    targets: list[set[str]] = [set() for _ in range(len(eligible))]
    basket_case = np.full(n_b, -1, dtype=np.int64)
    basket_case[eligible] = np.arange(len(eligible))
    for b, p in zip(d_b[in_held].tolist(), d_p[in_held].tolist(), strict=True):
        targets[int(basket_case[b])].add(ids[p])
    # the population's base rates without the held-out baskets (the usual shares' prior)
    item_lines = dict(population.item_lines)
    held_lines = np.bincount(columns.product[held[columns.basket]], minlength=len(ids))
    for p in np.flatnonzero(held_lines).tolist():
        item_lines[ids[p]] = max(item_lines.get(ids[p], 0.0) - float(held_lines[p]), 0.0)
    prior_pop = replace(
        population,
        item_lines=item_lines,
        n_baskets=max(population.n_baskets - len(eligible), 1),
        _log_priors={},
    )
    cases = [
        _Case(stats[i], pool_code[int(case_users[i])], float(start[eligible[i]]), targets[i])
        for i in range(len(eligible))
    ]
    serve = config.model_copy(update={"half_life_days": storage})
    # stage 1: personal knobs over the shopper's own products. Only products near the top
    # of some signal can reach a blend's top ten: the rest are left out of the matrices.
    signals: list[tuple[dict[float, dict[str, float]], dict[str, float]]] = []
    columns_of: list[list[str]] = []
    for case in cases:
        ref = case.stats.basket_days()[-1]
        timing = {
            p: v[0] for p, v in reorder_probabilities(case.stats, prior_pop, case.at_day).items()
        }
        by_h = {h: usual_scores(case.stats, prior_pop, serve, ref, half_life=h) for h in half_lives}
        keep: set[str] = set()
        for scores in (*by_h.values(), timing):
            keep.update(sorted(scores, key=lambda p, s=scores: (-s[p], p))[:_KEEP])  # type: ignore[misc]
        signals.append((by_h, timing))
        columns_of.append(sorted(keep))
    width_c = max(len(c) for c in columns_of) + len(NEIGHBOURS) * _TOP
    n = len(cases)
    sizes = np.asarray([max(len(c.target), 1) for c in cases], dtype=np.float64)
    restock = np.zeros((n, width_c))
    usual = {h: np.zeros((n, width_c)) for h in half_lives}
    target = np.zeros((n, width_c))
    valid = np.zeros((n, width_c), dtype=bool)
    for i, case in enumerate(cases):
        cols = columns_of[i]
        by_h, timing = signals[i]
        restock[i, : len(cols)] = [timing.get(p, 0.0) for p in cols]
        target[i, : len(cols)] = [p in case.target for p in cols]
        valid[i, : len(cols)] = True
        for h in half_lives:
            usual[h][i, : len(cols)] = [by_h[h].get(p, 0.0) for p in cols]
    neutral_recall = _recalls(
        (1 - neutral.timing_weight) * usual[neutral.half_life_days]
        + neutral.timing_weight * restock,
        valid,
        target,
        sizes,
    )
    best = (float(neutral_recall.mean()), neutral.half_life_days, neutral.timing_weight)
    best_recall = neutral_recall
    for h in half_lives:
        for w in timings:
            r = _recalls((1 - w) * usual[h] + w * restock, valid, target, sizes)
            if float(r.mean()) > best[0] + 1e-12:
                best, best_recall = (float(r.mean()), h, w), r
    chosen = neutral
    chosen_recall = neutral_recall
    if _gate(best_recall, neutral_recall):
        chosen = replace(neutral, half_life_days=best[1], timing_weight=best[2])
        chosen_recall = best_recall
    # stage 2: neighbour knobs, at the chosen half-life
    if with_neighbours and personals != (1.0,) and sizes_k != (0,):
        h = chosen.half_life_days
        hood = fit_neighbourhood(_pool_vectors(columns, pool, held, h))
        ks = [k for k in sizes_k if k > 0]
        near = {k: np.zeros((n, width_c)) for k in ks}
        base_u = usual[h].copy()
        base_r = restock.copy()
        for i, case in enumerate(cases):
            cols = columns_of[i]
            ref = case.stats.basket_days()[-1]
            own = usual_scores(case.stats, None, serve, ref, half_life=h)
            dense = hood.dense_scores_many(own, ks, f"pool{case.code}")
            if dense is None:
                continue
            index = [hood.item_index.get(p) for p in cols]
            mine = np.asarray([j for j in index if j is not None], dtype=np.int64)
            at = np.asarray([c for c, j in enumerate(index) if j is not None], dtype=np.int64)
            bought = [hood.item_index[p] for p in case.stats.purchased if p in hood.item_index]
            extra: list[int] = []
            for k in ks:
                rest = dense[k].copy()
                rest[bought] = 0.0  # the shopper's own products are scored with their shares
                take = min(_TOP, int(np.count_nonzero(rest)))
                if take:
                    top = np.argpartition(-rest, take - 1)[:take]
                    extra.extend(int(j) for j in top.tolist() if j not in extra)
            extra.sort(key=lambda j: hood.items[j])
            slots = np.arange(len(cols), len(cols) + len(extra))
            for k in ks:
                near[k][i, at] = dense[k][mine]
                near[k][i, slots] = dense[k][extra]
            valid[i, slots] = True
            target[i, slots] = [hood.items[j] in case.target for j in extra]
        incumbent = chosen_recall  # personal weight 1: neighbours are not consulted
        top2 = (float(incumbent.mean()), chosen.personal_weight, chosen.timing_weight, 0)
        top2_recall = incumbent
        for k in ks:
            for alpha in (a for a in personals if a < 1.0):
                for w in timings:
                    mixed = alpha * ((1 - w) * base_u + w * base_r) + (1 - alpha) * near[k]
                    r = _recalls(mixed, valid, target, sizes)
                    if float(r.mean()) > top2[0] + 1e-12:
                        top2, top2_recall = (float(r.mean()), alpha, w, k), r
        if top2[3] and _gate(top2_recall, incumbent):
            chosen = replace(chosen, personal_weight=top2[1], timing_weight=top2[2],
                             neighbours=top2[3])  # fmt: skip
            chosen_recall = top2_recall
    return replace(
        chosen,
        cases=n,
        recall=float(chosen_recall.mean()),
        neutral_recall=float(neutral_recall.mean()),
        learned=chosen != neutral,
    )
