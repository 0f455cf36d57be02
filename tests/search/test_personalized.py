"""engine.search: personal order, declared avoidances filtered, inferred ones demoted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from leafloaf import Catalog, Event, GraphitiPersonalizationEngine
from leafloaf.search.local import LocalSearch
from tests.contract.test_search_backend import PRODUCTS

T0 = datetime(2026, 1, 5, tzinfo=UTC)


def _engine() -> GraphitiPersonalizationEngine:
    engine = GraphitiPersonalizationEngine(Catalog(PRODUCTS))
    for n in range(6):
        for pid in ("3", "6"):
            engine.record(Event.purchase(f"o{n}", pid, basket_id=f"o{n}", ts=T0))
    for week in range(5):
        engine.record(Event.purchase("ann", "5", basket_id=f"a{week}",
                                     ts=T0 + timedelta(weeks=week)))  # fmt: skip
    return engine


def test_new_user_gets_the_backend_order() -> None:
    engine = _engine()
    backend = LocalSearch(dense=False)
    backend.index(PRODUCTS)
    plain = [h.product_id for h in backend.search("milk", k=3)]
    assert [h.product_id for h in engine.search("stranger", "milk", k=3, backend=backend)] == plain


def test_shoppers_own_milk_comes_first_with_reason() -> None:
    hits = _engine().search("ann", "milk", k=3)
    assert hits[0].product_id == "5"
    assert hits[0].reasons[0] == "you bought it 5 times"
    assert hits[0].retriever == "bm25"


def test_declared_avoidance_is_a_hard_filter() -> None:
    engine = _engine()
    engine.declare_avoidance("ann", "tag:vegan", at=T0)
    ids = [h.product_id for h in engine.search("ann", "milk", k=10)]
    assert "4" not in ids and ids
    assert all("hiding what you avoid" in r for h in engine.search("ann", "milk") for r in
               h.reasons[-1:])  # fmt: skip
