"""Contract suite every ReplyCompiler passes (the default ResponseCompiler)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from leafloaf import (
    Cart,
    CartChange,
    CartLine,
    GraphitiPersonalizationEngine,
    Intent,
    ProductSuggestion,
    Reason,
    ReplyCompiler,
    ResponseCompiler,
    TurnResult,
)
from tests.agents.world import small_engine

COMPILERS: dict[str, Callable[[GraphitiPersonalizationEngine], ReplyCompiler]] = {
    "response_compiler": ResponseCompiler,
}
CART = Cart(user_id="ann", lines=[CartLine(product_id="7", name="Tofu", quantity=2)])


@pytest.fixture(params=sorted(COMPILERS))
def compiler(request: pytest.FixtureRequest) -> ReplyCompiler:
    return COMPILERS[request.param](small_engine())


def _change(pid: str, before: float, after: float) -> CartChange:
    return CartChange(change_id=f"c{pid}", user_id="ann", product_id=pid, before=before,
                      after=after)  # fmt: skip


def test_reasons_come_from_the_shoppers_history(compiler: ReplyCompiler) -> None:
    reasons = compiler.reasons("ann", "1")
    assert reasons and all(isinstance(r, Reason) and r.text for r in reasons)
    assert "bought_before" in [r.code for r in reasons]
    assert compiler.reasons("newbie", "1") == []
    assert [r.code for r in compiler.reasons("newbie", "1", query="milk")] == ["matches"]


def test_search_reasons_pass_through_once_each(compiler: ReplyCompiler) -> None:
    partly = Reason.of("matches_partly", query="milk", missing="oat", asked="oat milk")
    notes = [Reason.of("bought_before", times=6), partly, partly, Reason.of("price_fits")]
    reasons = compiler.reasons("ann", "1", notes, query="oat milk")
    codes = [r.code for r in reasons]
    assert partly in reasons and Reason.of("price_fits") in reasons
    assert len(codes) == len(set(codes))  # one reason per code
    # a host's component may still hand plain words: they are kept, as code "engine"
    assert Reason.of("engine", note="on offer") in compiler.reasons("newbie", "1", ["on offer"])


def test_the_text_is_never_empty(compiler: ReplyCompiler) -> None:
    text, question = compiler.compile([], CART)
    assert text.strip() and question is None
    text, _ = compiler.compile([TurnResult(intent=Intent.OTHER)], CART)
    assert text.strip()


def test_every_cart_change_is_mentioned(compiler: ReplyCompiler) -> None:
    # a host's agent may report changes without wording them
    results = [
        TurnResult(intent=Intent.ADD, actions=[_change("7", 0, 2)]),
        TurnResult(intent=Intent.REMOVE, actions=[_change("5", 1, 0)], said=["Done."]),
    ]
    text, _ = compiler.compile(results, CART)
    assert "Tofu" in text and "Bananas" in text


def test_at_most_one_question(compiler: ReplyCompiler) -> None:
    results = [
        TurnResult(intent=Intent.ADD, clarification="Which milk: Oat Milk or Whole Milk?"),
        TurnResult(intent=Intent.SET_QUANTITY, clarification="How many would you like?"),
    ]
    text, question = compiler.compile(results, CART)
    assert question == "Which milk: Oat Milk or Whole Milk?"
    assert text.count("?") == 1


def test_listed_products_and_the_cart_are_shown(compiler: ReplyCompiler) -> None:
    found = TurnResult(
        intent=Intent.SEARCH,
        products=[ProductSuggestion(product_id="2", name="Whole Milk",
                                    reasons=[Reason.of("matches", query="milk")])],
    )  # fmt: skip
    text, _ = compiler.compile([found, TurnResult(intent=Intent.SHOW_CART)], CART)
    assert "Whole Milk" in text and "2 × Tofu" in text


def test_a_sentence_two_clauses_share_is_said_once(compiler: ReplyCompiler) -> None:
    same = ["Got it: I'll leave out meat seafood from now on."]
    results = [TurnResult(intent=Intent.PREFERENCE, said=same) for _ in range(2)]
    text, _ = compiler.compile(results, CART)
    assert text.count("Got it") == 1
