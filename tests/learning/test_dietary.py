"""Dietary avoidance: diets and taste gaps inferred from orders, overridden by what people say."""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from datetime import datetime

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leafloaf import Event, GraphitiPersonalizationEngine, ValidationError
from leafloaf.learning.dietary import fit_attribute_rates, fit_from_columns, posterior_avoid
from leafloaf.models import Product
from leafloaf.search.base import SearchBackend, SearchFilters, SearchHealth, SearchHit
from tests.learning.builders import MEAT, NOT_MEAT, catalog, day, engine, history

MEAT_DEPT = "department:meat seafood"
SEAFOOD = "aisle:seafood"
PRODUCE = ["banana", "apple", "berries", "kale", "carrots"]
OTHER = ["milk", "eggs", "yogurt", "bread", "rice", "cereal", "coffee"]
VEGETARIANS = [f"veg{i}" for i in range(16)]
NO_FISH = [f"u{i}" for i in range(12)]
"""Ordinary shoppers who buy poultry and beef but never seafood: a taste gap."""


def _population(
    vegetarians: Sequence[str] = VEGETARIANS, ordinary: int = 64
) -> GraphitiPersonalizationEngine:
    """``ordinary`` meat eaters (meat in 50-90 % of orders, pasta with sauce and beef in
    40 %) and the ``vegetarians`` (pasta with sauce, never meat), 10-16 weekly orders of 4-8
    lines each; ``NO_FISH`` never pick seafood; "brief" has a single order."""
    rng = random.Random(7)
    eng = engine(now=day(120))
    for u in range(ordinary):
        user = f"u{u}"
        meat_rate = rng.uniform(0.5, 0.9)
        meats = [m for m in MEAT if m != "salmon"] if user in NO_FISH else MEAT
        baskets = []
        for _ in range(rng.randint(10, 16)):
            basket = [rng.choice(PRODUCE + OTHER) for _ in range(rng.randint(4, 8))]
            if rng.random() < meat_rate or u == 0:
                basket.append(rng.choice(meats))
            if rng.random() < 0.4:
                basket += ["pasta", "sauce", "beef"]
            if u == 0:
                basket.append("chicken")  # a sure meat buyer
            baskets.append(basket)
        eng.record_many(history(user, baskets, start=day(rng.uniform(0, 6))))
    for user in vegetarians:
        baskets = []
        for _ in range(rng.randint(10, 16)):
            basket = [rng.choice(NOT_MEAT) for _ in range(rng.randint(4, 8))]
            if rng.random() < 0.4:
                basket += ["pasta", "sauce"]
            baskets.append(basket)
        eng.record_many(history(user, baskets, start=day(rng.uniform(0, 6))))
    eng.record_many(history("brief", [["banana", "kale"]]))
    eng.fit()
    return eng


@pytest.fixture(scope="module")
def pop() -> GraphitiPersonalizationEngine:
    return _population()


@pytest.fixture(scope="module")
def fresh() -> GraphitiPersonalizationEngine:
    """A copy for the tests that declare or record things, each about shoppers of its own."""
    return _population()


def _precision_recall(
    eng: GraphitiPersonalizationEngine, avoiders: Iterable[str], shoppers: Iterable[str]
) -> tuple[float, float]:
    truth = set(avoiders)
    flagged = {u for u in shoppers if eng.dietary_profile(u).avoids(MEAT_DEPT)}
    tp = len(flagged & truth)
    return tp / max(len(flagged), 1), tp / max(len(truth), 1)


def test_a_fifth_avoiding_all_meat_aisles_is_found_with_high_precision_and_recall(
    pop: GraphitiPersonalizationEngine,
) -> None:
    shoppers = [*VEGETARIANS, *(f"u{u}" for u in range(64))]
    precision, recall = _precision_recall(pop, VEGETARIANS, shoppers)
    assert precision >= 0.9 and recall >= 0.9, (precision, recall)
    meat = next(a for a in pop.dietary_profile("veg0").avoided if a.attribute == MEAT_DEPT)
    assert meat.source == "inferred" and meat.kind == "diet" and meat.family is None
    assert meat.probability >= 0.9
    rates = pop.population.attribute_rates
    assert rates is not None
    # the learned prevalence replaces any "most shoppers buy it" rule
    assert 0.1 < 1 - rates.buyer_share(MEAT_DEPT) < 0.35
    orders = pop.dietary_profile("veg0").orders_seen
    assert any(f"none of your {orders} orders had" in r.text for r in meat.reasons)


def test_an_avoidance_half_the_shoppers_share_is_still_found() -> None:
    half = [f"veg{i}" for i in range(40)]
    eng = _population(vegetarians=half, ordinary=40)
    shoppers = [*half, *(f"u{u}" for u in range(40))]
    precision, recall = _precision_recall(eng, half, shoppers)
    assert precision >= 0.9 and recall >= 0.9, (precision, recall)
    rates = eng.population.attribute_rates
    assert rates is not None and 1 - rates.buyer_share(MEAT_DEPT) > 0.4


def test_one_aisle_missing_while_its_siblings_are_bought_is_a_taste_not_a_diet(
    pop: GraphitiPersonalizationEngine,
) -> None:
    found = 0
    for user in NO_FISH:
        profile = pop.dietary_profile(user)
        assert not profile.avoids(SEAFOOD) and not profile.avoids(MEAT_DEPT), user
        gap = next((t for t in profile.taste_gaps if t.attribute == SEAFOOD), None)
        if gap is not None:
            found += 1
            assert gap.kind == "taste" and gap.family == MEAT_DEPT
            assert any(r.code == "taste_gap" for r in gap.reasons)
    assert found >= len(NO_FISH) // 2
    # vegetarians miss seafood too, but as part of the whole family: one diet, no taste gap
    veg = pop.dietary_profile("veg0")
    assert SEAFOOD not in {t.attribute for t in veg.taste_gaps}
    assert not veg.avoids(SEAFOOD)
    # and a taste gap never filters a proposal
    fan = next(u for u in NO_FISH if pop.dietary_profile(u).taste_gaps)
    assert not pop.shopper_model(fan).avoid.keys() & {
        t.attribute for t in pop.dietary_profile(fan).taste_gaps
    }


def test_repeated_lines_in_one_order_count_as_one_order_of_evidence() -> None:
    cat = catalog()
    products = ["chicken", "banana", "milk"]
    rng = np.random.default_rng(0)
    users = np.repeat(np.arange(30), 4)
    baskets = np.arange(120)
    items = rng.integers(0, 3, size=120)
    once = fit_from_columns(users, baskets, items, products, cat)
    repeat = np.repeat(np.arange(120), rng.integers(1, 4, size=120))  # 1-3 lines of each
    thrice = fit_from_columns(users[repeat], baskets[repeat], items[repeat], products, cat)
    assert once is not None and thrice is not None
    assert once.attributes == thrice.attributes
    for field in ("alpha", "beta", "never"):
        np.testing.assert_allclose(getattr(once, field), getattr(thrice, field), rtol=1e-12)


def test_the_engine_reads_orders_not_lines() -> None:
    """Two vegetarians with the same 12 orders, one buying everything three times over."""
    eng = _population()
    items = ["banana", "milk", "bread", "rice", "kale", "eggs"]
    eng.record_many(history("once", [items] * 12))
    eng.record_many(history("thrice", [items * 3] * 12))
    eng.fit()
    once, thrice = eng.dietary_profile("once"), eng.dietary_profile("thrice")
    assert once.orders_seen == thrice.orders_seen == 12
    assert thrice.lines_seen == 3 * once.lines_seen
    p = {a.attribute: a.probability for a in once.avoided}
    assert p == {a.attribute: a.probability for a in thrice.avoided} and MEAT_DEPT in p


def test_a_single_order_is_weak_evidence(pop: GraphitiPersonalizationEngine) -> None:
    """One order without meat barely moves the learned prevalence; fifteen do."""
    rates = pop.population.attribute_rates
    assert rates is not None
    prior = 1 - rates.buyer_share(MEAT_DEPT)
    brief = pop.dietary_profile("brief")
    assert brief.orders_seen == 1
    p1 = float(posterior_avoid(rates, 1)[rates.index[MEAT_DEPT]])
    assert prior < p1 < 0.9
    meat = next(a for a in pop.dietary_profile("veg0").avoided if a.attribute == MEAT_DEPT)
    assert meat.probability > max(p1, 0.9)


def test_meat_buyers_are_not_inferred_to_avoid_meat(pop: GraphitiPersonalizationEngine) -> None:
    buyers = {e.user_id for e in pop.store.events() if e.product_id in MEAT}
    assert len(buyers) >= 60
    assert not any(pop.dietary_profile(u).avoids(MEAT_DEPT) for u in buyers)


def test_only_attributes_the_shopper_never_bought_are_inferred(
    pop: GraphitiPersonalizationEngine,
) -> None:
    bought: set[str] = set()
    for event in pop.store.events("veg0"):
        bought.update(pop.catalog.attributes(event.product_id or ""))
    profile = pop.dietary_profile("veg0")
    inferred = {a.attribute for a in [*profile.avoided, *profile.taste_gaps]}
    assert MEAT_DEPT in inferred and not inferred & bought
    probs = [a.probability for a in profile.avoided]
    assert probs == sorted(probs, reverse=True)
    cut = pop.config.dietary_probability
    assert all(a.probability >= cut for a in [*profile.avoided, *profile.taste_gaps])


def _one_vegetarian(cut: float) -> GraphitiPersonalizationEngine:
    """30 shoppers with meat in about 60 % of 3 orders; "veg" has 3 orders without."""
    rng = random.Random(1)
    eng = engine(now=day(120), dietary_probability=cut)
    for u in range(30):
        baskets = [[rng.choice(MEAT), "banana"] if rng.random() < 0.6 else ["kale"] for _ in "abc"]
        eng.record_many(history(f"m{u}", baskets))
    eng.record_many(history("veg", [["banana", "milk"]] * 3))
    eng.fit()
    return eng


def test_the_host_chooses_the_probability_cut() -> None:
    loose = _one_vegetarian(0.01)
    found = [a for a in loose.dietary_profile("veg").avoided if a.attribute == MEAT_DEPT]
    assert len(found) == 1
    p = found[0].probability
    assert 0.01 <= p < 1
    assert _one_vegetarian(p / 2 + 0.005).dietary_profile("veg").avoids(MEAT_DEPT)
    strict = _one_vegetarian((p + 1) / 2)
    assert not strict.dietary_profile("veg").avoids(MEAT_DEPT)
    assert strict.dietary_profile("veg").reasons[0].params["probability"] == (p + 1) / 2


@settings(max_examples=25, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(1, 30), st.floats(0, 1)), min_size=2, max_size=25
    ),  # (orders, share of them holding the attribute) per shopper
    st.floats(0, 200),
)
def test_probabilities_are_in_the_unit_interval(
    shoppers: list[tuple[int, float]], orders: float
) -> None:
    n = np.asarray([o for o, _ in shoppers], dtype=np.float64)
    k = np.floor(n * np.asarray([s for _, s in shoppers]))
    rows = np.flatnonzero(k > 0)
    rates = fit_attribute_rates(
        n, rows, np.zeros(len(rows), dtype=np.int64), k[rows], ["department:x"]
    )
    for value in (rates.alpha, rates.beta, rates.never):
        assert np.all(np.isfinite(value)) and np.all(value > 0)
    p = posterior_avoid(rates, orders)
    assert np.all((p >= 0) & (p <= 1))


@settings(max_examples=10, deadline=None)
@given(st.randoms(use_true_random=False))
def test_the_fit_does_not_depend_on_the_order_of_lines(rnd: random.Random) -> None:
    cat = catalog()
    products = ["chicken", "salmon", "banana", "kale", "milk"]
    gen = np.random.default_rng(rnd.randint(0, 2**31))
    users = gen.integers(0, 12, size=80)
    baskets = users * 10 + gen.integers(0, 4, size=80)
    items = gen.integers(0, len(products), size=80)
    a = fit_from_columns(users, baskets, items, products, cat)
    order = gen.permutation(80)
    b = fit_from_columns(users[order], baskets[order], items[order], products, cat)
    assert a is not None and b is not None
    index = [b.index[x] for x in a.attributes]
    for field in ("alpha", "beta", "never"):
        np.testing.assert_allclose(getattr(a, field), getattr(b, field)[index], rtol=1e-9)


def test_declaring_makes_it_declared_with_probability_one(
    fresh: GraphitiPersonalizationEngine,
) -> None:
    fresh.declare_avoidance("veg0", MEAT_DEPT, at=day(100))
    profile = fresh.dietary_profile("veg0")
    entries = [a for a in profile.avoided if a.attribute == MEAT_DEPT]
    assert len(entries) == 1  # declared replaces inferred, not listed twice
    assert entries[0].source == "declared" and entries[0].probability == 1.0
    assert profile.avoided[0].source == "declared"  # declared ones come first
    assert [r.text for r in entries[0].reasons] == [
        "you told us you avoid meat seafood (department)"
    ]
    assert entries[0].reasons[0].params["key"] == "department:meat seafood"


def test_declaration_overrides_purchases(fresh: GraphitiPersonalizationEngine) -> None:
    """u0 buys chicken every week but says they are now vegetarian."""
    fresh.declare_avoidance("u0", MEAT_DEPT, at=day(100))
    profile = fresh.dietary_profile("u0")
    assert profile.avoids(MEAT_DEPT)
    assert profile.avoided[0].attribute == MEAT_DEPT
    assert profile.avoided[0].source == "declared"


def test_declaring_not_avoiding_removes_an_inferred_avoidance(
    fresh: GraphitiPersonalizationEngine,
) -> None:
    assert fresh.dietary_profile("veg1").avoids(MEAT_DEPT)
    fresh.declare_avoidance("veg1", MEAT_DEPT, avoid=False, at=day(100))
    assert not fresh.dietary_profile("veg1").avoids(MEAT_DEPT)
    assert fresh.dietary_profile("veg2").avoids(MEAT_DEPT)  # only veg1 said so


def test_the_latest_statement_wins_whatever_the_recording_order(
    fresh: GraphitiPersonalizationEngine,
) -> None:
    fresh.declare_avoidance("u1", "aisle:milk", avoid=True, at=day(100))
    fresh.declare_avoidance("u1", "aisle:milk", avoid=False, at=day(90))  # older: ignored
    assert fresh.dietary_profile("u1").avoids("aisle:milk")
    fresh.declare_avoidance("u1", "aisle:milk", avoid=False, at=day(110))
    assert not fresh.dietary_profile("u1").avoids("aisle:milk")


def test_declarations_need_no_purchase_history(fresh: GraphitiPersonalizationEngine) -> None:
    fresh.declare_avoidance("newcomer", "aisle:poultry", at=day(1))
    profile = fresh.dietary_profile("newcomer")
    assert profile.lines_seen == 0
    assert [a.attribute for a in profile.avoided] == ["aisle:poultry"]


@pytest.mark.parametrize(
    ("user", "attribute", "at"),
    [
        ("u1", "department:toys", day(1)),  # no product has it
        ("  ", MEAT_DEPT, day(1)),
        ("u1", MEAT_DEPT, datetime(2026, 1, 1)),  # naive on purpose
    ],
)
def test_bad_declarations_are_rejected(
    pop: GraphitiPersonalizationEngine, user: str, attribute: str, at: datetime
) -> None:
    with pytest.raises(ValidationError):
        pop.declare_avoidance(user, attribute, at=at)


def test_inference_needs_a_population() -> None:
    """One shopper alone: nothing to compare with, so nothing is inferred."""
    eng = engine()
    eng.record_many(history("solo", [["banana", "kale", "milk"]] * 20))
    eng.fit()
    assert not eng.dietary_profile("solo").avoids(MEAT_DEPT)


def test_evidence_grows_with_orders(pop: GraphitiPersonalizationEngine) -> None:
    rates = pop.population.attribute_rates
    assert rates is not None
    i = rates.index[MEAT_DEPT]
    p1, p5, p15 = (float(posterior_avoid(rates, n)[i]) for n in (1, 5, 15))
    assert p1 < p5 < p15


def test_recording_meat_later_clears_the_inference(fresh: GraphitiPersonalizationEngine) -> None:
    assert fresh.dietary_profile("veg4").avoids(MEAT_DEPT)
    fresh.record(Event.purchase("veg4", "salmon", basket_id="veg4-late", ts=day(110)))
    assert not fresh.dietary_profile("veg4").avoids(MEAT_DEPT)


# --- every method that proposes products leaves avoidances out ------------------------------


class _EverythingSearch(SearchBackend):
    """A backend that finds every indexed product the filters allow, all equally relevant."""

    name = "everything"

    def __init__(self) -> None:
        self.products: dict[str, Product] = {}
        self.catalog = catalog()

    def index(self, products: Iterable[Product]) -> int:
        self.products.update({p.product_id: p for p in products})
        return len(self.products)

    def search(
        self, query: str, k: int = 10, filters: SearchFilters | None = None
    ) -> list[SearchHit]:
        allowed = filters or SearchFilters()
        return [
            SearchHit(product_id=pid, score=1.0, retriever="bm25")
            for pid, p in sorted(self.products.items())
            if allowed.allows(p, self.catalog.attributes(pid))
        ][:k]

    def remove(self, product_ids: Iterable[str]) -> int:
        return sum(self.products.pop(pid, None) is not None for pid in product_ids)

    def health(self) -> SearchHealth:
        return SearchHealth(backend=self.name, ok=True, mode="memory")


CANDIDATES = ["chicken", "beef", "salmon", "turkey", "banana", "kale", "rice", "milk"]


def _proposed(eng: GraphitiPersonalizationEngine, user: str, method: str) -> list[str]:
    """What one proposing method offers ``user`` (best first)."""
    if method == "usual_order":
        return [i.product_id for i in eng.usual_order(user, k=20).items]
    if method == "next_basket":
        return list(eng.next_basket(user, k=20, at=day(130)).product_ids)
    if method == "reorder_due":
        return [i.product_id for i in eng.reorder_due(user, at=day(130)).items]
    if method == "complements":
        return [c.product_id for c in eng.complements(user, ["pasta", "sauce"], k=10)]
    if method == "search":
        backend = _EverythingSearch()
        backend.index(p for p in eng.catalog if p.product_id in CANDIDATES)
        return [h.product_id for h in eng.search(user, "food", k=20, backend=backend)]
    return list(eng.rerank(user, CANDIDATES).product_ids)


METHODS = ["usual_order", "next_basket", "reorder_due", "complements", "search", "rerank"]
ANSWERS = {"search", "rerank"}
"""Methods that answer a request: they may show an inferred avoidance, lower down."""


def _meat_kept_out(products: list[str], method: str, hard: bool) -> None:
    meat = [p for p in products if p in MEAT]
    rest = [p for p in products if p not in MEAT]
    assert rest, method  # the rest is still proposed
    if hard or method not in ANSWERS:
        assert not meat, (method, products)
    else:  # demoted below every other candidate
        assert all(products.index(m) > products.index(r) for m in meat for r in rest), products


@pytest.mark.parametrize("method", METHODS)
def test_a_declared_avoidance_is_left_out(
    fresh: GraphitiPersonalizationEngine, method: str
) -> None:
    user = f"u{30 + METHODS.index(method)}"  # a meat buyer of its own
    before = _proposed(fresh, user, method)
    assert set(before) & set(MEAT), (method, before)  # meat is proposed to a meat buyer
    fresh.declare_avoidance(user, MEAT_DEPT)
    after = _proposed(fresh, user, method)
    if method == "rerank":  # rerank keeps every candidate, declared ones at the very bottom
        assert set(after[-4:]) == set(MEAT), after
    else:
        _meat_kept_out(after, method, hard=True)


@pytest.mark.parametrize("method", METHODS)
def test_an_inferred_avoidance_is_left_out(pop: GraphitiPersonalizationEngine, method: str) -> None:
    assert pop.dietary_profile("veg3").avoids(MEAT_DEPT)
    ordinary = _proposed(pop, "u20", method)
    assert set(ordinary) & set(MEAT), (method, ordinary)
    _meat_kept_out(_proposed(pop, "veg3", method), method, hard=False)


def test_leaving_out_is_said_in_the_reasons(fresh: GraphitiPersonalizationEngine) -> None:
    fresh.declare_avoidance("u0", MEAT_DEPT)
    reasons = fresh.usual_order("u0", k=20).reasons + fresh.reorder_due("u0", at=day(130)).reasons
    assert "left_out_declared" in {r.code for r in reasons}
    assert any("you told us you avoid" in r.text and "left out" in r.text for r in reasons)
