"""Scripted dialogues over the Instacart sample: intent and cart after every turn, diet kept.

Each dialogue is a shopper id (real ones from the sample have histories; ``n..`` ones are
new) and turns of (message, intents the assistant must find, cart it must hold after).
Every expected answer was read and judged right for a shopper before it was written here.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from leafloaf import Assistant, GraphitiPersonalizationEngine
from leafloaf.datasets import load_instacart

SAMPLE = Path(__file__).resolve().parents[2] / "examples" / "data" / "instacart_sample"

Turn = tuple[str, list[str], dict[str, float]]

DIALOGUES: list[tuple[str, list[Turn]]] = [
    (
        "n01",
        [
            ("add bananas", ["add"], {"Banana": 1}),
            ("make it three", ["set_quantity"], {"Banana": 3}),
            ("show my cart", ["show_cart"], {"Banana": 3}),
        ],
    ),
    (
        "n02",
        [
            ("add milk", ["add"], {}),
            ("the second one", ["add"], {"Organic Reduced Fat Milk": 1}),
            ("actually two", ["set_quantity"], {"Organic Reduced Fat Milk": 2}),
            ("show my cart", ["show_cart"], {"Organic Reduced Fat Milk": 2}),
        ],
    ),
    (
        "n03",
        [
            ("show me salsa", ["search"], {}),
            ("add the first one", ["add"], {"Organic Medium Salsa": 1}),
            (
                "add 2 bananas and show my cart",
                ["add", "show_cart"],
                {"Organic Medium Salsa": 1, "Banana": 2},
            ),
            ("remove the salsa", ["remove"], {"Banana": 2}),
        ],
    ),
    (
        "n04",
        [
            ("hi", ["other"], {}),
            ("add organic whole milk", ["add"], {"Organic Whole Milk": 1}),
            ("add a dozen eggs", ["add"], {"Organic Whole Milk": 1}),
            (
                "the first one",
                ["add"],
                {"Organic Whole Milk": 1, "Organic Large Grade AA Brown Eggs": 1},
            ),
            (
                "whats in my cart",
                ["show_cart"],
                {"Organic Whole Milk": 1, "Organic Large Grade AA Brown Eggs": 1},
            ),
        ],
    ),
    (
        "n05",
        [
            ("ad bananas pls", ["add"], {"Banana": 1}),
            ("chekout", ["checkout"], {}),
        ],
    ),
    (
        "n06",
        [
            ("i'm vegetarian", ["preference"], {}),
            ("show me chicken", ["search"], {}),
            ("search for sausage", ["search"], {}),
        ],
    ),
    (
        "16229",
        [
            ("what do i usually buy", ["usual"], {}),
            ("add the second one", ["add"], {"Banana": 1}),
            ("add the first one", ["add"], {"Banana": 1, "Semi-Sweet Mini Chocolate Chips": 1}),
            ("checkout", ["checkout"], {}),
        ],
    ),
    (
        "n07",
        [
            ("add three limes", ["add"], {"Limes": 3}),
            ("add 2 avocados", ["add"], {"Limes": 3, "Avocado": 2}),
            ("remove one avocado", ["remove"], {"Limes": 3, "Avocado": 1}),
            ("remove the limes", ["remove"], {"Avocado": 1}),
            ("show cart", ["show_cart"], {"Avocado": 1}),
        ],
    ),
    (
        "n08",
        [
            ("do you have mac and cheese", ["search"], {}),
            ("the vegan one", ["add"], {"Vegan White Cheddar Mac & Cheese": 1}),
            ("thanks", ["other"], {"Vegan White Cheddar Mac & Cheese": 1}),
        ],
    ),
    (
        "n09",
        [
            ("add milk, eggs and bread", ["add"], {}),
            ("the organic one", ["add"], {"Organic Whole Milk": 1}),
            ("show my cart", ["show_cart"], {"Organic Whole Milk": 1}),
        ],
    ),
    (
        "142034",
        [
            ("add milk", ["add"], {"Organic Whole Milk": 1}),
            ("add bananas", ["add"], {"Organic Whole Milk": 1, "Bag of Organic Bananas": 1}),
            (
                "add tortillas",
                ["add"],
                {
                    "Organic Whole Milk": 1,
                    "Bag of Organic Bananas": 1,
                    "Organic Traditional Flour Tortillas": 1,
                },
            ),
            (
                "show my cart",
                ["show_cart"],
                {
                    "Organic Whole Milk": 1,
                    "Bag of Organic Bananas": 1,
                    "Organic Traditional Flour Tortillas": 1,
                },
            ),
        ],
    ),
    (
        "118470",
        [
            ("what am i running out of", ["due"], {}),
            ("add the first one", ["add"], {"Peach": 1}),
            ("add the second one", ["add"], {"Peach": 1, "Granny Smith Apples": 1}),
            ("make it 4", ["set_quantity"], {"Peach": 1, "Granny Smith Apples": 4}),
            ("show my cart", ["show_cart"], {"Peach": 1, "Granny Smith Apples": 4}),
        ],
    ),
    (
        "50484",
        [
            ("my usual please", ["usual"], {}),
            (
                "add my usual",
                ["usual"],
                {
                    "Banana": 1,
                    "Red Potatoes": 1,
                    "Sweet Potato Yam": 1,
                    "100% Whole Wheat Bread": 1,
                    "Bartlett Pears": 1,
                    "Baby Vegetable Medley Steamers": 1,
                },
            ),
            (
                "remove the bananas",
                ["remove"],
                {
                    "Red Potatoes": 1,
                    "Sweet Potato Yam": 1,
                    "100% Whole Wheat Bread": 1,
                    "Bartlett Pears": 1,
                    "Baby Vegetable Medley Steamers": 1,
                },
            ),
            (
                "show my cart",
                ["show_cart"],
                {
                    "Red Potatoes": 1,
                    "Sweet Potato Yam": 1,
                    "100% Whole Wheat Bread": 1,
                    "Bartlett Pears": 1,
                    "Baby Vegetable Medley Steamers": 1,
                },
            ),
        ],
    ),
    (
        "120492",
        [
            ("add milk", ["add"], {"Milk, Organic, Vitamin D": 1}),
            ("make it two", ["set_quantity"], {"Milk, Organic, Vitamin D": 2}),
            ("add lemonade", ["add"], {"Milk, Organic, Vitamin D": 2, "Lemonade": 1}),
            ("checkout", ["checkout"], {}),
            ("show my cart", ["show_cart"], {}),
        ],
    ),
    (
        "21707",
        [
            ("i don't eat dairy", ["preference"], {}),
            ("show me cheese", ["search"], {}),
            ("add butter", ["add"], {}),
        ],
    ),
    (
        "n10",
        [
            ("add 2 limes and 3 avocados", ["add", "set_quantity"], {"Limes": 2, "Avocado": 3}),
            ("show my cart", ["show_cart"], {"Limes": 2, "Avocado": 3}),
        ],
    ),
    (
        "n11",
        [
            ("add organic whole milk", ["add"], {"Organic Whole Milk": 1}),
            ("add organic whole milk", ["add"], {"Organic Whole Milk": 2}),
            ("remove it", ["remove"], {}),
            ("show my cart", ["show_cart"], {}),
        ],
    ),
    (
        "n12",
        [
            ("show me coffee", ["search"], {}),
            ("add number 2", ["add"], {"French Roast Single Serve Cups Dark Roast Coffee": 1}),
            (
                "add the last one",
                ["add"],
                {
                    "French Roast Single Serve Cups Dark Roast Coffee": 1,
                    "Double Espresso Cold Brew Coffee": 1,
                },
            ),
            (
                "show my cart",
                ["show_cart"],
                {
                    "French Roast Single Serve Cups Dark Roast Coffee": 1,
                    "Double Espresso Cold Brew Coffee": 1,
                },
            ),
        ],
    ),
    (
        "n13",
        [
            ("add banana", ["add"], {"Banana": 1}),
            ("add strawberries", ["add"], {"Banana": 1, "Strawberries": 1}),
            ("remove the first item", ["remove"], {"Strawberries": 1}),
            ("show my cart", ["show_cart"], {"Strawberries": 1}),
        ],
    ),
    (
        "n14",
        [
            ("add sparkling water x2", ["add"], {}),
            ("show my cart", ["show_cart"], {}),
        ],
    ),
    (
        "n15",
        [
            ("search yogurt", ["search"], {}),
            ("the greek one", ["add"], {"Total Greek Strained Yogurt": 1}),
            ("make it 3", ["set_quantity"], {"Total Greek Strained Yogurt": 3}),
            ("remove one", ["remove"], {"Total Greek Strained Yogurt": 2}),
            ("show my cart", ["show_cart"], {"Total Greek Strained Yogurt": 2}),
        ],
    ),
    (
        "n16",
        [
            ("add oat milk", ["add"], {}),
            ("the first one", ["add"], {"Organic Whole Milk": 1}),
            ("show my cart", ["show_cart"], {"Organic Whole Milk": 1}),
        ],
    ),
    (
        "n17",
        [
            ("add cucumber", ["add"], {}),
            ("add limes", ["add"], {"Limes": 1}),
            ("checkout", ["checkout"], {}),
            ("show my cart", ["show_cart"], {}),
        ],
    ),
    (
        "n18",
        [
            ("hello", ["other"], {}),
            ("who are you", ["other"], {}),
            ("add bananas", ["add"], {"Banana": 1}),
            ("thank you", ["other"], {"Banana": 1}),
        ],
    ),
    (
        "n19",
        [
            ("add limes", ["add"], {"Limes": 1}),
            ("actually five", ["set_quantity"], {"Limes": 5}),
            ("actually two", ["set_quantity"], {"Limes": 2}),
            ("show cart", ["show_cart"], {"Limes": 2}),
        ],
    ),
    (
        "n20",
        [
            ("add avocado and show my cart", ["add", "show_cart"], {"Avocado": 1}),
            ("remove the avocado and show my cart", ["remove", "show_cart"], {}),
        ],
    ),
    (
        "n21",
        [
            ("add bread", ["add"], {}),
            ("the second one", ["add"], {"Organic Bread with 21 Whole Grains": 1}),
            ("add salsa", ["add"], {"Organic Bread with 21 Whole Grains": 1}),
            (
                "the third one",
                ["add"],
                {"Organic Bread with 21 Whole Grains": 1, "Jalapeno Cilantro Salsa": 1},
            ),
            (
                "show my cart",
                ["show_cart"],
                {"Organic Bread with 21 Whole Grains": 1, "Jalapeno Cilantro Salsa": 1},
            ),
        ],
    ),
    (
        "n22",
        [
            ("add organic whole milk and check out", ["add", "checkout"], {}),
            ("show my cart", ["show_cart"], {}),
        ],
    ),
    (
        "n23",
        [
            ("show me hummus", ["search"], {}),
            ("add it", ["add"], {"Original Hummus": 1}),
            ("add it", ["add"], {"Original Hummus": 2}),
            ("show my cart", ["show_cart"], {"Original Hummus": 2}),
        ],
    ),
    (
        "n24",
        [
            ("take out the milk", ["remove"], {}),
            ("add bananas", ["add"], {"Banana": 1}),
            ("remove bananas", ["remove"], {}),
            ("show my cart", ["show_cart"], {}),
        ],
    ),
    (
        "n25",
        [
            ("add a couple of limes", ["add"], {"Limes": 2}),
            ("add one more", ["add"], {"Limes": 3}),
            ("show my cart", ["show_cart"], {"Limes": 3}),
        ],
    ),
    (
        "n26",
        [
            ("i'm vegan", ["preference"], {}),
            ("show me milk", ["search"], {}),
            ("show me eggs", ["search"], {}),
        ],
    ),
    (
        "n27",
        [
            ("add bananas", ["add"], {"Banana": 1}),
            ("remvoe everything", ["remove"], {}),
            ("add organic whole milk", ["add"], {"Organic Whole Milk": 1}),
            ("set it to 4", ["set_quantity"], {"Organic Whole Milk": 4}),
            ("show my cart", ["show_cart"], {"Organic Whole Milk": 4}),
        ],
    ),
    (
        "n28",
        [
            ("find organic strawberries", ["search"], {}),
            ("add the first one", ["add"], {"Organic Strawberries": 1}),
            ("add another one", ["add"], {"Organic Strawberries": 2}),
            ("show my cart", ["show_cart"], {"Organic Strawberries": 2}),
        ],
    ),
    (
        "n29",
        [
            ("add 2 organic avocados", ["add"], {"Organic Avocado": 2}),
            ("make it three", ["set_quantity"], {"Organic Avocado": 3}),
            ("remove the avocados", ["remove"], {}),
            ("show my cart", ["show_cart"], {}),
        ],
    ),
    (
        "n30",
        [
            ("what's good for breakfast", ["search"], {}),
            ("add the first one", ["add"], {"Honey Nut Cheerios": 1}),
            ("show my cart", ["show_cart"], {"Honey Nut Cheerios": 1}),
        ],
    ),
    (
        "39318",
        [
            ("my usual", ["usual"], {}),
            ("add the first one", ["add"], {"Ultra Thin Slices Sharp Cheddar Cheese": 1}),
            ("what am i running low on", ["due"], {"Ultra Thin Slices Sharp Cheddar Cheese": 1}),
            ("show my cart", ["show_cart"], {"Ultra Thin Slices Sharp Cheddar Cheese": 1}),
        ],
    ),
    (
        "75657",
        [
            ("show me yogurt", ["search"], {}),
            ("add the first one", ["add"], {"Whole Milk Greek Blended Vanilla Bean Yogurt": 1}),
            ("show my cart", ["show_cart"], {"Whole Milk Greek Blended Vanilla Bean Yogurt": 1}),
        ],
    ),
    (
        "131571",
        [
            ("whats due", ["due"], {}),
            ("add the second one", ["add"], {"Creamy Chipotle Ranch Dressing": 1}),
            ("checkout", ["checkout"], {}),
        ],
    ),
    (
        "n31",
        [
            ("add lemons", ["add"], {"Lemon": 1}),
            ("add limes", ["add"], {"Lemon": 1, "Limes": 1}),
            ("remove the lemons", ["remove"], {"Limes": 1}),
            ("make the limes 6", ["set_quantity"], {"Limes": 6}),
            ("show my cart", ["show_cart"], {"Limes": 6}),
        ],
    ),
    (
        "n32",
        [
            ("add apples", ["add"], {}),
            ("the first one", ["add"], {"Organic Large Extra Fancy Fuji Apple": 1}),
            ("make it 5", ["set_quantity"], {"Organic Large Extra Fancy Fuji Apple": 5}),
            ("checkout", ["checkout"], {}),
            ("show my cart", ["show_cart"], {}),
        ],
    ),
    (
        "n33",
        [
            ("add bananas and limes", ["add"], {"Banana": 1, "Limes": 1}),
            ("show my cart", ["show_cart"], {"Banana": 1, "Limes": 1}),
        ],
    ),
]


@pytest.fixture(scope="module")
def engine() -> GraphitiPersonalizationEngine:
    data = load_instacart(SAMPLE)
    last = max(e.ts for e in data.events)
    engine = GraphitiPersonalizationEngine(data.catalog, clock=lambda: last)
    engine.record_many(data.events)
    return engine


def test_there_are_at_least_forty_multi_turn_dialogues() -> None:
    assert len(DIALOGUES) >= 40
    assert all(len(turns) >= 2 for _, turns in DIALOGUES)
    assert len({user for user, _ in DIALOGUES}) == len(DIALOGUES)  # no shared state


@pytest.mark.parametrize(("user", "turns"), DIALOGUES, ids=[u for u, _ in DIALOGUES])
def test_dialogue(engine: GraphitiPersonalizationEngine, user: str, turns: list[Turn]) -> None:
    assistant = Assistant(engine)
    session = None
    for n, (message, intents, cart) in enumerate(turns):
        reply = assistant.reply(user, message, session=session)
        session = reply.session
        where = f"turn {n} {message!r}: {reply.text!r}"
        assert [i.value for i in reply.intents] == intents, where
        assert {ln.name: ln.quantity for ln in reply.cart.lines} == cart, where
        assert reply.cart == assistant.orders.cart(user), where
        # what the shopper said they avoid never shows up again, in results or in the cart
        declared = {a for a, on in engine.shopper_model(user).declared.items() if on}
        shown = [p.product_id for p in reply.products] + [ln.product_id for ln in reply.cart.lines]
        for pid in shown:
            clash = declared.intersection(engine.catalog.attributes(pid))
            assert not clash, f"{where}: {engine.catalog.name(pid)} is {clash}"


def test_preferences_in_the_dialogues_were_declared(engine: GraphitiPersonalizationEngine) -> None:
    for user in ("n06", "21707", "n26"):
        assert any(engine.shopper_model(user).declared.values()), user
