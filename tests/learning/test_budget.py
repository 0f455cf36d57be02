"""Budget awareness: unit prices per size, positions centred on what the population buys,
the probability of picking the cheaper option, and the learned price weight."""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leafloaf import Catalog, Event, GraphitiPersonalizationEngine, Product, Reason
from leafloaf.errors import ValidationError
from leafloaf.learning.prices import fit_price_model
from tests.learning.builders import PRICE, SHELF, day, engine, history, weekly

AISLES = list(SHELF)


def _priced(user: str, picks: list[list[str]], rng: random.Random | None = None) -> list[Event]:
    """One order per entry of ``picks``, each line at its catalog price (±5 % jitter)."""
    events = []
    for n, items in enumerate(picks):
        for event in history(user, [items], start=day(7 * n), basket_prefix=f"{user}-{n}"):
            jitter = rng.uniform(0.95, 1.05) if rng else 1.0
            price = PRICE[event.product_id or ""]
            assert price is not None
            events.append(event.model_copy(update={"unit_price": round(price * jitter, 2)}))
    return events


def _population() -> GraphitiPersonalizationEngine:
    """20 mixed shoppers pick any product of each aisle at random every week; "saver"
    always picks the cheapest of each aisle, "splurger" the dearest, "steady" the middle
    one; "noprice" records no prices, "few" has only two priced lines."""
    rng = random.Random(8)
    eng = engine()
    for u in range(20):
        picks = [[rng.choice(SHELF[a]) for a in AISLES] for _ in range(6)]
        eng.record_many(_priced(f"mix{u}", picks, rng))
    eng.record_many(_priced("saver", [[SHELF[a][0] for a in AISLES]] * 6, rng))
    eng.record_many(_priced("splurger", [[SHELF[a][-1] for a in AISLES]] * 6, rng))
    eng.record_many(_priced("steady", [[SHELF[a][1] for a in AISLES]] * 6, rng))
    eng.record_many(weekly("noprice", ["milk", "bread"], 4))
    eng.record_many(_priced("few", [["cheapmilk", "whitebread"]], rng))
    eng.fit()
    return eng


@pytest.fixture(scope="module")
def pop() -> GraphitiPersonalizationEngine:
    return _population()


def test_cheapest_picker_is_price_sensitive(pop: GraphitiPersonalizationEngine) -> None:
    saver, steady = pop.budget_profile("saver"), pop.budget_profile("steady")
    assert saver.sensitivity == "price-sensitive"
    assert saver.price_position is not None and saver.price_position < -0.5
    assert saver.percentile is not None and saver.percentile < 1 / 3
    assert saver.lines_priced == 24
    assert saver.cheaper_probability is not None and steady.cheaper_probability is not None
    assert saver.cheaper_probability > steady.cheaper_probability
    assert saver.standard_error is not None and 0 < saver.standard_error < 1


def test_dearest_picker_is_premium(pop: GraphitiPersonalizationEngine) -> None:
    splurger = pop.budget_profile("splurger")
    assert splurger.sensitivity == "premium"
    assert splurger.price_position is not None and splurger.price_position > 0.5
    assert splurger.percentile is not None and splurger.percentile > 2 / 3
    assert splurger.cheaper_probability is not None
    assert splurger.typical_cheaper_rate is not None
    assert splurger.cheaper_probability < splurger.typical_cheaper_rate


def test_middle_picker_is_mainstream(pop: GraphitiPersonalizationEngine) -> None:
    steady = pop.budget_profile("steady")
    saver, splurger = pop.budget_profile("saver"), pop.budget_profile("splurger")
    assert steady.sensitivity == "mainstream"
    assert saver.price_position < steady.price_position < splurger.price_position  # type: ignore[operator]


def test_the_population_rate_is_one_half_by_construction(
    pop: GraphitiPersonalizationEngine,
) -> None:
    """``cheaper`` is the chance of being cheaper than a random purchase of the group, so
    over the population's own lines it averages ½ whatever the prices."""
    prices = pop.population.prices
    assert prices is not None
    assert prices.base_rate == pytest.approx(0.5)


def test_no_history_means_unknown(pop: GraphitiPersonalizationEngine) -> None:
    profile = pop.budget_profile("stranger")
    assert profile.sensitivity == "unknown"
    assert profile.price_position is None and profile.cheaper_probability is None
    assert profile.lines_priced == 0
    assert profile.reasons == [Reason.of("no_prices")]


def test_products_with_known_prices_place_a_shopper_who_recorded_none(
    pop: GraphitiPersonalizationEngine,
) -> None:
    """The position reads the products chosen (their unit prices are the population's), so
    purchases recorded without a price still say where the shopper buys."""
    noprice = pop.budget_profile("noprice")
    assert noprice.lines_priced == 8 and noprice.price_position is not None


def test_two_lines_are_not_enough_for_a_label(pop: GraphitiPersonalizationEngine) -> None:
    few = pop.budget_profile("few")
    assert few.lines_priced == 2 and few.sensitivity == "mainstream"
    assert few.price_position is not None and few.price_position < 0
    # shrunk toward the typical purchase: two cheap lines move it less than 24 do
    saver = pop.budget_profile("saver")
    assert saver.price_position is not None and few.price_position > saver.price_position


def test_the_host_chooses_the_credibility_of_a_label(pop: GraphitiPersonalizationEngine) -> None:
    """Two cheap lines are some evidence: enough for a host content with 60 %, not for 90 %."""
    assert pop.budget_profile("few", credibility=0.9).sensitivity == "mainstream"
    assert pop.budget_profile("few", credibility=0.6).sensitivity == "price-sensitive"
    for bad in (0.5, 1.0, -1, "high"):
        with pytest.raises(ValidationError, match="credibility"):
            pop.budget_profile("saver", credibility=bad)  # type: ignore[arg-type]


def test_reasons_give_the_probability_in_words(pop: GraphitiPersonalizationEngine) -> None:
    saver = pop.budget_profile("saver")
    share = next(r for r in saver.reasons if r.code == "price_cheaper_share")
    assert share.params["probability"] == pytest.approx(saver.cheaper_probability)
    assert "%" in share.text and "shoppers overall" in share.text


def test_population_positions_are_sorted_and_finite(pop: GraphitiPersonalizationEngine) -> None:
    positions = pop.population.price_positions
    assert len(positions) == 25  # every shopper who bought a comparable product
    assert all(math.isfinite(p) for p in positions)
    assert list(positions) == sorted(positions)


def test_a_bigger_pack_cheaper_per_ounce_ranks_as_cheaper() -> None:
    """Per package the 32 oz bag is the dearest; per ounce it is the cheapest."""
    catalog = Catalog(
        [
            Product(product_id="small", name="Coffee 12 OZ", categories=("drinks", "coffee"),
                    size=12 * 28.35, unit="g"),
            Product(product_id="mid", name="Coffee 16 OZ", categories=("drinks", "coffee"),
                    size=16 * 28.35, unit="g"),
            Product(product_id="big", name="Coffee 32 OZ", categories=("drinks", "coffee"),
                    size=32 * 28.35, unit="g"),
        ]
    )  # fmt: skip
    log_price = {"small": math.log(6.0), "mid": math.log(9.0), "big": math.log(12.0)}
    model, _ = fit_price_model(catalog, log_price, {"small": 5.0, "mid": 5.0, "big": 5.0})
    assert model.z["big"] < model.z["small"] < model.z["mid"]
    assert model.cheaper["big"] > model.cheaper["small"] > model.cheaper["mid"]
    assert model.group["big"] == "aisle:coffee|mass"


def test_products_without_a_size_compare_per_package_among_themselves() -> None:
    catalog = Catalog(
        [
            Product(product_id="a", name="A", categories=("d", "c")),
            Product(product_id="b", name="B", categories=("d", "c")),
            Product(product_id="sized", name="S", categories=("d", "c"), size=100, unit="g"),
        ]
    )
    log_price = {"a": 0.0, "b": 1.0, "sized": 5.0}
    model, _ = fit_price_model(catalog, log_price, {"a": 1.0, "b": 1.0, "sized": 1.0})
    assert model.group["a"] == model.group["b"] == "aisle:c|package"
    assert "sized" not in model.z  # alone in its group: nothing to compare it with
    assert model.z["a"] < model.z["b"]


# --- the learned weight -------------------------------------------------------------------

SHELVES = 4
PER_SHELF = 8


def _shelf_catalog() -> Catalog:
    return Catalog(
        Product(
            product_id=f"s{s}p{j}",
            name=f"Shelf {s} product {j}",
            categories=("store", f"shelf{s}"),
            price=1.0 + 0.5 * j,
            size=500.0,
            unit="g",
        )
        for s in range(SHELVES)
        for j in range(PER_SHELF)
    )


def _choices(sensitive: int, others: int, seed: int, weeks: int = 10) -> list[Event]:
    """Every week each shopper is offered 3 random products of each shelf; the first
    ``sensitive`` shoppers take the cheapest offered, the others any one of them."""
    rng = random.Random(seed)
    events = []
    for u in range(sensitive + others):
        user = f"{'cheap' if u < sensitive else 'any'}{u}"
        for week in range(weeks):
            for s in range(SHELVES):
                offered = rng.sample(range(PER_SHELF), 3)
                j = min(offered) if u < sensitive else rng.choice(offered)
                events.append(
                    Event.purchase(user, f"s{s}p{j}", ts=day(7 * week), basket_id=f"{user}-{week}",
                                   unit_price=1.0 + 0.5 * j)
                )  # fmt: skip
    return events


def _fitted(events: list[Event]) -> GraphitiPersonalizationEngine:
    eng = engine(products=_shelf_catalog())
    eng.record_many(events)
    eng.fit()
    return eng


def _choosers(
    sensitive: int, others: int, seed: int, weeks: int = 10
) -> GraphitiPersonalizationEngine:
    return _fitted(_choices(sensitive, others, seed, weeks))


def test_cheapest_pickers_teach_a_positive_weight_and_read_as_sensitive() -> None:
    eng = _choosers(sensitive=30, others=30, seed=1)
    prices = eng.population.prices
    assert prices is not None
    assert prices.weight > 0, prices.weight_fit
    assert prices.weight_fit["held_out_gain_per_case"] > 0
    cheap = [eng.budget_profile(f"cheap{u}") for u in range(30)]
    anyone = [eng.budget_profile(f"any{u}") for u in range(30, 60)]
    p_cheap = [b.cheaper_probability for b in cheap if b.cheaper_probability is not None]
    p_any = [b.cheaper_probability for b in anyone if b.cheaper_probability is not None]
    assert min(p_cheap) > max(p_any)
    assert sum(b.sensitivity == "price-sensitive" for b in cheap) > 25
    assert sum(b.sensitivity == "price-sensitive" for b in anyone) < 5
    # the learned term is on: a cheap picker's re-ranking lifts the cheap end of a shelf
    ranked = eng.rerank("cheap0", [f"s0p{j}" for j in reversed(range(PER_SHELF))])
    scores = {p.product_id: p.score for p in ranked}
    assert scores["s0p0"] > scores["s0p7"]


def test_random_price_choice_learns_no_weight() -> None:
    eng = _choosers(sensitive=0, others=60, seed=2)
    prices = eng.population.prices
    assert prices is not None
    assert prices.weight == pytest.approx(0.0, abs=0.05), prices.weight_fit
    ranked = eng.rerank("any0", [f"s0p{j}" for j in range(PER_SHELF)])
    assert prices.weight or all("price" not in r.code for p in ranked for r in p.reasons)


def test_the_weight_does_not_depend_on_arrival_order() -> None:
    events = _choices(sensitive=10, others=10, seed=3, weeks=6)
    shuffled = list(events)
    random.Random(5).shuffle(shuffled)
    a, b = _fitted(events).population.prices, _fitted(shuffled).population.prices
    assert a is not None and b is not None
    assert a.weight == pytest.approx(b.weight)
    assert a.shrinkage == pytest.approx(b.shrinkage) and a.prior == pytest.approx(b.prior)


def test_a_host_weight_overrides_the_learned_one() -> None:
    eng = _choosers(sensitive=0, others=30, seed=4, weeks=6)
    forced = engine(products=_shelf_catalog(), price_weight=2.0)
    forced.record_many(
        Event.purchase("saver", f"s{s}p0", ts=day(7 * w), basket_id=f"v{w}", unit_price=1.0)
        for w in range(4)
        for s in range(SHELVES)
    )
    forced.record_many(
        Event.purchase(f"r{u}", f"s{s}p{(u + w) % PER_SHELF}", ts=day(7 * w),
                       basket_id=f"r{u}-{w}", unit_price=1.0 + 0.5 * ((u + w) % PER_SHELF))
        for u in range(10) for w in range(4) for s in range(SHELVES)
    )  # fmt: skip
    forced.fit()
    model = forced.shopper_model("saver")
    assert model.price_z is not None and model.price_z < 0
    terms = model.score("s1p1", 0, forced.population, forced.catalog, forced.config)
    assert terms["price"] == pytest.approx(
        2.0 * model.price_z * forced.population.prices.z["s1p1"]  # type: ignore[union-attr]
    )
    assert eng.config.price_weight is None  # the default is "learned"


def test_without_prices_there_is_no_price_model_and_no_price_term() -> None:
    eng = engine()
    eng.record_many(weekly("shopper", ["milk", "bread"], 4))
    eng.record_many(weekly("other", ["oatmilk", "rye"], 4))
    catalog = Catalog(
        p.model_copy(update={"price": None}) for p in eng.catalog
    )  # the shared catalog has prices: drop them
    bare = engine(products=catalog)
    bare.record_many(weekly("shopper", ["milk", "bread"], 4))
    bare.record_many(weekly("other", ["oatmilk", "rye"], 4))
    bare.fit()
    assert bare.population.prices is None
    assert bare.budget_profile("shopper").sensitivity == "unknown"
    for scored in bare.rerank("shopper", ["oatmilk", "milk", "cheapmilk"]):
        assert all(r.code not in ("price_fits", "price_differs") for r in scored.reasons)
    model = bare.shopper_model("shopper")
    assert "price" not in model.score("milk", 0, bare.population, bare.catalog, bare.config)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(
            st.integers(0, 3),  # shopper
            st.sampled_from(sorted(p for p in PRICE if PRICE[p] is not None)),
            st.floats(0.0, 500.0, allow_nan=False),  # paid, 0 included
            st.integers(0, 5),  # week
        ),
        min_size=1,
        max_size=40,
    )
)
def test_budget_results_stay_finite_and_bounded(
    lines: list[tuple[int, str, float, int]],
) -> None:
    eng = engine()
    eng.record_many(
        Event.purchase(f"u{u}", pid, ts=day(7 * w), basket_id=f"u{u}-{w}", unit_price=paid)
        for u, pid, paid, w in lines
    )
    eng.fit()
    for u in range(4):
        b = eng.budget_profile(f"u{u}")
        if b.cheaper_probability is None:
            assert b.sensitivity == "unknown"
            continue
        assert 0.0 <= b.cheaper_probability <= 1.0
        assert b.typical_cheaper_rate is not None and 0 < b.typical_cheaper_rate < 1
        assert b.price_position is not None and -3.0 <= b.price_position <= 3.0
        assert b.standard_error is not None and math.isfinite(b.standard_error)
        assert b.percentile is None or 0.0 <= b.percentile <= 1.0
        assert b.sensitivity in {"price-sensitive", "mainstream", "premium"}
        assert all(r.text for r in b.reasons)
    prices = eng.population.prices
    if prices is not None:
        assert math.isfinite(prices.weight) and prices.weight >= 0
        assert math.isfinite(prices.shrinkage) and prices.shrinkage > 0
