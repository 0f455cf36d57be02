"""Dietary inference and household detection on populations built to have the answer."""

from __future__ import annotations

import random
from datetime import timedelta

from leafloaf import Event
from tests.learning.builders import T0, engine, weekly


def _population(eng, rng: random.Random, n: int = 60) -> None:  # type: ignore[no-untyped-def]
    for u in range(n):
        events = []
        for week in range(10):
            basket = rng.sample(["banana", "kale", "rice", "bread", "milk", "pasta"], 3)
            basket.append(rng.choice(["chicken", "beef"]))  # everyone buys meat weekly
            for pid in basket:
                ts = T0 + timedelta(days=7 * week)
                events.append(Event.purchase(f"u{u}", pid, basket_id=f"u{u}-{week}", ts=ts))
        eng.record_many(events)


def test_long_history_without_meat_is_inferred_vegetarian() -> None:
    eng = engine()
    _population(eng, random.Random(1))
    eng.record_many(weekly("veg", ["banana", "kale", "rice", "bread"], 12))
    eng.record_many(weekly("brief", ["banana", "kale"], 1))
    profile = eng.dietary_profile("veg")
    assert profile.avoids("department:meat")
    meat = next(a for a in profile.avoided if a.attribute == "department:meat")
    assert meat.source == "inferred" and meat.probability >= 0.9
    assert not eng.dietary_profile("brief").avoids("department:meat")  # 2 lines: no evidence
    assert not eng.dietary_profile("u0").avoids("department:meat")
    # an attribute most shoppers never buy is not an "avoidance"
    assert not profile.avoids("aisle:eggs")


def test_declarations_override_inference() -> None:
    eng = engine()
    _population(eng, random.Random(2))
    eng.record_many(weekly("veg", ["banana", "kale", "rice", "bread"], 12))
    eng.declare_avoidance("veg", "department:meat", avoid=False, at=T0 + timedelta(days=90))
    assert not eng.dietary_profile("veg").avoids("department:meat")
    eng.declare_avoidance("u1", "aisle:milk", at=T0 + timedelta(days=90))
    declared = eng.dietary_profile("u1").avoided[0]
    assert declared.attribute == "aisle:milk" and declared.source == "declared"
    assert declared.probability == 1.0
    # the latest statement wins, whatever order they are recorded in
    eng.declare_avoidance("u1", "aisle:milk", avoid=False, at=T0 + timedelta(days=80))
    assert eng.dietary_profile("u1").avoids("aisle:milk")


def test_declared_members_make_an_account_shared() -> None:
    eng = engine()
    eng.record(Event.purchase("fam", "milk", member_id="mum", basket_id="a", ts=T0))
    eng.record(Event.purchase("fam", "beef", member_id="dad", basket_id="b", ts=T0))
    profile = eng.household_profile("fam")
    assert profile.shared_probability == 1.0 and profile.members_declared == 2


def _shopper(rng: random.Random) -> tuple[list[str], int, int]:
    """One person's habits: a milk, a bread, a fruit; their own weekday and rhythm."""
    items = [rng.choice(["milk", "cheapmilk", "oatmilk"]), rng.choice(["bread", "rye"]),
             rng.choice(["banana", "apple"])]  # fmt: skip
    return items, rng.randrange(7), rng.choice([7, 7, 14])


def test_two_people_on_one_account_look_like_a_household() -> None:
    rng = random.Random(5)
    eng = engine()
    singles, families = [], []
    for n in range(60):
        items, offset, every = _shopper(rng)
        user = f"single{n}"
        singles.append(user)
        eng.record_many(
            weekly(user, items, 10, start=T0 + timedelta(days=offset), every_days=every)
        )
    for n in range(12):  # two people with different habits share one account
        user = f"family{n}"
        families.append(user)
        first, second = _shopper(rng), _shopper(rng)
        while set(first[0]) == set(second[0]):
            second = _shopper(rng)
        for person, (items, offset, every) in enumerate((first, second)):
            start = T0 + timedelta(days=offset)
            eng.record_many(weekly(user, items, 10, start, every, basket_prefix=f"{user}p{person}"))
    single_p = [eng.household_profile(u).shared_probability for u in singles]
    family_p = [eng.household_profile(u).shared_probability for u in families]
    assert sum(family_p) / len(family_p) > 0.5 > sum(single_p) / len(single_p)
    assert sum(p >= 0.5 for p in family_p) >= 9
