"""Quantity memory: how many of a product this shopper usually takes.

A Dirichlet–multinomial over the quantities seen: the shopper's own histogram plus
``quantity_prior`` pseudo-lines spread like everyone's histogram for the product. The mode
of the posterior is the suggestion; its posterior share is the confidence.
"""

from __future__ import annotations

from leafloaf.config import EngineConfig
from leafloaf.learning.population import PopulationModel
from leafloaf.learning.stats import UserStats
from leafloaf.models import QuantitySuggestion, Reason

__all__ = ["suggest_quantity"]


def suggest_quantity(
    stats: UserStats, population: PopulationModel, product_id: str, config: EngineConfig
) -> QuantitySuggestion:
    """Suggested quantity of ``product_id`` for this shopper, with where it came from."""
    own = stats.quantity_histogram(product_id)
    others = population.product_quantities.get(product_id, {})
    others_total = sum(others.values())
    posterior: dict[float, float] = dict(own)
    if others_total > 0:
        for q, c in others.items():
            posterior[q] = posterior.get(q, 0.0) + config.quantity_prior * c / others_total
    if not posterior:
        return QuantitySuggestion(
            user_id=stats.user_id,
            product_id=product_id,
            quantity=1.0,
            confidence=0.0,
            source="default",
            reasons=[Reason.of("quantity_default")],
        )
    # ties go to what this shopper did, then to the smaller quantity
    quantity, mass = max(posterior.items(), key=lambda kv: (kv[1], own.get(kv[0], 0.0), -kv[0]))
    confidence = mass / sum(posterior.values())
    own_lines = sum(own.values())
    same = own.get(quantity, 0.0)
    if own_lines > 0 and same > 0:
        reasons = [Reason.of("quantity_personal", quantity=quantity, same=same, lines=own_lines)]
        source = "personal"
    elif own_lines > 0:
        mine = max(own, key=lambda q: own[q])
        reasons = [
            Reason.of(
                "quantity_shoppers_over_own",
                own=mine,
                quantity=quantity,
                share=others.get(quantity, 0.0) / others_total,
                lines=others_total,
            )
        ]
        source = "product"
    else:
        reasons = [
            Reason.of(
                "quantity_shoppers",
                quantity=quantity,
                share=others.get(quantity, 0.0) / others_total,
                lines=others_total,
            )
        ]
        source = "product"
    return QuantitySuggestion(
        user_id=stats.user_id,
        product_id=product_id,
        quantity=quantity,
        confidence=confidence,
        source=source,
        reasons=reasons,
    )
