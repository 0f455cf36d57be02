"""Engine configuration: the few global hyper-parameters of the learners, validated."""

from __future__ import annotations

from typing import Any

import pydantic
from pydantic import BaseModel, ConfigDict, Field

from leafloaf.errors import ConfigError

__all__ = ["EngineConfig"]


class EngineConfig(BaseModel):
    """Global settings of :class:`~leafloaf.GraphitiPersonalizationEngine`.

    None of these is per product or per category; they are smoothing strengths, a recency
    half-life and credibility levels. Those left ``None`` are learned from the engine's own
    log by the population refit; a value set here overrides the learned one.
    Unknown keys are rejected, so a typo fails loudly, as a :class:`~leafloaf.ConfigError`
    naming the key.

    >>> EngineConfig(half_life_days=60).half_life_days
    60.0
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    def __init__(self, **data: Any) -> None:
        try:
            super().__init__(**data)
        except pydantic.ValidationError as exc:
            first = exc.errors()[0]
            field = ".".join(str(part) for part in first["loc"]) or "config"
            message = str(first["msg"]).removeprefix("Value error, ")
            value = first.get("input")
            if first["type"] == "extra_forbidden":
                message = f"not a setting; the settings are {sorted(type(self).model_fields)}"
            raise ConfigError(field, value, message) from None

    half_life_days: float | None = Field(default=None, gt=0)
    """Recency half-life of decayed purchase counts (usual order, next basket). None: learned
    by the population refit on held-out latest baskets (``engine.next_basket_settings()``);
    a value fixes it (and the stored decayed sums use it exactly)."""
    complement_prior: float = Field(default=5.0, gt=0)
    """Pseudo-baskets shrinking co-occurrence confidence toward the base rate."""
    item_prior: float = Field(default=2.0, gt=0)
    """Pseudo-counts shrinking a shopper's item and category rates toward the population."""
    quantity_prior: float | None = Field(default=None, gt=0)
    """Pseudo-lines pulling a shopper's quantity histogram toward the product's population one
    (None: fitted in the population refit by held-out likelihood, learning/quantity.py)."""
    quantity_pool: float | None = Field(default=None, gt=0)
    """Pseudo-lines shrinking a product's quantity histogram toward its category's, and a
    category's toward all lines' (None: fitted in the refit)."""
    quantity_smoothing: float | None = Field(default=None, ge=0, lt=1)
    """How much one purchase of quantity q speaks for its neighbours: weight w^|log2 q - log2 j|
    on quantity j (0: quantities are unrelated labels; None: fitted in the refit)."""
    dietary_probability: float = Field(default=0.5, gt=0, lt=1)
    """Probability (the posterior of the population-fitted avoidance model, calibrated on
    held-out planted avoidances in ``docs/evaluation/dietary-*``) at which a never-bought
    attribute is reported as avoided: 0.5 reports what is more likely avoided than not;
    raise it to leave fewer products out of proposals."""
    price_weight: float | None = Field(default=None, ge=0)
    """Re-ranking: weight of the price term ``position · z``. None: learned in the population
    refit from held-out latest baskets (0 when the term does not help there); a number sets
    it (0 turns budget awareness off in re-ranking)."""
    cart_weight: float = Field(default=1.0, ge=0)
    """Re-ranking: weight of the cart term, log(1 + adds) - log(1 + removes) (0 turns it off;
    ``leafloaf evaluate cart`` measures it)."""
    household_prior: float = Field(default=0.71, gt=0, lt=1)
    """Share of accounts shared by more than one person, before any behaviour is seen: the
    prior of ``household_profile().shared_probability`` (its average over the accounts).
    Behaviour cannot tell this share (see docs/evaluation.md, household), so it is the
    host's to set for its customers; the default is the share of U.S. households of two or
    more people, 71 % (U.S. Census Bureau, America's Families and Living Arrangements: 2022,
    press release CB24-TPS.56: women living alone were 16 % of households, men 13 %)."""
    household_threshold: float = Field(default=0.5, gt=0, lt=1)
    """``shared_probability`` at which an account counts as shared (``HouseholdProfile.shared``
    and the remembered household fact); 0.5 = more likely shared than not. The household
    report gives precision and recall at several cut-offs to choose from."""
    neighbours: int | None = Field(default=None, ge=0)
    """Nearest shoppers whose usual baskets inform next-basket prediction (0 = off).
    None: learned by the population refit."""
    personal_weight: float | None = Field(default=None, ge=0, le=1)
    """Next basket: weight of the shopper's own statistics vs. their neighbours'. None:
    learned by the population refit."""
    timing_weight: float | None = Field(default=None, ge=0, le=1)
    """Next basket: weight of restock timing vs. recency-weighted frequency. None: learned
    by the population refit."""
    due_probability: float = Field(default=0.5, gt=0, le=1)
    """Reorder: the restock probability at which a product is reported due — the host's
    cut-off, in probability terms (the probabilities are calibrated on held-out baskets;
    ``leafloaf evaluate reorder`` reports precision and recall at cut-offs)."""
    refit_fraction: float = Field(default=0.05, gt=0)
    """The background refitter rebuilds population statistics once the log grew by this much."""
    remember_beliefs: bool | None = None
    """Write what the engine believes about each shopper to its memory backend after each
    refit and declaration (off the request path). None: on when a ``memory`` was passed."""
    background_refit: bool = True
    """Refit in a background thread (reads never wait); False refits only when you call ``fit``."""
    batch_size: int = Field(default=50_000, gt=0)
    """Events per store transaction in ``record_many`` (larger batches copy each touched
    shopper's rows fewer times: 50,000 ingests about 13 % faster than 20,000)."""
    cache_users: int = Field(default=1_024, ge=0)
    """Shoppers whose parsed statistics stay cached in memory (least recently used go first)."""
    outbox_capacity: int = Field(default=1_000_000, gt=0)
    """Accepted events the durable outbox may hold while the store is down."""
