"""The columnar population fit gives exactly what the record-by-record fit gives."""

from __future__ import annotations

import random

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from leafloaf import GraphitiPersonalizationEngine
from leafloaf.learning.complements import fit_cooccurrence, fit_cooccurrence_columns
from leafloaf.learning.population import (
    PurchaseColumns,
    _baskets,
    _interval_shape_columns,
)
from leafloaf.stores.base import event_to_record
from tests.runtime.faults import real_events


def _interval_shape(days: dict[tuple[str, str], list[float]]) -> float:
    """Reference: the record-by-record pooled gamma shape the columnar fit replaced."""
    ratios: list[np.ndarray] = []
    for values in days.values():
        if len(values) < 3:
            continue
        gaps = np.diff(np.unique(np.asarray(values)))
        if len(gaps) >= 2 and gaps.mean() > 0:
            ratios.append(gaps / gaps.mean())
    if not ratios:
        return 2.0
    var = float(np.concatenate(ratios).var())
    return float(np.clip(1.0 / max(var, 1e-6), 0.5, 50.0))


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10_000), st.integers(2, 6), st.integers(1, 500))
def test_columnar_cooccurrence_equals_the_list_version(
    seed: int, max_basket: int, chunk: int
) -> None:
    rng = random.Random(seed)
    units, baskets, products, lists, owners = [], [], [], [], []
    for u in range(rng.randint(1, 25)):
        for _ in range(rng.randint(1, 5)):
            items = [rng.randrange(15) for _ in range(rng.randint(1, 9))]
            lists.append([f"p{i}" for i in items])
            owners.append(f"u{u}")
            units += [u] * len(items)
            baskets += [len(lists) - 1] * len(items)
            products += items
    ref = fit_cooccurrence(lists, owners=owners, max_basket=max_basket)
    col = fit_cooccurrence_columns(
        np.array(units), np.array(baskets), np.array(products), [f"p{i}" for i in range(15)],
        max_basket=max_basket, chunk_pairs=chunk,
    )  # fmt: skip
    assert col.n_units == ref.n_units
    for a in ref.ids:
        assert col.count(a) == ref.count(a)
        for b in ref.ids:
            assert col.together_count(a, b) == ref.together_count(a, b)


def test_log_columns_and_record_columns_fit_the_same_on_real_data() -> None:
    data = real_events(20_000)
    engine = GraphitiPersonalizationEngine(data.catalog)
    no_basket = [
        e.model_copy(update={"basket_id": None, "event_id": f"{e.event_id}-nb"})
        for e in data.events[:500]
    ]
    engine.record_many([*data.events, *no_basket])
    snapshot = engine.store.snapshot()
    arrays = snapshot.purchase_arrays()
    assert arrays is not None
    fast, slow = PurchaseColumns(*arrays), PurchaseColumns.from_records(snapshot.records())
    records = [event_to_record(e) for e in engine.store.events()]
    baskets, days = _baskets(records)
    assert fast.n_baskets == slow.n_baskets == len(baskets)
    assert _interval_shape_columns(fast) == _interval_shape_columns(slow)
    assert abs(_interval_shape_columns(fast) - _interval_shape(days)) < 1e-9
    a = fit_cooccurrence_columns(fast.user, fast.basket, fast.product, fast.product_ids)
    b = fit_cooccurrence(list(baskets.values()), owners=[u for u, _ in baskets])
    assert a.n_units == b.n_units and a.together.sum() == b.together.sum()
    for x in b.ids[:150]:
        assert a.count(x) == b.count(x)
        for y in b.ids[:150]:
            assert a.together_count(x, y) == b.together_count(x, y)
