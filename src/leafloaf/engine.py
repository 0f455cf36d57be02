"""GraphitiPersonalizationEngine: records shopper events and answers the ten capabilities."""

from __future__ import annotations

import gc
import logging
import math
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import numpy as np

from leafloaf.analytics.base import AnalyticsSink, NullSink
from leafloaf.catalog import Catalog, attribute_label
from leafloaf.config import EngineConfig
from leafloaf.errors import StoreUnavailableError, UnknownProductError, ValidationError
from leafloaf.learning.budget import budget_profile
from leafloaf.learning.dietary import posterior_avoid
from leafloaf.learning.household import household_features
from leafloaf.learning.nextbasket import next_basket_scores
from leafloaf.learning.population import PopulationModel, fit_population
from leafloaf.learning.quantity import suggest_quantity
from leafloaf.learning.ranking import UserModel, compile_user_model
from leafloaf.learning.reorder import reorder_items
from leafloaf.learning.stats import DECL_OPS, DeltaBatch, UserStats
from leafloaf.learning.usual import usual_order, usual_scores
from leafloaf.memory.base import InMemoryMemory, MemoryBackend
from leafloaf.models import (
    SECONDS_PER_DAY,
    AttributeAffinity,
    BudgetProfile,
    Complement,
    DietaryAvoidance,
    DietaryProfile,
    Event,
    Explanation,
    HouseholdProfile,
    Product,
    QuantitySuggestion,
    Ranking,
    RecordReport,
    Rejection,
    ReorderPrediction,
    ScoredProduct,
    UserPreferences,
    UsualOrder,
)
from leafloaf.search.base import PersonalizedHit, SearchBackend, SearchFilters
from leafloaf.search.personalized import personalized_search
from leafloaf.stores import open_store
from leafloaf.stores.base import StateStore
from leafloaf.stores.memory import InMemoryStore

__all__ = ["GraphitiPersonalizationEngine"]

log = logging.getLogger("leafloaf")

_MIN_POPULATION = 10
"""Shoppers needed before "most shoppers buy it" means anything (dietary inference)."""

EventInput = Event | Mapping[str, Any]


@contextmanager
def _bulk_allocation() -> Iterator[None]:
    """Pause the cyclic garbage collector during bulk ingest.

    Ingest allocates many small acyclic lists and tuples; generation-0 collections over
    them cost a third of ``record_many``'s time and free nothing.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class GraphitiPersonalizationEngine:
    """Learns each shopper from events and answers personalised questions about them.

    Everything runs in this process by default (in-memory store, no analytics, in-process
    memory); pass a store name (``"sqlite"``) or instance, an :class:`AnalyticsSink` and a
    :class:`MemoryBackend` to scale out. All learning is statistics over events — see
    ``docs/concepts.md`` — and every answer carries ``reasons``.

    >>> from leafloaf import Catalog, Event, GraphitiPersonalizationEngine, Product
    >>> banana = Product(product_id="1", name="Bananas", categories=("produce", "fruit"))
    >>> catalog = Catalog([banana])
    >>> engine = GraphitiPersonalizationEngine(catalog)
    >>> engine.record(Event.purchase("ann", "1")).accepted
    1
    >>> engine.usual_order("ann").items[0].name
    'Bananas'
    """

    def __init__(
        self,
        catalog: Catalog,
        store: StateStore | str | None = None,
        analytics: AnalyticsSink | None = None,
        memory: MemoryBackend | None = None,
        clock: Callable[[], datetime] | None = None,
        config: EngineConfig | None = None,
        **store_options: Any,
    ) -> None:
        self.catalog = catalog
        self.store = open_store(store, **store_options)
        self.analytics = analytics or NullSink()
        self.memory = memory or InMemoryMemory()
        self.clock = clock or (lambda: datetime.now(UTC))
        self.config = config or EngineConfig()
        self._decay_rate = math.log(2) / self.config.half_life_days
        self._lock = threading.RLock()
        self._stats: dict[str, UserStats] = {}
        self._models: dict[str, UserModel] = {}
        self._population: PopulationModel | None = None
        self._pending: list[Event] = []
        self._search: SearchBackend | None = None

    # --- recording ----------------------------------------------------------------------------
    def record(self, event: EventInput) -> RecordReport:
        """Validate and learn from one event; bad input raises :class:`ValidationError`.

        Recording an ``event_id`` that was already recorded changes nothing.
        """
        event = self._validate(event)
        return self._ingest([event], RecordReport())

    def record_many(self, events: Iterable[EventInput]) -> RecordReport:
        """Learn from many events; invalid rows are reported, every valid row is kept.

        >>> report = engine.record_many(rows)          # doctest: +SKIP
        >>> report.accepted, [r.field for r in report.rejected]  # doctest: +SKIP
        (999, ['quantity'])
        """
        report = RecordReport()
        chunk: list[Event] = []
        with _bulk_allocation():
            self._record_into(events, report, chunk)
        return report

    def _record_into(
        self, events: Iterable[EventInput], report: RecordReport, chunk: list[Event]
    ) -> None:
        for index, raw in enumerate(events):
            try:
                chunk.append(self._validate(raw))
            except ValidationError as err:
                report.rejected.append(
                    Rejection(
                        index=index,
                        field=err.field,
                        value=repr(err.value)[:200],
                        message=err.message,
                    )
                )
            if len(chunk) >= self.config.batch_size:
                self._ingest(chunk, report)
                chunk = []
        if chunk:
            self._ingest(chunk, report)

    def _validate(self, raw: EventInput) -> Event:
        if isinstance(raw, Event):
            event = raw
        elif isinstance(raw, Mapping):
            event = Event(**raw)
        else:
            raise ValidationError("event", type(raw).__name__, "must be an Event or a mapping")
        if event.product_id is not None and event.product_id not in self.catalog:
            raise UnknownProductError(event.product_id)
        return event

    def _ingest(self, events: list[Event], report: RecordReport) -> RecordReport:
        report.accepted += len(events)
        with self._lock:
            try:
                self._replay_pending()
                new = self._commit(events)
            except Exception as exc:  # any store fault: keep the events, replay later
                log.warning("state store failed (%s); buffering %d events", exc, len(events))
                self._pending.extend(events)
                report.buffered += len(events)
                return report
        report.duplicates += len(events) - len(new)
        self._fan_out(new)
        return report

    def _commit(self, events: Sequence[Event]) -> list[Event]:
        with self.store.transaction():
            fresh = self.store.append_events(events)
            new = [e for e, is_new in zip(events, fresh, strict=True) if is_new]
            batch = DeltaBatch(self._decay_rate)
            batch.add_many(new)
            if batch.updates:
                self.store.apply(batch.updates)
        for user in batch.updates:
            self._stats.pop(user, None)
            self._models.pop(user, None)
        return new

    def _replay_pending(self) -> None:
        if self._pending:
            pending, self._pending = self._pending, []
            try:
                new = self._commit(pending)
            except Exception:
                self._pending = pending + self._pending
                raise
            self._fan_out(new)

    def _fan_out(self, new: list[Event]) -> None:
        if not new:
            return
        for sink, call in ((self.analytics, "emit"), (self.memory, "remember")):
            try:
                getattr(sink, call)(new)
            except Exception as exc:  # analytics and memory never cost an accepted event
                log.warning("%s.%s failed: %s", type(sink).__name__, call, exc)

    def flush(self) -> int:
        """Replay events buffered during a store fault; returns how many are still pending."""
        with self._lock:
            try:
                self._replay_pending()
            except Exception as exc:
                log.warning("state store still failing (%s)", exc)
        self.analytics.flush()
        return len(self._pending)

    @property
    def pending(self) -> int:
        """Accepted events waiting for the store to come back."""
        return len(self._pending)

    def declare_avoidance(
        self, user_id: str, attribute: str, avoid: bool = True, at: datetime | None = None
    ) -> None:
        """Record what a shopper says ("I'm vegetarian" → ``department:meat seafood``).

        Declarations override inference; the latest statement about an attribute wins.
        """
        if not user_id or not user_id.strip():
            raise ValidationError("user_id", user_id, "must not be empty or blank")
        if self.catalog.count_with(attribute) == 0:
            raise ValidationError("attribute", attribute, "is not an attribute of any product")
        when = self._moment(at)
        batch = DeltaBatch(self._decay_rate)
        batch.declare(user_id, attribute, avoid, when.timestamp() / SECONDS_PER_DAY)
        with self._lock:
            self.store.apply(batch.updates)
            self._stats.pop(user_id, None)
            self._models.pop(user_id, None)

    # --- learned state ------------------------------------------------------------------------
    def fit(self) -> PopulationModel:
        """Refit the population statistics now (otherwise done lazily as the log grows)."""
        with self._lock:
            users = {u: self._user_stats(u) for u in self.store.users()}
            vectors = {}
            for user, stats in users.items():
                days = stats.basket_days()
                if days:
                    vectors[user] = usual_scores(stats, None, self.config, days[-1])
            self._population = fit_population(
                users, self.store.records(), self.catalog, self.store.event_count(), vectors
            )
            self._models.clear()
            return self._population

    @property
    def population(self) -> PopulationModel:
        """Population statistics, refit when the log grew by ``config.refit_fraction``."""
        pop = self._population
        try:
            count = self.store.event_count()
            stale = pop is None or count - pop.events_at_fit > self.config.refit_fraction * max(
                pop.events_at_fit, 1
            )
            if stale:
                pop = self.fit()
        except Exception as exc:  # store down: keep serving from the last fit
            if pop is None:
                msg = f"no population model yet and the store failed: {exc}"
                raise StoreUnavailableError(msg) from exc
            log.warning("state store failed (%s); serving from the last population fit", exc)
        assert pop is not None
        return pop

    def _user_stats(self, user_id: str) -> UserStats:
        stats = self._stats.get(user_id)
        if stats is None:
            rows = (
                self.store.live_rows(user_id)
                if isinstance(self.store, InMemoryStore)
                else self.store.rows(user_id)
            )
            stats = self._stats[user_id] = UserStats.from_rows(user_id, rows)
        return stats

    def _user_model(self, user_id: str) -> UserModel:
        model = self._models.get(user_id)
        if model is None:
            pop = self.population
            avoid = {a.attribute: a.probability for a in self.dietary_profile(user_id).avoided}
            model = compile_user_model(self._user_stats(user_id), pop, self.catalog, avoid)
            self._models[user_id] = model
        return model

    def _moment(self, at: datetime | None) -> datetime:
        """``at`` checked for a timezone, or the engine clock's now."""
        when = at or self.clock()
        if when.tzinfo is None:
            raise ValidationError("at", when, "must be timezone-aware")
        return when

    def _now_day(self) -> float:
        return self.clock().timestamp() / SECONDS_PER_DAY

    # --- the ten capabilities -------------------------------------------------------------------
    def usual_order(self, user_id: str, k: int = 10) -> UsualOrder:
        """The shopper's "my usual" basket: top ``k`` products with quantities."""
        stats = self._user_stats(user_id)
        days = stats.basket_days()
        ref = days[-1] if days else self._now_day()
        return usual_order(stats, self.population, self.catalog, self.config, ref, k)

    def next_basket(self, user_id: str, k: int = 10, at: datetime | None = None) -> Ranking:
        """The ``k`` products most likely in the shopper's next order (placed at ``at``).

        Blends the usual order, restock timing and similar shoppers' baskets; see
        ``docs/concepts.md``. ``at`` defaults to now.
        """
        when = self._moment(at)
        scores = next_basket_scores(
            self._user_stats(user_id),
            self.population,
            self.config,
            when.timestamp() / SECONDS_PER_DAY,
        )
        top = sorted(scores.items(), key=lambda kv: (-kv[1][0], kv[0]))[:k]
        entries = [(parts[0], rank, pid) for rank, (pid, parts) in enumerate(top)]
        catalog = self.catalog

        def build(total: float, rank: int, pid: str) -> ScoredProduct:
            _, usual, timing, neighbours = scores[pid]
            reasons = []
            if usual:
                reasons.append(f"in {usual:.0%} of your recent orders (recency-weighted)")
            if timing:
                reasons.append(f"{timing:.0%} chance it is due by then")
            if neighbours:
                reasons.append(f"in {neighbours:.0%} of similar shoppers' usual orders")
            return ScoredProduct(
                product_id=pid, name=catalog.name(pid), score=total, base_rank=rank, reasons=reasons
            )

        return Ranking(entries, build)

    def reorder_due(
        self, user_id: str, at: datetime | None = None, k: int | None = None
    ) -> ReorderPrediction:
        """Probability each product is needed in an order at ``at`` (default: now)."""
        when = self._moment(at)
        items = reorder_items(
            self._user_stats(user_id),
            self.population,
            self.catalog,
            when.timestamp() / SECONDS_PER_DAY,
        )
        if k is not None:
            items = items[:k]
        due = sum(item.due for item in items)
        return ReorderPrediction(
            user_id=user_id,
            at=when,
            items=items,
            reasons=[
                f"{due} products are due (probability at least 50%)",
                f"interval spread learned from all shoppers (gamma shape "
                f"{self.population.interval_shape:.2f})",
            ],
        )

    def dietary_profile(self, user_id: str) -> DietaryProfile:
        """Attributes the shopper avoids: declared ones, then confidently inferred ones."""
        stats = self._user_stats(user_id)
        pop = self.population
        lines = stats.lines
        bought: set[str] = set()
        for pid in stats.purchased:
            bought.update(self.catalog.attributes(pid))
        avoided: list[DietaryAvoidance] = []
        for attribute, avoids in sorted(stats.declared.items()):
            if avoids:
                avoided.append(
                    DietaryAvoidance(
                        attribute=attribute,
                        probability=1.0,
                        source="declared",
                        expected_purchases=0.0,
                        reasons=[f"you told us you avoid {attribute_label(attribute)}"],
                    )
                )
        rates = pop.attribute_rates
        if rates is not None and lines > 0 and pop.n_users >= _MIN_POPULATION:
            posterior = posterior_avoid(rates, lines)
            credible = self.config.dietary_credibility
            for i in np.flatnonzero(posterior >= credible).tolist():
                attribute = rates.attributes[i]
                if attribute in bought or attribute in stats.declared:
                    continue
                share = 1.0 - float(rates.never[i])
                if share < 0.5:
                    continue  # most shoppers never buy it: not buying it is not an avoidance
                expected = lines * rates.mean_rate(attribute)
                avoided.append(
                    DietaryAvoidance(
                        attribute=attribute,
                        probability=float(posterior[i]),
                        source="inferred",
                        expected_purchases=expected,
                        reasons=[
                            f"none of your {lines:.0f} purchases is {attribute_label(attribute)}",
                            f"{share:.0%} of shoppers buy it; a typical one would have bought "
                            f"about {expected:.0f} by now",
                        ],
                    )
                )
        avoided.sort(key=lambda a: (a.source != "declared", -a.probability, -a.expected_purchases))
        return DietaryProfile(
            user_id=user_id,
            lines_seen=int(lines),
            avoided=avoided,
            reasons=[
                f"compared with {pop.n_users} shoppers; reported at posterior "
                f">= {self.config.dietary_credibility:.0%}"
                if pop.n_users >= _MIN_POPULATION
                else f"only {pop.n_users} shoppers to compare with: nothing inferred yet"
            ],
        )

    def complements(self, user_id: str, product_ids: Sequence[str], k: int = 5) -> list[Complement]:
        """Products that go with ``product_ids`` (a basket), for this shopper."""
        for pid in product_ids:
            if pid not in self.catalog:
                raise UnknownProductError(pid, field="product_ids")
        pop = self.population
        stats = self._user_stats(user_id)
        orders = max(stats.orders, 1)
        model = self._user_model(user_id)
        values = pop.cooccurrence.added_value(list(product_ids), self.config.complement_prior)
        scored = []
        basket = set(product_ids)
        for candidate, contributions in values.items():
            if candidate in basket:
                continue
            added = sum(contributions.values())
            if added <= 0:
                continue
            item = stats.items.get(candidate)
            own = (item.lines / orders) if item is not None and item.lines > 0 else 0.0
            diet = model.score(candidate, 0, pop, self.catalog, self.config).get("diet", 0.0)
            if any(model.declared.get(a) for a in self.catalog.attributes(candidate)):
                continue  # the shopper said they avoid it: never suggest it
            score = added * (1.0 + own) * math.exp(diet)
            scored.append((score, candidate, contributions, own))
        scored.sort(key=lambda s: (-s[0], s[1]))
        out = []
        for score, candidate, contributions, own in scored[:k]:
            anchor = max(contributions, key=lambda a: contributions[a])
            co = pop.cooccurrence
            together = co.together_count(anchor, candidate)
            share = together / max(co.count(anchor), 1.0)
            reasons = [
                f"{together:.0f} of the {co.count(anchor):.0f} shoppers who buy "
                f"{self.catalog.name(anchor)} bought it in the same order ({share:.0%}, vs "
                f"{co.base_rate(candidate):.1%} of all shoppers buying it at all)"
            ]
            if own > 0:
                reasons.append(f"you buy it in {own:.0%} of your orders")
            out.append(
                Complement(
                    product_id=candidate,
                    name=self.catalog.name(candidate),
                    score=score,
                    reasons=reasons,
                )
            )
        return out

    def suggest_quantity(self, user_id: str, product_id: str) -> QuantitySuggestion:
        """How many of ``product_id`` this shopper usually takes."""
        if product_id not in self.catalog:
            raise UnknownProductError(product_id)
        return suggest_quantity(self._user_stats(user_id), self.population, product_id, self.config)

    def budget_profile(self, user_id: str) -> BudgetProfile:
        """Price sensitivity: price position within categories vs. other shoppers."""
        return budget_profile(self._user_stats(user_id), self.population, self.catalog)

    def household_profile(self, user_id: str) -> HouseholdProfile:
        """Whether the account looks shared by a household (declared members, or behaviour)."""
        stats = self._user_stats(user_id)
        members = len(stats.members)
        pop = self.population
        features = household_features(stats, self.catalog) or {}
        if members >= 2:
            return HouseholdProfile(
                user_id=user_id,
                shared_probability=1.0,
                members_declared=members,
                features=features,
                reasons=[f"{members} different members placed orders on this account"],
            )
        detector = pop.household
        if not features or detector is None:
            why = (
                "fewer than two orders so far"
                if not features
                else f"only {pop.n_users} shoppers to compare with"
            )
            return HouseholdProfile(
                user_id=user_id,
                shared_probability=0.0,
                members_declared=members,
                features=features,
                reasons=[f"not enough evidence yet: {why}"],
            )
        probability = detector.probability(features)
        parallel = detector.percentile("parallel_repertoire", features["parallel_repertoire"])
        breadth = detector.percentile("repertoire_breadth", features["repertoire_breadth"])
        return HouseholdProfile(
            user_id=user_id,
            shared_probability=probability,
            members_declared=members,
            features=features,
            reasons=[
                f"buys several versions of the same kind of product in "
                f"{features['parallel_repertoire']:.0%} of repeat categories "
                f"(more than {parallel:.0%} of shoppers)",
                f"{features['repertoire_breadth']:.0%} of purchases are different products "
                f"(more than {breadth:.0%} of shoppers)",
                "compared with accounts made by merging two real shoppers' histories",
            ],
        )

    # --- ranking, explanation, schema -----------------------------------------------------------
    def rerank(
        self, user_id: str, products: Sequence[str | Product], query: str | None = None
    ) -> Ranking:
        """Re-order candidates (e.g. search results) for this shopper, best first.

        A shopper with no history keeps the original order. Each result's ``reasons`` say
        which learned statistics moved it.
        """
        ids = [p.product_id if isinstance(p, Product) else p for p in products]
        catalog = self.catalog
        for pid in ids:
            if pid not in catalog:
                raise UnknownProductError(pid, field="products")
        model = self._user_model(user_id)
        pop, config = self.population, self.config
        score = model.score
        entries = [
            (sum(score(pid, rank, pop, catalog, config).values()), rank, pid)
            for rank, pid in enumerate(ids)
        ]
        entries.sort(key=lambda s: (-s[0], s[1]))

        def build(total: float, rank: int, pid: str) -> ScoredProduct:
            terms = score(pid, rank, pop, catalog, config)
            return ScoredProduct(
                product_id=pid,
                name=catalog.name(pid),
                score=total,
                base_rank=rank,
                reasons=self._term_reasons(model, pid, terms, query),
            )

        return Ranking(entries, build)

    def _term_reasons(
        self, model: UserModel, pid: str, terms: Mapping[str, float], query: str | None
    ) -> list[str]:
        reasons = []
        n = model.item_lines.get(pid, 0.0)
        if n:
            reasons.append("you bought it once" if n == 1 else f"you bought it {n:.0f} times")
        elif terms.get("affinity", 0.0) > 0.5:
            category = self.catalog.category(pid)
            reasons.append(f"you often buy {attribute_label(category or '')}")
        if terms.get("price", 0.0) > 0.2:
            reasons.append("priced like what you usually pick")
        elif terms.get("price", 0.0) < -0.2:
            reasons.append("priced unlike what you usually pick")
        if "diet" in terms:
            reasons.append("conflicts with what you avoid")
        if "dismissed" in terms:
            reasons.append("you dismissed it before")
        if not reasons:
            reasons.append(f"original position for {query!r}" if query else "original position")
        return reasons

    def search(
        self,
        user_id: str,
        query: str,
        k: int = 10,
        filters: SearchFilters | None = None,
        backend: SearchBackend | None = None,
        pool: int = 200,
    ) -> list[PersonalizedHit]:
        """Product search personalised for this shopper (see ``docs/search.md``).

        Uses ``backend`` or the engine's search backend (``LocalSearch`` over the catalog,
        built on first use; needs ``leafloaf[search]``). Declared avoidances are filtered
        out, inferred ones demoted; new shoppers get the unpersonalised order.
        """
        if not query or not query.strip():
            raise ValidationError("query", query, "must not be empty")
        if backend is None:
            if self._search is None:
                from leafloaf.search.local import LocalSearch

                self._search = LocalSearch(dense=False)
                self._search.index(self.catalog)
            backend = self._search
        return personalized_search(self, backend, user_id, query, k=k, filters=filters, pool=pool)

    def explain(self, user_id: str, product_id: str) -> Explanation:
        """The statistics and score terms behind a product for a shopper."""
        if product_id not in self.catalog:
            raise UnknownProductError(product_id)
        stats = self._user_stats(user_id)
        model = self._user_model(user_id)
        terms = model.score(product_id, 0, self.population, self.catalog, self.config)
        terms.pop("position")
        item = stats.items.get(product_id)
        statistics: dict[str, float] = {"orders": float(stats.orders)}
        if item is not None:
            statistics.update(
                lines=item.lines,
                quantity=item.quantity,
                first_day=item.first_day,
                last_day=item.last_day,
                views=item.views,
                cart_adds=item.carts,
                dismissals=item.dismisses,
            )
        reasons = self._term_reasons(model, product_id, terms, None)
        return Explanation(
            user_id=user_id,
            product_id=product_id,
            name=self.catalog.name(product_id),
            statistics=statistics,
            contributions=terms,
            reasons=reasons,
        )

    def preferences(self, user_id: str) -> UserPreferences:
        """The shopper's typed, versioned preference schema (JSON round-trips)."""
        stats = self._user_stats(user_id)
        pop = self.population
        model = self._user_model(user_id)
        days = stats.basket_days()
        ref = days[-1] if days else self._now_day()
        favourites = sorted(
            usual_scores(stats, pop, self.config, ref).items(), key=lambda kv: (-kv[1], kv[0])
        )[:10]
        affinities = []
        for category, k_c in model.category_lines.items():
            share = k_c / max(model.lines, 1.0)
            affinities.append(
                AttributeAffinity(
                    attribute=category, share=share, lift=share / pop.category_share(category)
                )
            )
        affinities.sort(key=lambda a: (-a.share * math.log(max(a.lift, 1e-9)), a.attribute))
        diet = self.dietary_profile(user_id)
        budget = self.budget_profile(user_id)
        household = self.household_profile(user_id)
        quantities = {}
        for pid, _ in favourites:
            q = suggest_quantity(stats, pop, pid, self.config)
            if q.quantity != 1:
                quantities[pid] = q.quantity
        last = max((it.last_day for it in stats.purchased.values()), default=None)
        return UserPreferences(
            user_id=user_id,
            orders=stats.orders,
            lines=int(stats.lines),
            days_between_orders=stats.mean_gap(),
            favourite_products=[pid for pid, _ in favourites],
            affinities=affinities[:10],
            avoided=[a.attribute for a in diet.avoided if a.source == "inferred"],
            declared_avoided=[a.attribute for a in diet.avoided if a.source == "declared"],
            budget=budget.sensitivity,
            price_position=budget.price_position,
            household_shared_probability=household.shared_probability,
            usual_quantities=quantities,
            updated_at=(
                datetime.fromtimestamp(last * SECONDS_PER_DAY, UTC) if last is not None else None
            ),
            reasons=[f"learned from {stats.orders} orders and {stats.lines:.0f} purchased lines"],
        )

    # --- privacy and operations ---------------------------------------------------------------
    def export_user(self, user_id: str) -> dict[str, Any]:
        """Everything held about a shopper, JSON-serialisable (data-subject access)."""
        with self._lock:
            events = [e.model_dump(mode="json") for e in self.store.events(user_id)]
            events += [e.model_dump(mode="json") for e in self._pending if e.user_id == user_id]
            return {
                "user_id": user_id,
                "preferences": self.preferences(user_id).model_dump(mode="json"),
                "state": self.store.rows(user_id),
                "events": events,
                "memory": [
                    f.model_dump(mode="json") for f in self.memory.recall(user_id, limit=10**6)
                ],
            }

    def forget_user(self, user_id: str) -> None:
        """Erase every trace of a shopper in every configured store (right to be forgotten).

        Population statistics are refit on next use so the shopper no longer counts in them.
        """
        with self._lock:
            self._pending = [e for e in self._pending if e.user_id != user_id]
            self.store.forget_user(user_id)
            self.analytics.forget_user(user_id)
            self.memory.forget_user(user_id)
            self._stats.pop(user_id, None)
            self._models.clear()
            self._population = None

    def merge(self, other: GraphitiPersonalizationEngine) -> RecordReport:
        """Fold another engine's events and declarations into this one (ids dedupe overlap)."""
        report = self.record_many(other.store.events())
        for user in list(other.store.users()):
            declared = {
                key: (DECL_OPS, values)
                for key, values in other.store.rows(user).items()
                if key.startswith("decl:")
            }
            if declared:
                with self._lock:
                    self.store.apply({user: declared})
                    self._stats.pop(user, None)
                    self._models.pop(user, None)
        return report

    def users(self) -> list[str]:
        """Every shopper the engine knows."""
        return list(self.store.users())

    def close(self) -> None:
        """Flush buffers and close the configured backends."""
        self.flush()
        self.analytics.close()
        self.memory.close()
        self.store.close()
