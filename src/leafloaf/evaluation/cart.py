"""Does the ranking's cart term help? Held-out baskets, cart term on vs. off, paired over shoppers.

The re-ranker adds ``cart_weight · (log(1 + adds) - log(1 + removes))`` per product. Purchase
logs carry no cart events, so two protocols replay real baskets as cart adds and rank real
held-out purchases (leave-last-out split: history, validation basket V, test basket T):

* **pending-order**: the engine learns the history as purchases and V only as cart adds (a
  session whose order it never saw: an abandoned or not-yet-synced cart); each item of T is
  ranked among up to 200 products of its category.
* **same-session**: the engine learns history and V as purchases; the first half of T (in
  the order the shopper put things in the cart) is recorded as cart adds; each item of the
  second half is ranked among its category's products.

Both engines and events are identical for "on" and "off": only ``cart_weight`` differs
(1 vs. 0). Per shopper, NDCG@10 is averaged over their target items; the effect is the mean
per-shopper difference with a 95 % paired percentile bootstrap over shoppers, and it counts
as a win only when the interval excludes zero. The data has no removes and none are
simulated, so the remove half of the term is not measured here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from leafloaf.engine import GraphitiPersonalizationEngine
from leafloaf.evaluation.data import Basket, BasketData
from leafloaf.evaluation.metrics import ndcg_at_k
from leafloaf.evaluation.nextbasket import train_engine
from leafloaf.evaluation.split import UserSplit, leave_last_out
from leafloaf.models import Event, EventType
from leafloaf.progress import progress, step
from leafloaf.search.judged import bootstrap_interval

__all__ = ["PROTOCOLS", "evaluate_cart"]

PROTOCOLS = ("pending-order", "same-session")
_K = 10
_POOL = 200


def _adds(user: str, basket: Basket, items: Sequence[str], tag: str) -> list[Event]:
    return [
        Event.trusted(type=EventType.ADD_TO_CART, user_id=user, ts=basket.at, product_id=pid,
                      quantity=basket.quantities.get(pid, 1.0), unit_price=None, query=None,
                      basket_id=None, member_id=None, household_id=None,
                      event_id=f"{user}/{tag}/{pid}")
        for pid in items
    ]  # fmt: skip


def _setup(
    protocol: str, data: BasketData, splits: Mapping[str, UserSplit]
) -> tuple[GraphitiPersonalizationEngine, dict[str, list[str]]]:
    """The engine (purchases learned, cart adds recorded) and each shopper's targets."""
    if protocol == "pending-order":
        engine = train_engine(data.catalog, {u: s.history for u, s in splits.items()})
        events = [
            e for u, s in splits.items() for e in _adds(u, s.validation, s.validation.items, "v")
        ]
        targets = {u: list(s.test.items) for u, s in splits.items()}
    else:
        engine = train_engine(data.catalog, {u: s.known("test") for u, s in splits.items()})
        half = {u: (len(s.test.items) + 1) // 2 for u, s in splits.items()}
        events = [e for u, s in splits.items()
                  for e in _adds(u, s.test, s.test.items[: half[u]], "t")]  # fmt: skip
        targets = {u: list(s.test.items[half[u] :]) for u, s in splits.items()}
    engine.record_many(events)
    return engine, {u: t for u, t in targets.items() if t}


def _pools(engine: GraphitiPersonalizationEngine) -> dict[str, list[str]]:
    """Each category's products, most bought first (the unpersonalised order)."""
    popularity = engine.population.item_lines
    pools: dict[str, list[str]] = {}
    for pid in sorted(popularity, key=lambda p: (-popularity[p], p)):
        category = engine.catalog.category(pid)
        if category is not None:
            pools.setdefault(category, []).append(pid)
    return pools


def _shopper_ndcg(
    engine: GraphitiPersonalizationEngine, user: str, targets: Sequence[str],
    pools: Mapping[str, list[str]],
) -> tuple[float, float] | None:  # fmt: skip
    """Mean NDCG@10 of the shopper's targets among their category: cart term on, off."""
    on: list[float] = []
    off: list[float] = []
    with_cart, without = engine.config, engine.config.model_copy(update={"cart_weight": 0.0})
    for target in targets:
        category = engine.catalog.category(target)
        pool = pools.get(category, []) if category is not None else []
        if len(pool) < 2:
            continue
        candidates = pool[:_POOL] if target in pool[:_POOL] else [*pool[: _POOL - 1], target]
        for config, scores in ((with_cart, on), (without, off)):
            engine.config = config
            scores.append(ndcg_at_k(engine.rerank(user, candidates).product_ids, {target}, _K))
    engine.config = with_cart
    return (float(np.mean(on)), float(np.mean(off))) if on else None


def evaluate_cart(
    data: BasketData, users: int | None = None, seed: int = 0, show: bool = True
) -> dict[str, Any]:
    """Both protocols: NDCG@10 with the cart term on and off, and the paired effect.

    Returns ``methods`` (mean NDCG@10 per protocol and setting) and ``effect`` (per
    protocol: mean on − off with its 95 % interval, shoppers, and ``win``).
    """
    data = data.sample_users(users, seed)
    splits = leave_last_out(data)
    methods: dict[str, dict[str, float]] = {}
    effect: dict[str, dict[str, Any]] = {}
    for protocol in PROTOCOLS:
        with step(f"{protocol}: learning {len(splits):,} shoppers", show):
            engine, targets = _setup(protocol, data, splits)
            pools = _pools(engine)
        pairs = []
        users_ = sorted(targets)
        for user in progress(users_, len(users_), protocol) if show else users_:
            pair = _shopper_ndcg(engine, user, targets[user], pools)
            if pair is not None:
                pairs.append(pair)
        on, off = [p[0] for p in pairs], [p[1] for p in pairs]
        mean, low, high = bootstrap_interval([a - b for a, b in pairs], seed=seed)
        methods[f"{protocol}, cart term on"] = {"ndcg@10": float(np.mean(on)) if on else 0.0}
        methods[f"{protocol}, cart term off"] = {"ndcg@10": float(np.mean(off)) if off else 0.0}
        effect[protocol] = {
            "shoppers": len(pairs),
            "mean_difference": round(mean, 5),
            "ci95": [round(low, 5), round(high, 5)],
            "win": bool(pairs) and low > 0,
        }
    return {
        "capability": "cart",
        "dataset": data.name,
        "protocol": "leave-last-out; pending-order: the validation basket is recorded only as "
        "cart adds, test-basket items are ranked; same-session: the first half of the test "
        "basket (cart order) is recorded as cart adds, the second half is ranked; each target "
        f"among up to {_POOL} products of its category, NDCG@{_K} averaged per shopper; cart "
        "term on (cart_weight 1) vs. off (0) on the same engine; 95 % paired bootstrap over "
        "shoppers; no removes in the data and none simulated",
        "effect": effect,
        "methods": methods,
    }
