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
    quantity_prior: float = Field(default=1.0, gt=0)
    """Pseudo-lines pulling a shopper's quantity histogram toward the product's population one."""
    dietary_credibility: float = Field(default=0.9, gt=0.5, lt=1)
    """Posterior probability at which a never-bought attribute is reported as avoided."""
    price_weight: float = Field(default=1.0, ge=0)
    """Re-ranking: weight of the price-fit term (0 turns budget awareness off)."""
    cart_weight: float = Field(default=1.0, ge=0)
    """Re-ranking: weight of the cart term, log(1 + adds) - log(1 + removes) (0 turns it off;
    ``leafloaf evaluate cart`` measures it)."""
    neighbours: int | None = Field(default=None, ge=0)
    """Nearest shoppers whose usual baskets inform next-basket prediction (0 = off).
    None: learned by the population refit."""
    personal_weight: float | None = Field(default=None, ge=0, le=1)
    """Next basket: weight of the shopper's own statistics vs. their neighbours'. None:
    learned by the population refit."""
    timing_weight: float | None = Field(default=None, ge=0, le=1)
    """Next basket: weight of restock timing vs. recency-weighted frequency. None: learned
    by the population refit."""
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
