"""Structured reasons: every code the engine emits has a template and renders from its params."""

from __future__ import annotations

import ast
import copy
import json
import pickle
import random
import re
import string
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pydantic
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel

from leafloaf import (
    REASON_TEXTS,
    Event,
    GraphitiPersonalizationEngine,
    LeafLoafError,
    Reason,
    ValidationError,
)
from leafloaf.models import render_reason
from tests.conftest import REPO
from tests.learning.builders import NOT_MEAT, PRICE, background, day, engine, weekly

SOURCES = sorted((REPO / "src" / "leafloaf").rglob("*.py"))


def _codes_in_source(path: Path) -> Iterator[tuple[int, str | None]]:
    """``(line, code)`` of every ``Reason.of(...)`` call; code None when it is not a literal
    (or a conditional between literals), which this test cannot check."""
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        target = node.func
        if not (target.attr == "of" and isinstance(target.value, ast.Name)
                and target.value.id == "Reason"):  # fmt: skip
            continue
        first = node.args[0] if node.args else None
        options = [first.body, first.orelse] if isinstance(first, ast.IfExp) else [first]
        for option in options:
            literal = isinstance(option, ast.Constant) and isinstance(option.value, str)
            yield node.lineno, option.value if literal else None  # type: ignore[union-attr]


def test_every_code_in_the_source_has_a_template_and_every_template_is_used() -> None:
    used: set[str] = set()
    for path in SOURCES:
        for line, code in _codes_in_source(path):
            where = f"{path.relative_to(REPO)}:{line}"
            assert code is not None, f"{where}: give Reason.of a literal code"
            assert code in REASON_TEXTS, f"{where}: {code!r} has no template in REASON_TEXTS"
            used.add(code)
    assert sorted(set(REASON_TEXTS) - used) == []  # no template nothing can emit


def _world() -> GraphitiPersonalizationEngine:
    """Background shoppers plus one of each kind a reason talks about."""
    eng = engine(now=day(120))
    background(eng, random.Random(7))
    staples = ["milk", "bread", "eggs", "banana"]
    eng.record_many(
        weekly("veg", [*NOT_MEAT[:6], "coffee"], weeks=12, unit_price=None)
        + [
            Event.purchase("veg", pid, ts=day(7 * n), unit_price=PRICE[pid], basket_id=f"vp{n}")
            for n in range(12)
            for pid in ("finecoffee", "berries")
        ]
        + weekly("pair", staples, weeks=6, member_id="m1")
        + weekly(
            "pair",
            ["coffee", "rice", "chicken"],
            weeks=6,
            start=day(2),
            member_id="m2",
            basket_prefix="pair-b",
        )
        + [e for u in range(30) for e in weekly(f"cook{u}", ["pasta", "sauce"], weeks=4)]
        + weekly("bulk", ["eggs"], weeks=5, quantity=6)
        + weekly("once", ["rice"], weeks=1)
    )
    eng.declare_avoidance("pair", "department:meat seafood", at=day(50))
    for kind in (Event.add_to_cart, Event.dismiss, Event.view):
        eng.record(kind("veg", "yogurt", ts=day(90)))
    eng.record(Event.add_to_cart("veg", "greek", ts=day(91)))
    for n in range(2):
        eng.record(Event.remove_from_cart("veg", "greek", ts=day(92 + n)))
    eng.fit()
    return eng


@pytest.fixture(scope="module")
def world() -> GraphitiPersonalizationEngine:
    return _world()


def _every_result(eng: GraphitiPersonalizationEngine) -> Iterator[tuple[str, Any]]:
    """Every feature method's results for every kind of shopper (and one without history)."""
    products = list(eng.catalog.ids)
    yield "next_basket_settings", eng.next_basket_settings()
    for user in ("veg", "pair", "bulk", "once", "cook0", "bg0", "nobody"):
        yield "usual_order", eng.usual_order(user, k=20)
        yield "next_basket", list(eng.next_basket(user, k=20))
        yield "reorder_due", eng.reorder_due(user)
        yield "dietary_profile", eng.dietary_profile(user)
        yield "complements", eng.complements(user, ["pasta", "milk"], k=10)
        for pid in ("eggs", "milk", "diapers", "loose"):
            yield "suggest_quantity", eng.suggest_quantity(user, pid)
        yield "budget_profile", eng.budget_profile(user)
        yield "household_profile", eng.household_profile(user)
        yield "rerank", list(eng.rerank(user, products))
        yield "rerank", list(eng.rerank(user, products, query="milk"))
        for pid in ("yogurt", "greek", "finecoffee", "chicken", "milk"):
            yield "explain", eng.explain(user, pid)
        yield "preferences", eng.preferences(user)
        for query in ("milk", "oat milk", "free range eggs", "chicken"):
            yield "search", eng.search(user, query, k=10)


def _reasons(value: Any) -> Iterator[Reason]:
    """Every :class:`Reason` inside a result, however deeply nested."""
    if isinstance(value, Reason):
        yield value
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _reasons(item)
    elif isinstance(value, BaseModel):
        for name in type(value).model_fields:
            yield from _reasons(getattr(value, name))


def test_every_reason_the_engine_emits_renders_from_its_params(
    world: GraphitiPersonalizationEngine,
) -> None:
    seen: dict[str, set[str]] = {}
    for method, result in _every_result(world):
        for reason in _reasons(result):
            assert isinstance(reason, Reason), (method, reason)
            assert reason.code in REASON_TEXTS, (method, reason)
            assert Reason.of(reason.code, **reason.params) == reason, (method, reason)
            assert reason.text == render_reason(REASON_TEXTS[reason.code], reason.params)
            dumped = json.loads(json.dumps(reason.model_dump(mode="json"), allow_nan=False))
            assert set(dumped) == {"code", "params", "text"}
            assert Reason.model_validate(dumped) == reason
            seen.setdefault(method, set()).add(reason.code)
    # each method said something, and the walk reached the reasons these shoppers call for
    assert set(seen) == {
        "usual_order", "next_basket", "reorder_due", "dietary_profile", "complements",
        "suggest_quantity", "budget_profile", "household_profile", "rerank", "explain",
        "preferences", "search", "next_basket_settings",
    }  # fmt: skip
    emitted = set().union(*seen.values())
    assert {
        "in_orders", "left_out_declared", "declared_avoid", "household_members",
        "quantity_personal", "quantity_default", "bought_together", "original_position",
        "cart_added_before", "cart_removed_before", "dismissed", "matches", "matches_partly",
        "hiding", "no_purchases", "learned_from", "bought_once_so_far", "bought_every",
    } <= emitted  # fmt: skip


def test_results_and_exports_are_strict_json(world: GraphitiPersonalizationEngine) -> None:
    for user in ("veg", "pair", "nobody"):
        exported = json.dumps(world.export_user(user), allow_nan=False)
        preferences = json.loads(exported)["preferences"]
        assert all(set(r) == {"code", "params", "text"} for r in preferences["reasons"])
        explained = json.loads(world.explain(user, "milk").model_dump_json())
        assert explained["reasons"] and all(set(r) == {"code", "params", "text"}
                                            for r in explained["reasons"])  # fmt: skip
    for _, result in _every_result(world):
        items = result if isinstance(result, list) else [result]
        for item in items:
            json.dumps(item.model_dump(mode="json"), allow_nan=False)


def test_a_reason_reads_as_its_text_but_is_not_equal_to_it() -> None:
    reason = Reason.of("interval", days=9.2)
    assert str(reason) == f"{reason}" == reason.text == "you buy this about every 9 days"
    words: object = "you buy this about every 9 days"
    assert reason != words  # compare .text, or code and params
    assert reason.render({"interval": "alle {days:.0f} Tage"}) == "alle 9 Tage"
    assert reason.render({}) == reason.text
    assert Reason.of("last_bought", days=1).text == "last bought 1 day ago"
    assert Reason.of("last_bought", days=3).text == "last bought 3 days ago"


@pytest.mark.parametrize(
    ("code", "params"),
    [
        ("no_such_code", {}),
        ("interval", {}),  # a missing param
        ("interval", {"days": "nine"}),  # a param the template cannot format
        ("interval", {"days": float("nan")}),  # would break strict JSON
        ("interval", {"days": float("inf")}),
    ],
)
def test_a_reason_that_cannot_render_is_refused(code: str, params: dict[str, Any]) -> None:
    with pytest.raises(ValidationError) as caught:
        Reason.of(code, **params)
    assert isinstance(caught.value, LeafLoafError)


def _fields(template: str) -> dict[str, str]:
    """Each field of a template and its format spec."""
    return {
        name: spec or ""
        for _, name, spec, _ in string.Formatter().parse(template)
        if name is not None
    }


_NUMBER = st.one_of(
    st.integers(-10_000, 10_000),
    st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False),
)


@st.composite
def _reason_args(draw: st.DrawFn) -> tuple[str, dict[str, str | float | int]]:
    code = draw(st.sampled_from(sorted(REASON_TEXTS)))
    params: dict[str, str | float | int] = {}
    for name, spec in _fields(REASON_TEXTS[code]).items():
        if spec.startswith("|"):
            params[name] = draw(st.integers(0, 1000))  # counted with a plural word
        elif spec:
            params[name] = draw(_NUMBER)
        else:
            params[name] = draw(st.one_of(st.text(max_size=20), st.integers(0, 10_000)))
    extra = draw(st.dictionaries(st.sampled_from(["key", "anchor_id"]), st.text(max_size=8)))
    return code, {**extra, **params}


@given(_reason_args())
def test_a_reasons_text_follows_from_its_code_and_params(
    args: tuple[str, dict[str, str | float | int]],
) -> None:
    code, params = args
    reason = Reason.of(code, **params)
    assert Reason.of(code, **dict(reversed(list(params.items())))) == reason
    assert reason.text == render_reason(REASON_TEXTS[code], reason.params)
    assert Reason.model_validate_json(reason.model_dump_json()) == reason


def test_the_api_reference_lists_every_code() -> None:
    listed = set(re.findall(r"^\| `(\w+)` \| `", (REPO / "docs" / "api.md").read_text(), re.M))
    assert sorted(set(REASON_TEXTS) - listed) == []


def test_a_built_reason_is_an_ordinary_frozen_model() -> None:
    # Reason.of skips pydantic's constructor: what it builds must behave like one built by it
    reason = Reason.of("bought_every", times=4.0, days=7.5)
    validated = Reason(code="bought_every", params={"times": 4.0, "days": 7.5}, text=reason.text)
    assert reason == validated and reason.model_fields_set == validated.model_fields_set
    assert pickle.loads(pickle.dumps(reason)) == reason == copy.deepcopy(reason)
    assert reason.model_copy(update={"text": "x"}).text == "x" and reason.text != "x"
    with pytest.raises(pydantic.ValidationError):
        reason.text = "changed"  # type: ignore[misc]
