"""personalized_search: personal order, popularity prior, declared filter, inferred demotion."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leafloaf import Catalog, Event, GraphitiPersonalizationEngine, ValidationError
from leafloaf.models import Product, Reason
from leafloaf.search.base import (
    QueryMatch,
    SearchBackend,
    SearchFilters,
    SearchHealth,
    SearchHit,
)
from leafloaf.search.local import LocalSearch
from leafloaf.search.personalized import (
    match_reason,
    personalized_search,
    popularity_prior_order,
    shopper_first_prior,
)
from tests.contract.test_search_backend import PRODUCTS

T0 = datetime(2026, 1, 5, tzinfo=UTC)


def _engine() -> GraphitiPersonalizationEngine:
    """20 shoppers who all buy Oat Milk (vegan), and ann, who buys milk but never vegan."""
    engine = GraphitiPersonalizationEngine(Catalog(PRODUCTS))
    events = []
    for u in range(20):
        for week in range(4):
            for pid in ("4", "3", "6", "1"):
                events.append(Event.purchase(f"s{u}", pid, basket_id=f"s{u}-{week}",
                                             ts=T0 + timedelta(weeks=week)))  # fmt: skip
    for week in range(10):
        for pid in ("5", "3", "7"):
            events.append(Event.purchase("ann", pid, basket_id=f"a{week}",
                                         ts=T0 + timedelta(weeks=week)))  # fmt: skip
    engine.record_many(events)
    return engine


@pytest.fixture(scope="module")
def backend() -> LocalSearch:
    search = LocalSearch(dense=False)
    search.index(PRODUCTS)
    return search


class FilterIgnoringBackend(SearchBackend):
    """A backend that forgets to apply filters: the hard filter must still hold."""

    name = "careless"

    def __init__(self, inner: SearchBackend) -> None:
        self.inner = inner

    def index(self, products: Iterable[Product]) -> int:
        return self.inner.index(products)

    def search(
        self, query: str, k: int = 10, filters: SearchFilters | None = None
    ) -> list[SearchHit]:
        return self.inner.search(query, k)

    def remove(self, product_ids: Iterable[str]) -> int:
        return self.inner.remove(product_ids)

    def health(self) -> SearchHealth:
        return self.inner.health()


def _ids(hits: Iterable[SearchHit] | Iterable[object]) -> list[str]:
    return [h.product_id for h in hits]  # type: ignore[attr-defined]


def test_new_shopper_gets_the_unpersonalised_order(backend: LocalSearch) -> None:
    engine = _engine()
    plain = backend.search("milk", k=200)
    expected = _ids(popularity_prior_order(plain, engine.population.item_lines))
    for stranger in ("stranger", "another-stranger"):
        assert _ids(personalized_search(engine, backend, stranger, "milk", k=3)) == expected[:3]
    raw = personalized_search(engine, backend, "stranger", "milk", k=3, prior="none")
    assert _ids(raw) == _ids(plain)[:3]
    assert expected[0] == "3"  # everybody's whole milk outranks the equally relevant others
    first = personalized_search(engine, backend, "stranger", "milk", k=1)[0]
    assert [r.text for r in first.reasons] == ["matches 'milk'", "bought 90 times by all shoppers"]
    assert [(r.code, r.params) for r in first.reasons] == [
        ("matches", {"query": "milk"}),
        ("popular", {"times": 90.0}),
    ]


def test_popularity_prior_orders_equal_matches_by_purchases() -> None:
    hits = [SearchHit(product_id=p, score=s, retriever="bm25")
            for p, s in (("a", 2.0), ("b", 2.0), ("c", 0.2), ("d", 0.0))]  # fmt: skip
    assert _ids(popularity_prior_order(hits, {"b": 10.0, "c": 5.0})) == ["b", "a", "c", "d"]
    # a weaker textual match never passes a better one, however often it is bought
    assert _ids(popularity_prior_order(hits, {"c": 1e6})) == ["a", "b", "c", "d"]
    assert _ids(popularity_prior_order(hits, {})) == ["a", "b", "c", "d"]
    assert popularity_prior_order([], {}) == []


def test_shoppers_own_milk_comes_first_with_reason(backend: LocalSearch) -> None:
    hits = personalized_search(_engine(), backend, "ann", "milk", k=3)
    assert hits[0].product_id == "5"
    assert hits[0].reasons[0] == Reason.of("bought_before", times=10)
    assert hits[0].retriever == "bm25" and hits[0].retrieval_rank >= 0


def test_inferred_avoidance_demotes_with_a_named_reason(backend: LocalSearch) -> None:
    engine = _engine()
    assert "tag:vegan" in {a.attribute for a in engine.dietary_profile("ann").avoided}
    hits = personalized_search(engine, backend, "ann", "milk", k=10)
    assert _ids(hits)[-1] == "4"  # still shown (it is only inferred), but last
    said = {r.code: r for r in hits[-1].reasons}
    assert said["avoided_inferred"].text == "shown lower: you seem to avoid vegan (tag) (P = 1.00)"
    assert said["avoided_inferred"].params["key"] == "tag:vegan"
    assert "diet_conflict" not in said
    others = personalized_search(engine, backend, "s1", "milk", k=10)
    assert "4" in _ids(others)[:2]  # the other shoppers buy it


def test_declared_avoidance_is_a_hard_filter_whatever_the_backend(backend: LocalSearch) -> None:
    engine = _engine()
    engine.declare_avoidance("s1", "tag:vegan", at=T0 + timedelta(weeks=5))
    for candidate in (backend, FilterIgnoringBackend(backend)):
        hits = personalized_search(engine, candidate, "s1", "milk", k=10)
        assert hits and "4" not in _ids(hits)
        assert all(h.reasons[-1].text == "hiding what you avoid: vegan (tag)" for h in hits)
        assert all(h.reasons[-1].params["key"] == "tag:vegan" for h in hits)


def test_caller_filters_apply(backend: LocalSearch) -> None:
    hits = personalized_search(_engine(), backend, "ann", "milk", k=10,
                               filters=SearchFilters(max_price=2.0))  # fmt: skip
    assert set(_ids(hits)) <= {"3", "5"}


def test_arguments_are_checked(backend: LocalSearch) -> None:
    engine = _engine()
    assert personalized_search(engine, backend, "ann", "milk", k=0) == []
    with pytest.raises(ValidationError):
        personalized_search(engine, backend, "ann", "milk", k=-1)
    with pytest.raises(ValidationError):
        personalized_search(engine, backend, "ann", "milk", pool=0)
    with pytest.raises(ValidationError):
        personalized_search(engine, backend, "ann", "milk", prior="random")  # type: ignore[arg-type]


def test_engine_search_uses_personalized_search(backend: LocalSearch) -> None:
    engine = _engine()
    direct = personalized_search(engine, backend, "ann", "milk", k=3)
    assert engine.search("ann", "milk", k=3, backend=backend) == direct


ENGINE = _engine()
ENGINE.declare_avoidance("s2", "department:bakery", at=T0 + timedelta(weeks=5))


@settings(max_examples=60, deadline=None)
@given(
    user=st.sampled_from(["ann", "s1", "s2", "stranger"]),
    query=st.sampled_from(["milk", "bread", "banana", "fruit", "organic", "yogurt", "zzz"]),
    k=st.integers(0, 12),
    pool=st.integers(1, 12),
)
def test_personalised_hits_are_a_subset_of_the_pool(
    backend: LocalSearch, user: str, query: str, k: int, pool: int
) -> None:
    hits = personalized_search(ENGINE, backend, user, query, k=k, pool=pool)
    # s2's declared avoidance is applied at retrieval, so compare with the same filtered pool
    excluded = SearchFilters(exclude_attributes=("department:bakery",)) if user == "s2" else None
    prior = shopper_first_prior(ENGINE.population.item_lines,
                                ENGINE.shopper_model(user).item_lines)  # fmt: skip
    retrieved = _ids(backend.search_with_prior(query, k=max(pool, k), filters=excluded,
                                               prior=prior))  # fmt: skip
    assert len(hits) <= k and len(set(_ids(hits))) == len(hits)
    assert set(_ids(hits)) <= set(retrieved)
    assert all(h.reasons for h in hits)
    if user == "s2":
        assert not {"2", "6"} & set(_ids(hits))


def test_the_shoppers_own_product_is_retrieved_when_the_pool_cuts_its_tier() -> None:
    milks = [Product(product_id=f"m{i}", name=f"Milk {chr(97 + i)}", categories=("dairy", "milk"))
             for i in range(30)]  # fmt: skip
    engine = GraphitiPersonalizationEngine(Catalog(milks))
    events = [Event.purchase(f"s{u}", f"m{i}", basket_id=f"s{u}-{w}", ts=T0 + timedelta(weeks=w))
              for u in range(10) for w in range(3) for i in range(10)]  # fmt: skip
    events += [Event.purchase("ann", "m29", basket_id=f"a{w}", ts=T0 + timedelta(weeks=w))
               for w in range(3)]  # fmt: skip
    engine.record_many(events)
    search = LocalSearch(dense=False)
    search.index(milks)
    assert len({round(h.score, 6) for h in search.search("milk", k=30)}) == 1  # one tier
    mine = personalized_search(engine, search, "ann", "milk", k=5, pool=10)
    assert mine[0].product_id == "m29"  # retrieved although the population never buys it
    newcomer = personalized_search(engine, search, "nobody", "milk", k=5, pool=10)
    assert "m29" not in {h.product_id for h in newcomer}


def test_a_result_that_matches_only_some_words_says_which(backend: LocalSearch) -> None:
    no_oat_milk = [p for p in PRODUCTS if p.product_id != "4"]
    engine = GraphitiPersonalizationEngine(Catalog(no_oat_milk))
    search = LocalSearch(dense=False)
    search.index(no_oat_milk)
    hits = personalized_search(engine, search, "stranger", "oat milk", k=5)
    assert {h.product_id for h in hits} == {"3", "5"}  # the milks: nothing holds "oat"
    for hit in hits:
        assert hit.reasons[0].code == "matches_partly"
        assert hit.reasons[0].params == {"query": "milk", "missing": "oat", "asked": "oat milk"}
        assert hit.reasons[0].text == "matches 'milk' but not 'oat'"
    # a result the shopper bought still says it is not what was asked, before the history
    engine.record(Event.purchase("ann", "3", ts=T0))
    mine = personalized_search(engine, search, "ann", "oat milk", k=5)[0]
    assert mine.product_id == "3"
    assert [r.code for r in mine.reasons] == ["matches_partly", "bought_once"]
    # every word matched: the plain reason, with the query as typed
    whole = personalized_search(engine, search, "stranger", "Whole Milk", k=1)[0]
    assert whole.reasons[0] == Reason.of("matches", query="Whole Milk")


def test_a_backend_that_cannot_tell_says_the_query_matched(backend: LocalSearch) -> None:
    careless = FilterIgnoringBackend(backend)  # no query_matches of its own
    assert careless.query_matches("oat milk", ["3"]) == {}
    hits = personalized_search(_engine(), careless, "stranger", "oat milk", k=3)
    assert all(h.reasons[0] == Reason.of("matches", query="oat milk") for h in hits)


def test_match_reason_wording() -> None:
    some = match_reason("oat milk", QueryMatch(matched=("milk",), missing=("oat",)))
    assert (some.code, some.text) == ("matches_partly", "matches 'milk' but not 'oat'")
    none = match_reason("oat milk", QueryMatch(matched=(), missing=("oat", "milk")))
    assert (none.code, none.text) == ("similar", "similar to 'oat milk'")
    assert match_reason(" oat milk ", None) == Reason.of("matches", query="oat milk")
