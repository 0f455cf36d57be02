"""The cart-term evaluation: the switch it flips, and both protocols on the bundled sample."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from leafloaf import (
    Catalog,
    EngineConfig,
    Event,
    EventType,
    GraphitiPersonalizationEngine,
    Product,
    Reason,
)
from leafloaf.evaluation.cart import PROTOCOLS, evaluate_cart
from leafloaf.evaluation.data import load_basket_data

SAMPLE = Path(__file__).parents[2] / "examples" / "data" / "instacart_sample"
T0 = datetime(2026, 1, 5, tzinfo=UTC)


def test_cart_weight_zero_turns_the_term_off() -> None:
    catalog = Catalog(Product(product_id=str(i), name=f"Milk {i}", categories=("dairy", "milk"))
                      for i in range(5))  # fmt: skip
    engine = GraphitiPersonalizationEngine(catalog)
    engine.record_many([Event.purchase("ann", "0", ts=T0), Event.purchase("bob", "1", ts=T0)])
    engine.fit()
    engine.record(Event(type=EventType.ADD_TO_CART, user_id="ann", product_id="3", ts=T0))
    products = [str(i) for i in range(5)]
    on = engine.rerank("ann", products)
    put = Reason.of("cart_added_before")
    assert on.product_ids.index("3") < 3 and put in on[on.product_ids.index("3")].reasons
    engine.config = EngineConfig(cart_weight=0.0)
    off = engine.rerank("ann", products)
    assert all(put not in r.reasons for r in off)
    assert off.product_ids.index("3") > on.product_ids.index("3")


def test_both_protocols_on_the_sample() -> None:
    result = evaluate_cart(load_basket_data(SAMPLE), users=50, seed=0, show=False)
    assert set(result["effect"]) == set(PROTOCOLS)
    for protocol, effect in result["effect"].items():
        on = result["methods"][f"{protocol}, cart term on"]["ndcg@10"]
        off = result["methods"][f"{protocol}, cart term off"]["ndcg@10"]
        low, high = effect["ci95"]
        assert effect["shoppers"] > 25
        assert low <= effect["mean_difference"] <= high
        assert effect["mean_difference"] == pytest.approx(on - off, abs=1e-4)
        assert effect["win"] is (low > 0)
    # a cart whose order was never seen predicts the next one: the term helps there
    assert result["effect"]["pending-order"]["mean_difference"] > 0
