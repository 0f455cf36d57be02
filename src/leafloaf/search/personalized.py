"""Personalised search: retrieve a candidate pool, re-rank it for the shopper, respect diet."""

from __future__ import annotations

from typing import TYPE_CHECKING

from leafloaf.catalog import attribute_label
from leafloaf.search.base import PersonalizedHit, SearchBackend, SearchFilters

if TYPE_CHECKING:
    from leafloaf.engine import GraphitiPersonalizationEngine

__all__ = ["personalized_search"]


def personalized_search(
    engine: GraphitiPersonalizationEngine,
    backend: SearchBackend,
    user_id: str,
    query: str,
    k: int = 10,
    filters: SearchFilters | None = None,
    pool: int = 200,
) -> list[PersonalizedHit]:
    """The shopper's best ``k`` products for ``query``.

    Declared dietary avoidances are hard filters (the backend never returns them); inferred
    ones demote with a reason. A shopper with no history gets the backend's order.
    """
    diet = engine.dietary_profile(user_id)
    declared = tuple(a.attribute for a in diet.avoided if a.source == "declared")
    inferred = {a.attribute for a in diet.avoided if a.source == "inferred"}
    base = filters or SearchFilters()
    if declared:
        base = base.model_copy(update={"exclude_attributes": (*base.exclude_attributes, *declared)})
    hits = backend.search(query, k=max(pool, k), filters=base)
    if not hits:
        return []
    retrieved = {h.product_id: (rank, h) for rank, h in enumerate(hits)}
    known = [h.product_id for h in hits if h.product_id in engine.catalog]
    ranking = engine.rerank(user_id, known, query=query)
    out: list[PersonalizedHit] = []
    for scored in ranking[:k]:
        rank, hit = retrieved[scored.product_id]
        reasons = list(scored.reasons)
        clash = inferred.intersection(engine.catalog.attributes(scored.product_id))
        for attribute in sorted(clash):
            reasons.append(f"shown lower: you seem to avoid {attribute_label(attribute)}")
        if declared:
            reasons.append(
                "hiding what you avoid: " + ", ".join(attribute_label(a) for a in declared)
            )
        out.append(
            PersonalizedHit(
                product_id=scored.product_id,
                name=scored.name,
                score=scored.score,
                retrieval_rank=rank,
                retriever=hit.retriever,
                reasons=reasons,
            )
        )
    return out
