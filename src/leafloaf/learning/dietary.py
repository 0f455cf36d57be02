"""Dietary avoidance: attributes a shopper never buys although their history says they would.

Across shoppers, the share of a shopper's lines carrying an attribute (``department:meat
seafood``, ``tag:gluten free`` …) follows a zero-inflated beta-binomial: a fraction ``π``
of shoppers never buy it (structural zeros: diet, allergy, taste) and the rest buy it at a
beta-distributed rate. Both are fitted per attribute by EM over the population, with no
per-attribute tuning. For a shopper with ``N`` lines and none from the attribute, the
posterior of being a structural zero is ``π / (π + (1-π)·P(k=0 | N))`` — small histories
give little evidence, long ones a lot. An avoidance is reported when that posterior reaches
``credibility`` and most shoppers do buy the attribute (otherwise not buying it is the
norm, not an avoidance). What the shopper declares overrides what is inferred.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from leafloaf.learning.stats import log_beta

__all__ = ["AttributeRates", "fit_attribute_rates", "posterior_avoid"]


@dataclass(frozen=True)
class AttributeRates:
    """Fitted zero-inflated beta-binomial of every attribute over the population."""

    attributes: list[str]
    alpha: NDArray[np.float64]
    beta: NDArray[np.float64]
    never: NDArray[np.float64]
    """``π``: share of shoppers who structurally never buy the attribute."""
    index: dict[str, int]

    def buyer_share(self, attribute: str) -> float:
        """Share of shoppers who buy the attribute at all (``1 - π``)."""
        i = self.index.get(attribute)
        return 0.0 if i is None else float(1.0 - self.never[i])

    def mean_rate(self, attribute: str) -> float:
        """Mean share of a buyer's lines that carry the attribute."""
        i = self.index.get(attribute)
        return 0.0 if i is None else float(self.alpha[i] / (self.alpha[i] + self.beta[i]))


def fit_attribute_rates(
    lines: NDArray[np.float64],
    counts: NDArray[np.float64],
    attributes: list[str],
    iterations: int = 40,
) -> AttributeRates:
    """EM fit of ``π, α, β`` per attribute from a users × attributes matrix of line counts.

    >>> import numpy as np
    >>> lines = np.array([10., 10., 10., 10.])
    >>> counts = np.array([[5.], [4.], [0.], [6.]])
    >>> rates = fit_attribute_rates(lines, counts, ["department:x"])
    >>> 0.15 < rates.never[0] < 0.35
    True
    """
    n = np.maximum(lines, 1e-9)[:, None]  # U x 1
    k = counts  # U x A
    zero = k <= 0
    share = k.sum(0) / max(float(lines.sum()), 1e-9)
    m = np.clip(share, 1e-6, 1 - 1e-6)
    conc = np.full_like(m, 5.0)
    never = np.full_like(m, 0.1)
    for _ in range(iterations):
        alpha, beta = m * conc, (1 - m) * conc
        p_zero = np.exp(log_beta(alpha[None, :], beta[None, :] + n) - log_beta(alpha, beta))
        resp = np.where(zero, never / (never + (1 - never) * p_zero), 0.0)
        never = np.clip(resp.mean(0), 1e-4, 1 - 1e-4)
        w = 1.0 - resp
        m = np.clip((w * k).sum(0) / np.maximum((w * n).sum(0), 1e-9), 1e-6, 1 - 1e-6)
        # moment estimate of the intra-class correlation ρ = 1/(conc+1) of a beta-binomial
        p_hat = k / n
        binom_var = m * (1 - m) / n
        num = (w * ((p_hat - m) ** 2 - binom_var)).sum(0)
        den = (w * (m * (1 - m) * (n - 1) / n)).sum(0)
        rho = np.clip(num / np.maximum(den, 1e-12), 1e-3, 0.95)
        conc = 1.0 / rho - 1.0
    alpha, beta = m * conc, (1 - m) * conc
    return AttributeRates(
        attributes=list(attributes),
        alpha=alpha,
        beta=beta,
        never=never,
        index={a: i for i, a in enumerate(attributes)},
    )


def posterior_avoid(rates: AttributeRates, lines: float) -> NDArray[np.float64]:
    """Posterior of avoiding each attribute for a shopper with ``lines`` lines, none of it."""
    n = np.array([max(lines, 0.0)])
    p_zero = np.exp(log_beta(rates.alpha, rates.beta + n) - log_beta(rates.alpha, rates.beta))
    result: NDArray[np.float64] = rates.never / (rates.never + (1 - rates.never) * p_zero)
    return result
