"""Calibration figures: exact values on small cases, bounds and invariants on any input."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from leafloaf import LeafLoafError
from leafloaf.evaluation.calibration import (
    brier_score,
    calibration_report,
    expected_calibration_error,
)

cases = st.lists(
    st.tuples(st.floats(0, 1, allow_nan=False), st.booleans()), min_size=1, max_size=200
)


def test_calibrated_probabilities_score_near_zero_ece() -> None:
    rng = np.random.default_rng(0)
    p = rng.uniform(0, 1, 20_000)
    y = rng.uniform(0, 1, 20_000) < p  # outcomes drawn at exactly the stated rate
    assert expected_calibration_error(p.tolist(), y.tolist()) < 0.02
    overconfident = np.clip((p - 0.5) * 3 + 0.5, 0, 1)
    assert expected_calibration_error(overconfident.tolist(), y.tolist()) > 0.1


def test_report_bins_hold_equal_mass_and_brier_beats_base_rate_when_informative() -> None:
    p = [0.05] * 50 + [0.95] * 50
    y = [0] * 48 + [1] * 2 + [1] * 47 + [0] * 3
    report = calibration_report(p, y, bins=2)
    assert [b["count"] for b in report["reliability"]] == [50, 50]
    assert report["reliability"][0]["observed"] == 0.04
    assert report["brier"] < report["brier_base_rate"]


@given(cases)
def test_figures_are_bounded(pairs: list[tuple[float, bool]]) -> None:
    p, y = zip(*pairs, strict=True)
    assert 0 <= brier_score(p, y) <= 1
    assert 0 <= expected_calibration_error(p, y) <= 1
    report = calibration_report(p, y)
    assert sum(b["count"] for b in report["reliability"]) == len(p)


@given(cases, st.randoms())
def test_figures_do_not_depend_on_case_order(pairs: list[tuple[float, bool]], rnd) -> None:  # type: ignore[no-untyped-def]
    shuffled = list(pairs)
    rnd.shuffle(shuffled)
    p, y = zip(*pairs, strict=True)
    q, z = zip(*shuffled, strict=True)
    assert brier_score(p, y) == pytest.approx(brier_score(q, z))
    # equal-mass bins split ties by position, so only distinct probabilities are order-free
    if len(set(p)) == len(p):
        assert expected_calibration_error(p, y) == pytest.approx(expected_calibration_error(q, z))


@pytest.mark.parametrize(
    ("probabilities", "outcomes", "field"),
    [([1.5], [1], "probabilities"), ([0.5], [2], "outcomes"), ([0.5, 0.1], [1], "outcomes")],
)
def test_bad_input_names_the_field(probabilities, outcomes, field) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(LeafLoafError, match=field):
        calibration_report(probabilities, outcomes)
