"""Calibration of reported probabilities: Brier score, expected calibration error, reliability.

Every probability the engine reports (restock, avoidance, household, price sensitivity) is
judged on held-out outcomes with the same three figures, so the reports read alike:

* ``brier`` = mean of ``(p − y)²`` (0 is perfect; always answering the base rate scores
  ``rate · (1 − rate)``, reported as ``brier_base_rate`` for comparison);
* ``ece`` = Σ over equal-mass bins of ``(bin size / n) · |mean p − observed rate|``;
* ``reliability`` = per bin: mean predicted probability, observed rate and count, the
  points of a reliability diagram (:func:`plot_reliability` draws it for ``write_report``).

Equal-mass bins (each holds about ``n / bins`` predictions) keep every point of the diagram
backed by enough outcomes, where equal-width bins leave the tails nearly empty.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from leafloaf.errors import ValidationError

__all__ = ["brier_score", "calibration_report", "expected_calibration_error", "plot_reliability"]


def _arrays(
    probabilities: Sequence[float], outcomes: Sequence[bool | int | float]
) -> tuple[np.ndarray[Any, np.dtype[np.float64]], np.ndarray[Any, np.dtype[np.float64]]]:
    p = np.asarray(probabilities, dtype=np.float64)
    y = np.asarray(outcomes, dtype=np.float64)
    if p.shape != y.shape or p.ndim != 1:
        raise ValidationError(
            "outcomes", f"{len(y)} values", f"must match the {len(p)} probabilities one to one"
        )
    if len(p) and (not np.all(np.isfinite(p)) or p.min() < 0 or p.max() > 1):
        bad = p[~(np.isfinite(p) & (p >= 0) & (p <= 1))][0]
        raise ValidationError("probabilities", float(bad), "must be finite and in [0, 1]")
    if len(y) and not np.all((y == 0) | (y == 1)):
        bad = y[~((y == 0) | (y == 1))][0]
        raise ValidationError("outcomes", float(bad), "must be 0/1 (or False/True)")
    return p, y


def brier_score(probabilities: Sequence[float], outcomes: Sequence[bool | int | float]) -> float:
    """Mean squared error of the probabilities against 0/1 outcomes.

    >>> brier_score([0.9, 0.2], [1, 0])
    0.025
    """
    p, y = _arrays(probabilities, outcomes)
    return float(np.mean((p - y) ** 2)) if len(p) else float("nan")


def _bins(p: np.ndarray[Any, np.dtype[np.float64]], bins: int) -> list[np.ndarray[Any, Any]]:
    """Indices of equal-mass bins over the predictions sorted by probability."""
    order = np.argsort(p, kind="stable")
    return [chunk for chunk in np.array_split(order, min(bins, len(p))) if len(chunk)]


def expected_calibration_error(
    probabilities: Sequence[float], outcomes: Sequence[bool | int | float], bins: int = 10
) -> float:
    """Weighted mean gap between predicted and observed rates over equal-mass bins.

    >>> expected_calibration_error([0.5, 0.5, 0.5, 0.5], [1, 0, 1, 0], bins=1)
    0.0
    """
    p, y = _arrays(probabilities, outcomes)
    if not len(p):
        return float("nan")
    return float(sum(len(b) * abs(p[b].mean() - y[b].mean()) for b in _bins(p, bins)) / len(p))


def calibration_report(
    probabilities: Sequence[float],
    outcomes: Sequence[bool | int | float],
    bins: int = 10,
) -> dict[str, Any]:
    """Brier, ECE, base rate and the reliability points, JSON-ready.

    >>> r = calibration_report([0.1, 0.9], [0, 1], bins=2)
    >>> r["brier"], r["ece"], r["cases"]
    (0.01, 0.1, 2)
    """
    p, y = _arrays(probabilities, outcomes)
    rate = float(y.mean()) if len(y) else float("nan")
    reliability = [
        {"predicted": round(float(p[b].mean()), 4), "observed": round(float(y[b].mean()), 4),
         "count": len(b)}
        for b in (_bins(p, bins) if len(p) else [])
    ]  # fmt: skip
    return {
        "cases": len(p),
        "base_rate": round(rate, 4),
        "brier": round(brier_score(p.tolist(), y.tolist()), 4),
        "brier_base_rate": round(rate * (1 - rate), 4),
        "ece": round(expected_calibration_error(p.tolist(), y.tolist(), bins), 4),
        "bins": len(reliability),
        "reliability": reliability,
    }


def plot_reliability(
    fig: Any, curves: Mapping[str, Mapping[str, Any]], title: str = "reliability"
) -> None:
    """Reliability diagram: one line per named :func:`calibration_report`, and the diagonal.

    Made to be called from a ``plot`` callback of
    :func:`~leafloaf.evaluation.report.write_report` (``fig`` is a matplotlib figure).
    """
    ax = fig.add_subplot(1, 1, 1)
    ax.plot([0, 1], [0, 1], linestyle=":", color="grey", label="perfect")
    for name, report in curves.items():
        points = report["reliability"]
        ax.plot(
            [pt["predicted"] for pt in points],
            [pt["observed"] for pt in points],
            marker="o",
            label=f"{name} (ECE {report['ece']:.3f}, Brier {report['brier']:.3f})",
        )
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("predicted probability")
    ax.set_ylabel("observed rate")
    ax.set_title(title)
    ax.legend(fontsize=8)
