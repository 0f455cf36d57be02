"""Smart re-ranking: order candidates by how much more likely *this* shopper is to buy them.

Each candidate's score is a sum of log-likelihood ratios against the average shopper, so a
new shopper (all ratios zero) keeps the original order:

* **affinity** — ``log P_user(p) / P_all(p)`` with ``P(p) = P(category) · P(p | category)``,
  each level shrunk toward the population by ``item_prior`` pseudo-counts (hierarchical
  smoothing: a shopper who buys oat milk lifts other milks a little and oat milk a lot);
* **position** — ``-log(1 + rank)``: the retriever's order as a prior;
* **price** — ``weight · position · z``: the shopper's shrunk unit-price position times the
  product's (both relative to what the population buys in its comparable group,
  learning/prices), so a shopper who buys cheaper than most lifts cheaper products and one
  who buys dearer lifts dearer ones; ``weight`` is learned on held-out baskets (0 when the
  term does not help) unless ``EngineConfig.price_weight`` sets it;
* **diet** — ``log(1 - P(avoid))`` of the product's attributes (declared ones sink it);
* **dismissed** — ``-log(1 + times dismissed)``;
* **cart** — ``log(1 + cart adds) - log(1 + cart removes)``: a product put in the cart rises,
  one taken out (a removed suggestion) sinks, in the same units as a dismissal; adding and
  then removing it cancels out; weighted by ``cart_weight``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from leafloaf.catalog import Catalog
from leafloaf.config import EngineConfig
from leafloaf.learning.population import PopulationModel, price_position
from leafloaf.learning.stats import UserStats

__all__ = ["UserModel", "compile_user_model"]

_DECLARED_PENALTY = -50.0


@dataclass
class UserModel:
    """A shopper's statistics compiled for fast scoring (rebuilt when they change)."""

    user_id: str
    lines: float
    item_lines: dict[str, float]
    category_lines: dict[str, float]
    dismissed: dict[str, float]
    avoid: dict[str, float]
    declared: dict[str, bool]
    price_z: float | None
    cart: dict[str, float] | None = None
    """Net cart signal per product: ``log(1 + adds) - log(1 + removes)`` (non-zero only)."""
    diet_penalty: dict[str, float] = field(init=False, repr=False)
    """Attribute → its diet term: ``log(1 - P(avoid))``, or the declared penalty (one look-up
    per attribute when scoring, instead of one in each of ``declared`` and ``avoid``)."""

    def __post_init__(self) -> None:
        penalty = {a: math.log(max(1.0 - p, 1e-3)) for a, p in self.avoid.items()}
        penalty.update({a: _DECLARED_PENALTY for a, on in self.declared.items() if on})
        self.diet_penalty = penalty

    def score(
        self,
        product_id: str,
        rank: int,
        population: PopulationModel,
        catalog: Catalog,
        config: EngineConfig,
    ) -> dict[str, float]:
        """Score terms of one candidate at position ``rank`` in the original order."""
        m = config.item_prior
        terms = {"position": -math.log1p(rank)}
        category, log_pi_c, log_pi_pc = population.log_priors(product_id, catalog)
        n_item = self.item_lines.get(product_id, 0.0)
        if category is not None:
            k_c = self.category_lines.get(category, 0.0)
            if k_c or self.lines:
                pi_c, pi_pc = math.exp(log_pi_c), math.exp(log_pi_pc)
                theta = (k_c + m * pi_c) / (self.lines + m)
                phi = (n_item + m * pi_pc) / (k_c + m)
                terms["affinity"] = math.log(theta) - log_pi_c + math.log(phi) - log_pi_pc
            else:
                terms["affinity"] = 0.0
        else:
            pi_p = math.exp(log_pi_pc)
            terms["affinity"] = math.log((n_item + m * pi_p) / (self.lines + m)) - log_pi_pc
        if self.price_z and population.prices is not None:
            weight = (
                population.prices.weight if config.price_weight is None else config.price_weight
            )
            zp = population.prices.z.get(product_id)
            if weight and zp is not None:
                terms["price"] = weight * self.price_z * zp
        penalty = self.diet_penalty
        if penalty:
            diet = 0.0
            for attr in catalog.attributes(product_id):
                v = penalty.get(attr)
                if v is not None and v < diet:
                    diet = v  # the declared penalty is below any inferred one
            if diet:
                terms["diet"] = diet
        dismissed = self.dismissed.get(product_id)
        if dismissed:
            terms["dismissed"] = -math.log1p(dismissed)
        if self.cart and config.cart_weight:
            cart = self.cart.get(product_id)
            if cart:
                terms["cart"] = config.cart_weight * cart
        return terms


def compile_user_model(
    stats: UserStats,
    population: PopulationModel,
    catalog: Catalog,
    avoid: dict[str, float],
) -> UserModel:
    """Build the scoring view of one shopper; ``avoid`` maps attributes to P(avoid)."""
    item_lines: dict[str, float] = {}
    category_lines: dict[str, float] = {}
    dismissed: dict[str, float] = {}
    cart: dict[str, float] = {}
    for pid, item in stats.items.items():
        if item.lines > 0:
            item_lines[pid] = item.lines
            category = catalog.category(pid)
            if category is not None:
                category_lines[category] = category_lines.get(category, 0.0) + item.lines
        if item.dismisses > 0:
            dismissed[pid] = item.dismisses
        if item.carts > 0 or item.removes > 0:
            net = math.log1p(item.carts) - math.log1p(item.removes)
            if net:
                cart[pid] = net
    price_z, _ = price_position(stats, population, catalog)  # shrunk by the learned prior
    return UserModel(
        user_id=stats.user_id,
        lines=sum(item_lines.values()),
        item_lines=item_lines,
        category_lines=category_lines,
        dismissed=dismissed,
        avoid=avoid,
        declared={a: v for a, v in stats.declared.items()},
        price_z=price_z,
        cart=cart,
    )
