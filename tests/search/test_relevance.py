"""Relevance learned from the catalog: spelling by frequency, fields, head nouns, tiers."""

from __future__ import annotations

import numpy as np
import pytest

from leafloaf import Product
from leafloaf.search.base import QueryMatch
from leafloaf.search.lexical import FILED_COVERAGE, channel, function_words, tier_order
from leafloaf.search.local import LocalSearch


def _catalog(names: list[tuple[str, str]]) -> list[Product]:
    return [Product(product_id=str(i), name=n, categories=("dept", aisle))
            for i, (n, aisle) in enumerate(names)]  # fmt: skip


def _search(names: list[tuple[str, str]]) -> tuple[LocalSearch, list[Product]]:
    products = _catalog(names)
    search = LocalSearch(dense=False)
    search.index(products)
    return search, products


def _names(search: LocalSearch, products: list[Product], query: str, k: int = 3) -> list[str]:
    return [products[int(h.product_id)].name for h in search.search(query, k=k)]


def test_a_rare_catalog_misspelling_does_not_block_the_correction() -> None:
    names = [(f"Organic Strawberries {i}", "fresh fruits") for i in range(200)]
    search, products = _search([("Igf Sliced Strawberies", "frozen"), *names])
    for query in ("strawbery", "strawberies"):
        top = _names(search, products, query, k=5)
        assert all(n.startswith("Organic Strawberries") for n in top), (query, top)


def test_a_frequent_word_is_never_corrected_to_a_more_frequent_neighbour() -> None:
    beef = [(f"Ground Beef {i}", "meat") for i in range(40)]
    beet = [(f"Golden Beet {i}", "vegetables") for i in range(8)]
    search, products = _search(beef + beet)
    assert all("Beet" in n for n in _names(search, products, "beet", k=8))
    assert search.query_terms("beet") == (["beet"], False)


def test_spelling_variants_map_both_ways() -> None:
    yogurts = [(f"Greek Yogurt {i}", "yogurt") for i in range(40)]
    search, products = _search([("Honey Yoghurt", "yogurt"), *yogurts])
    assert _names(search, products, "yoghurt", k=1) == ["Honey Yoghurt"]
    assert "Honey Yoghurt" in _names(search, products, "yogurt", k=41)
    hits = search.search("yoghurt", k=41)
    assert len(hits) == 41 and hits[0].score > hits[-1].score  # the exact spelling first


def test_typo_probability_prefers_common_slips() -> None:
    assert channel("strawbery", "strawberry") > channel("strawbzry", "strawberry")
    assert channel("avacado", "avocado") > channel("avbcado", "avocado")
    assert channel("ab", "ba") > 0  # a swap is one edit


def test_repeated_words_count_once_and_the_head_noun_decides() -> None:
    search, products = _search([
        ("Organic Bananas Bananas Bananas Super Smooth Puree Stage 1", "baby food"),
        ("Organic Bananas", "fresh fruits"),
        ("Avocado Slicer", "kitchen"), ("Hass Avocado", "fresh fruits"),
        ("Organic Avocado", "fresh fruits"), ("Avocado Oil", "oils"),
        ("Almond Milk Ricotta", "cheese"), ("Unsweetened Almond Milk", "milk alternatives"),
        ("Whole Milk", "milk"), ("Puree Pouch", "baby food"), ("Kitchen Slicer", "kitchen"),
    ])  # fmt: skip
    assert _names(search, products, "organic bananas", k=1) == ["Organic Bananas"]
    assert set(_names(search, products, "avocado", k=2)) == {"Hass Avocado", "Organic Avocado"}
    assert _names(search, products, "almond milk", k=1) == ["Unsweetened Almond Milk"]


def test_name_words_outrank_aisle_words_and_compounds_match_both_ways() -> None:
    search, products = _search([
        ("Unsweetened Almondmilk", "soy lactosefree"), ("Soy Sauce", "asian foods"),
        ("Less Sodium Soy Sauce", "asian foods"), ("Almond Milk", "soy lactosefree"),
    ])  # fmt: skip
    assert set(_names(search, products, "soy sauce", k=2)) == {"Soy Sauce", "Less Sodium Soy Sauce"}
    both = {"Unsweetened Almondmilk", "Almond Milk"}
    assert set(_names(search, products, "almond milk", k=2)) == both
    assert set(_names(search, products, "almondmilk", k=2)) == both


def test_the_prior_orders_and_keeps_products_inside_a_tier_only() -> None:
    search, _ = _search([(f"Greek Yogurt {i}", "yogurt") for i in range(6)]
                               + [("Yogurt Covered Pretzels", "snacks")])  # fmt: skip
    favourite = {"4": 100.0, "6": 1e6}
    hits = search.search_with_prior("greek yogurt", k=2, prior=favourite)
    assert hits[0].product_id == "4"  # kept and first although k=2 cuts the tier
    plain = search.search("greek yogurt", k=2)
    assert [h.product_id for h in plain] == ["0", "1"]
    ranked = [h.product_id for h in search.search_with_prior("yogurt", k=7, prior=favourite)]
    assert ranked.index("6") > ranked.index("0")  # popular, but a weaker match


def test_tier_order_puts_the_aisle_people_buy_first_inside_a_tier() -> None:
    scores = np.array([2.0, 2.0, 2.0, 2.0, 1.0])
    bought = np.array([3.0, 0.0, 50.0, 0.0, 99.0])
    aisles = np.array([0, 0, 1, 1, 2])
    # aisle 1 holds 50 of the tier's 53 purchases: its unbought product beats aisle 0's
    assert tier_order(scores, bought, aisles).tolist() == [2, 3, 0, 1, 4]


def test_function_words_are_learned_from_the_names_not_listed() -> None:
    joined = [f"{a} and {b}" for a in ("Salt", "Mac", "Rock", "Bread") for b in ("Pepper", "Jam")]
    names = [*joined, "Cheez-It Crackers", "Cheez-It Snack Mix", "No Salt Added Beans"]
    assert function_words(names) == frozenset({"and"})  # "it" and "no" name things here
    search, _ = _search([(n, "pantry") for n in names])
    assert search.query_words("beans and salt") == ["bean", "salt"]
    assert search.query_words("no salt") == ["no", "salt"]


def test_words_the_catalog_holds_side_by_side_are_read_as_typed() -> None:
    cheeses = [(f"Sharp Cheddar Cheese {i}", "packaged cheese") for i in range(60)]
    crackers = [("Cheez-It Baked Snack Crackers", "crackers"), ("Cheez-It Grooves", "crackers")]
    search, products = _search([*cheeses, *crackers])
    assert _names(search, products, "cheez it", k=2) == [n for n, _ in crackers]


def test_the_aisle_a_product_is_filed_under_names_its_head() -> None:
    tortillas = [(f"{k} Flour Tortillas", "tortillas flat bread") for k in ("Soft", "Large")]
    flours = [("All Purpose Flour", "baking ingredients"), ("Bread Flour", "baking ingredients")]
    search, products = _search([*tortillas, *flours, ("Corn Tortillas", "tortillas flat bread")])
    popular = {str(i): 1000.0 for i in range(2)}  # the tortillas sell far more
    hits = search.search_with_prior("flour", k=4, prior=popular)
    assert [products[int(h.product_id)].aisle for h in hits[:2]] == ["baking ingredients"] * 2


def test_the_query_head_is_chosen_like_a_name_head() -> None:
    milks = [(f"{k} Milk", "milk") for k in ("Whole", "Skim", "Oat", "Almond", "Goat")]
    oats = [(f"{k} Oats", "cereal") for k in ("Rolled", "Steel Cut")]
    search, products = _search([*milks, *oats, ("Oat Milk Ice Cream", "ice cream")])
    assert _names(search, products, "oat milk", k=1) == ["Oat Milk"]


def test_a_query_that_is_a_category_name_retrieves_that_category() -> None:
    fruits = [(n, "fresh fruits") for n in ("Banana", "Honeycrisp Apple", "Hass Avocado")]
    named = [(f"Fresh Cut {n}", "packaged vegetables fruits") for n in ("Kale", "Beans", "Corn")]
    search, products = _search([*named, *fruits, ("Fruit Snacks", "candy")])
    tiers = {products[int(h.product_id)].name: h.score for h in search.search("fresh fruits", k=7)}
    assert min(tiers[n] for n, _ in fruits) > max(tiers[n] for n, _ in named)
    # filed there, though no name says "fresh fruits": the tier just below a full match
    assert max(tiers[n] for n, _ in fruits) == pytest.approx(2.0 * FILED_COVERAGE)
    # one word of the aisle's name is not its name: "fruit" matches the aisle field only
    partial = {products[int(h.product_id)].name: h.score for h in search.search("fruit", k=7)}
    assert max(partial[n] for n, _ in fruits) < 2.0


def _said(search: LocalSearch, products: list[Product], query: str) -> dict[str, QueryMatch]:
    matches = search.query_matches(query, [p.product_id for p in products])
    return {products[int(pid)].name: match for pid, match in matches.items()}


def test_query_matches_name_the_words_a_product_holds() -> None:
    search, products = _search([("Whole Milk", "milk"), ("Rolled Oats", "cereal")])
    said = _said(search, products, "Oat Milk")
    assert said["Whole Milk"] == QueryMatch(matched=("milk",), missing=("oat",))
    assert said["Rolled Oats"] == QueryMatch(matched=("oat",), missing=("milk",))  # stemmed
    assert _said(search, products, "milk")["Whole Milk"].missing == ()


def test_query_matches_read_words_as_the_search_does() -> None:
    strawberries = [(f"Organic Strawberries {i}", "fresh fruits") for i in range(20)]
    search, products = _search([("Unsweetened Almondmilk", "soy lactosefree"), *strawberries])
    # a compound in the name holds both query words; a typo reads as the catalog word
    assert _said(search, products, "almond milk")["Unsweetened Almondmilk"].missing == ()
    assert _said(search, products, "strawbery")["Organic Strawberries 0"].matched == ("strawbery",)
    # a query naming the aisle matches every word of the products filed there
    assert _said(search, products, "fresh fruits")["Organic Strawberries 3"].missing == ()
    assert search.query_matches("milk", ["no-such-id"]) == {}


def test_a_category_query_puts_its_named_products_first_and_other_aisles_last() -> None:
    wines = [(n, "white wines") for n in ("Natural White Wine", "Sauvignon Blanc", "Pinot Grigio")]
    cooking = [(f"White Cooking Wine {i}", "oils vinegars") for i in range(3)]
    search, products = _search([*cooking, *wines])
    popular = {str(i): 1000.0 for i in range(3)}  # the cooking wines sell far more
    hits = search.search_with_prior("white wine", k=6, prior=popular)
    names = [products[int(h.product_id)].name for h in hits]
    # the wine named "white wine" first, the other white wines next, cooking wine last
    assert names[0] == "Natural White Wine"
    assert set(names[1:3]) == {"Sauvignon Blanc", "Pinot Grigio"}
    assert all(n.startswith("White Cooking Wine") for n in names[3:])
