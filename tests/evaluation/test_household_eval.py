"""``leafloaf evaluate household``: real household labels, calibration and cut-offs."""

from __future__ import annotations

import math
import random
from pathlib import Path

import pytest

from leafloaf.datasets import load_completejourney_demographics
from leafloaf.errors import ValidationError
from leafloaf.evaluation.capabilities import evaluate_household, household_markdown
from leafloaf.evaluation.data import Basket, BasketData
from tests.learning.builders import day, wide_catalog

AISLES, PER_AISLE = 5, 6


def _person(rng: random.Random, prefix: str = "") -> list[Basket]:
    """One person's roughly weekly orders of their own five picks (each in ~85 %)."""
    picks = [f"a{a}p{rng.randrange(PER_AISLE)}" for a in range(AISLES)]
    baskets, t = [], rng.uniform(0, 6)
    for _ in range(10):
        items = tuple(p for p in picks if rng.random() < 0.85) or (picks[0],)
        baskets.append(Basket(day(t), items))
        t += rng.uniform(6, 8)
    return baskets


def _labelled(singles: int = 40, pairs: int = 10) -> BasketData:
    """Single shoppers and two-person accounts (two people interleaved), all labelled."""
    rng = random.Random(2)
    baskets: dict[str, list[Basket]] = {}
    households: dict[str, dict[str, str]] = {}
    for n in range(singles):
        baskets[f"s{n}"] = _person(rng)
        households[f"s{n}"] = {"household_size": "1", "kids_count": "0"}
    for n in range(pairs):
        baskets[f"p{n}"] = sorted(_person(rng) + _person(rng), key=lambda b: b.at)
        households[f"p{n}"] = {"household_size": "2", "kids_count": str(n % 2)}
    return BasketData("planted", wide_catalog(AISLES, PER_AISLE), baskets, households=households)


def test_real_labels_are_judged_with_intervals_and_calibration() -> None:
    result = evaluate_household(_labelled(), show=False)
    real = result["real"]
    assert real["labelled_accounts"] == 50 and real["real_multi_share"] == 0.2
    auc, (low, high) = real["roc_auc_multi_person"], real["roc_auc_multi_person_ci95"]
    assert auc >= 0.9 and low <= auc <= high
    calibration = real["calibration"]
    assert calibration["cases"] == 50 and 0.0 <= calibration["ece"] <= 1.0
    assert sum(b["count"] for b in calibration["reliability"]) == 50
    floor, floor_high = real["ece_if_perfectly_calibrated"]
    assert 0.0 <= floor <= floor_high <= 1.0
    # cut-offs are read in probability terms: a higher one never flags more accounts
    flagged = [row["flagged_share"] for row in real["cutoffs"].values()]
    assert flagged == sorted(flagged, reverse=True)
    assert 0.0 <= result["merged"]["roc_auc"] <= 1.0
    text = household_markdown(result)
    assert "Real households" in text and "Merged accounts" in text
    # the probabilities average the host's prior over every account
    assert math.isclose(real["mean_probability_all_accounts"], real["prior"], abs_tol=0.02)


def test_demographics_loader(tmp_path: Path) -> None:
    assert load_completejourney_demographics(tmp_path) == {}
    (tmp_path / "demographics.csv").write_text(
        "household_id,household_size,kids_count\n1,2,0\n7,5+,3+\n"
    )
    rows = load_completejourney_demographics(tmp_path)
    assert rows["7"]["household_size"] == "5+" and rows["1"]["kids_count"] == "0"
    (tmp_path / "demographics.csv").write_text("household_id,age\n1,65+\n")
    with pytest.raises(ValidationError, match="household_size"):
        load_completejourney_demographics(tmp_path)
