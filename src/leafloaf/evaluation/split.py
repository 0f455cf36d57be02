"""Leave-last-basket-out split: last basket = test, the one before = validation, rest = history."""

from __future__ import annotations

from dataclasses import dataclass

from leafloaf.evaluation.data import Basket, BasketData

__all__ = ["UserSplit", "leave_last_out"]


@dataclass(frozen=True)
class UserSplit:
    """One user's baskets, split as in Li et al. (TOIS 2023) and Hu et al. (SIGIR 2020)."""

    history: list[Basket]
    validation: Basket
    test: Basket

    def known(self, stage: str) -> list[Basket]:
        """Baskets a model may learn from when predicting ``stage`` ("validation"/"test")."""
        return self.history if stage == "validation" else [*self.history, self.validation]

    def target(self, stage: str) -> Basket:
        """The basket to predict at ``stage``."""
        return self.validation if stage == "validation" else self.test


def leave_last_out(data: BasketData, min_history: int = 1) -> dict[str, UserSplit]:
    """Split every user with at least ``min_history + 2`` baskets (others are dropped)."""
    out = {}
    for user, baskets in data.baskets.items():
        if len(baskets) >= min_history + 2:
            out[user] = UserSplit(list(baskets[:-2]), baskets[-2], baskets[-1])
    return out
