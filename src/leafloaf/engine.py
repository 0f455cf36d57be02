"""GraphitiPersonalizationEngine: records shopper events and answers the ten capabilities."""

from __future__ import annotations

import gc
import logging
import math
import os
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from leafloaf.analytics.base import AnalyticsSink, NullSink
from leafloaf.catalog import Catalog, attribute_label
from leafloaf.config import EngineConfig
from leafloaf.errors import (
    ConfigError,
    LeafLoafError,
    StoreUnavailableError,
    UnknownProductError,
    ValidationError,
)
from leafloaf.health import BackendHealth
from leafloaf.learning.budget import budget_profile
from leafloaf.learning.complements import blend, cooccurrence_distribution, own_distribution
from leafloaf.learning.dietary import infer_avoidances
from leafloaf.learning.household import household_features
from leafloaf.learning.nextbasket import next_basket_knobs, next_basket_top
from leafloaf.learning.pacing import handover, paced
from leafloaf.learning.population import (
    PopulationModel,
    PurchaseColumns,
    Removal,
    fit_population,
    remove_shopper,
)
from leafloaf.learning.quantity import suggest_quantity
from leafloaf.learning.ranking import UserModel, compile_user_model
from leafloaf.learning.reorder import reorder_items
from leafloaf.learning.stats import DECL_OPS, DeltaBatch, LazyUserStats, UserStats
from leafloaf.learning.usual import (
    served_half_life,
    storage_half_life,
    usual_order,
    usual_scores,
)
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
    Fact,
    HouseholdProfile,
    NextBasketSettings,
    Product,
    QuantitySuggestion,
    Ranking,
    Reason,
    RecordReport,
    Rejection,
    Relation,
    ReorderPrediction,
    ScoredProduct,
    UserPreferences,
    UsualOrder,
)
from leafloaf.runtime.aio import AsyncEngine
from leafloaf.runtime.beliefs import BeliefWriter
from leafloaf.runtime.cache import ProfileCache
from leafloaf.runtime.ingest import Ingestor, coerce_event
from leafloaf.runtime.outbox import Outbox
from leafloaf.runtime.refit import Refitter
from leafloaf.search.base import PersonalizedHit, SearchBackend, SearchFilters
from leafloaf.search.personalized import personalized_search
from leafloaf.stores import open_store
from leafloaf.stores.base import StateStore

if TYPE_CHECKING:
    from leafloaf.settings import LeafLoafSettings

__all__ = ["GraphitiPersonalizationEngine"]

log = logging.getLogger("leafloaf")

_MIN_POPULATION = 10
"""Shoppers needed before a population prevalence means anything (dietary inference)."""

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


def _skipped_reasons(skipped: Sequence[str], declared: Mapping[str, bool]) -> list[Reason]:
    """One reason per avoided attribute that left products out of a proposal."""
    counts: dict[str, int] = {}
    for attribute in skipped:
        counts[attribute] = counts.get(attribute, 0) + 1
    return [
        Reason.of(
            "left_out_declared" if declared.get(attribute) else "left_out_inferred",
            count=n,
            attribute=attribute_label(attribute),
            key=attribute,
        )
        for attribute, n in sorted(counts.items())
    ]


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
        outbox: Outbox | str | os.PathLike[str] | None = None,
        **store_options: Any,
    ) -> None:
        if not isinstance(catalog, Catalog):
            raise ConfigError("catalog", type(catalog).__name__, "must be a leafloaf.Catalog")
        if config is not None and not isinstance(config, EngineConfig):
            raise ConfigError("config", config, "must be an EngineConfig (or None)")
        self.catalog = catalog
        self.store = open_store(store, **store_options)
        self.analytics = analytics or NullSink()
        self.memory = memory if memory is not None else InMemoryMemory()
        self.clock = clock or (lambda: datetime.now(UTC))
        self.config = config or EngineConfig()
        self._decay_rate = math.log(2) / storage_half_life(self.config)
        self._write_lock = threading.RLock()
        self._search_lock = threading.Lock()
        self._stats: ProfileCache[UserStats] = ProfileCache(self.config.cache_users)
        self._models: ProfileCache[tuple[PopulationModel, UserModel]] = ProfileCache(
            self.config.cache_users
        )
        if outbox is not None and not isinstance(outbox, Outbox):
            outbox = Outbox(outbox, capacity=self.config.outbox_capacity)
        self._ingest = Ingestor(
            self.store, self._decay_rate, self._on_commit, outbox, self.config.batch_size
        )
        remember = self.config.remember_beliefs
        self._beliefs: BeliefWriter | None = (
            BeliefWriter(self.memory, self._derive_beliefs, self._moment_now)
            if (memory is not None if remember is None else remember)
            else None
        )
        self._belief_dirty: set[str] = set()
        self._beliefs_seeded = False
        self._refitter: Refitter[PopulationModel, Removal] = Refitter(
            self._fit_snapshot,
            lambda model, removal: remove_shopper(model, removal, self.catalog),
            background=self.config.background_refit,
            on_swap=self._after_refit,
        )
        try:
            self._log_size = self.store.event_count()
        except StoreUnavailableError:  # counted again at the next external change or forget
            self._log_size = 0
        self._search: SearchBackend | None = None
        self._aio: AsyncEngine | None = None
        self._aio_lock = threading.Lock()

    @classmethod
    def from_settings(
        cls,
        catalog: Catalog,
        settings: LeafLoafSettings | str | os.PathLike[str] | None = None,
        **options: Any,
    ) -> GraphitiPersonalizationEngine:
        """An engine whose store, cache, analytics sink and outbox are chosen by settings.

        ``settings`` is a :class:`~leafloaf.LeafLoafSettings`, the path of a TOML file, or None
        (``LEAFLOAF_*`` environment variables and defaults). ``options`` go to the constructor
        (``memory=``, ``clock=``). A backend whose extra is missing raises
        :class:`~leafloaf.MissingExtraError` naming the ``pip install``.

        >>> from leafloaf import Catalog, LeafLoafSettings, Product
        >>> catalog = Catalog([Product(product_id="1", name="Bananas")])
        >>> settings = LeafLoafSettings(store="sqlite", sqlite={"path": ":memory:"}, cache="memory")
        >>> engine = GraphitiPersonalizationEngine.from_settings(catalog, settings)
        >>> [(h.kind, h.backend, h.status) for h in engine.health()][:2]
        [('store', 'sqlite', 'ok'), ('cache', 'memory', 'ok')]
        """
        from leafloaf.runtime.backends import open_analytics, open_cached_store
        from leafloaf.settings import LeafLoafSettings

        if settings is None:
            settings = LeafLoafSettings()
        elif not isinstance(settings, LeafLoafSettings):
            if not isinstance(settings, str | os.PathLike):
                raise ConfigError(
                    "settings", settings, "must be LeafLoafSettings, a TOML file path or None"
                )
            settings = LeafLoafSettings.from_toml(settings)
        store = open_cached_store(settings)
        try:
            analytics = open_analytics(settings)
        except BaseException:
            store.close()
            raise
        return cls(
            catalog,
            store=store,
            analytics=analytics,
            config=settings.engine,
            outbox=settings.outbox,
            **options,
        )

    # --- recording ----------------------------------------------------------------------------
    def record(self, event: EventInput) -> RecordReport:
        """Validate, store and learn from one event.

        Bad input raises :class:`ValidationError` naming the field. When neither the store nor
        the outbox can keep the event, :class:`StoreUnavailableError` is raised and nothing was
        accepted. Recording an ``event_id`` that was already recorded changes nothing.
        """
        event = coerce_event(event, self.catalog)
        report = RecordReport()
        with self._write_lock:
            self._ingest.write([event], [0], report)
        return report

    def record_many(self, events: Iterable[EventInput]) -> RecordReport:
        """Learn from many events; invalid rows are reported, every valid row is kept.

        Rows are committed in batches of ``config.batch_size``, each atomically. If the
        iterable itself fails part-way, the rows it yielded before are stored and its error is
        raised. If the store (and outbox) cannot take a batch, :class:`StoreUnavailableError`
        is raised with ``.report`` saying what earlier batches got accepted.

        >>> report = engine.record_many(rows)          # doctest: +SKIP
        >>> report.accepted, [r.field for r in report.rejected]  # doctest: +SKIP
        (999, ['quantity'])
        """
        if isinstance(events, str | bytes | Mapping | Event):
            raise ValidationError(
                "events", type(events).__name__, "must be an iterable of events or mappings"
            )
        report = RecordReport()
        chunk: list[Event] = []
        indices: list[int] = []
        iterator = iter(events)
        index = -1
        products = self.catalog.positions
        with _bulk_allocation():
            while True:
                try:
                    raw = next(iterator)
                except StopIteration:
                    break
                except Exception as exc:
                    self._write(chunk, indices, report)
                    exc.add_note(
                        f"leafloaf: the {report.accepted} events accepted before the input "
                        "failed are stored"
                    )
                    raise
                index += 1
                if not index & 511:  # hand the GIL to waiting readers (learning/pacing.py)
                    handover()
                # the common case inline: an Event built by validation, its product known
                if (
                    type(raw) is Event
                    and raw.__pydantic_private__["_checked"]  # type: ignore[index]
                    and (raw.product_id is None or raw.product_id in products)
                ):
                    chunk.append(raw)
                    indices.append(index)
                else:
                    try:
                        chunk.append(coerce_event(raw, self.catalog))
                        indices.append(index)
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
                    self._write(chunk, indices, report)
                    chunk, indices = [], []
            self._write(chunk, indices, report)
        return report

    def _write(self, chunk: list[Event], indices: list[int], report: RecordReport) -> None:
        if chunk:
            with self._write_lock:
                self._ingest.write(chunk, indices, report)

    def _on_commit(self, new: list[Event]) -> None:
        """After a commit (writer lock held): drop stale snapshots, fan out, maybe refit."""
        if not new:
            return
        users = {e.user_id for e in new}
        self._stats.invalidate(users)
        self._models.invalidate(users)
        self._log_size += len(new)
        try:
            self.analytics.emit(new)
        except Exception as exc:  # analytics never costs an accepted event
            log.warning("%s.emit failed: %s", type(self.analytics).__name__, exc)
        if self._beliefs is not None:  # beliefs are re-derived after the next refit
            self._belief_dirty.update(users)
        pop = self._refitter.current
        if pop is not None and self._log_size - pop.events_at_fit > (
            self.config.refit_fraction * max(pop.events_at_fit, 1)
        ):
            self._refitter.request()

    def flush(self) -> int:
        """Replay events waiting in the outbox; returns how many are still waiting."""
        with self._write_lock:
            waiting = self._ingest.drain()
        self.analytics.flush()
        return waiting

    @property
    def pending(self) -> int:
        """Accepted events waiting in the durable outbox for the store to come back."""
        outbox = self._ingest.outbox
        return len(outbox) if outbox is not None else 0

    def dead_letters(self) -> list[tuple[Event, str]]:
        """Events the store refused as data (quarantined), each with the store's error."""
        return self._ingest.dead_letters()

    def declare_avoidance(
        self, user_id: str, attribute: str, avoid: bool = True, at: datetime | None = None
    ) -> None:
        """Record what a shopper says ("I'm vegetarian" → ``department:meat seafood``).

        Declarations override inference; the latest statement about an attribute wins. They
        commit to the store at once (:class:`StoreUnavailableError` if it cannot take them).
        """
        _check_user(user_id)
        if not isinstance(attribute, str) or self.catalog.count_with(attribute) == 0:
            raise ValidationError("attribute", attribute, "is not an attribute of any product")
        if not isinstance(avoid, bool):
            raise ValidationError("avoid", avoid, "must be True or False")
        when = self._moment(at)
        batch = DeltaBatch(self._decay_rate)
        batch.declare(user_id, attribute, avoid, when.timestamp() / SECONDS_PER_DAY)
        with self._write_lock:
            with self.store.transaction():
                self.store.apply(batch.updates)
            self._stats.invalidate([user_id])
            self._models.invalidate([user_id])
        if self._beliefs is not None:
            self._beliefs.schedule([user_id])

    # --- memory -------------------------------------------------------------------------------
    def _moment_now(self) -> datetime:
        return self._moment(None)

    def _after_refit(self, model: PopulationModel) -> None:
        """A new population model is in: look again at shoppers whose events arrived since
        (every shopper after the first fit). Runs in the refit thread; only queues work."""
        writer = self._beliefs
        if writer is None:
            return
        with self._write_lock:
            dirty, self._belief_dirty = self._belief_dirty, set()
            seeded, self._beliefs_seeded = self._beliefs_seeded, True
        writer.schedule(dirty if seeded else self.store.users())

    def sync_memory(
        self, users: Iterable[str] | None = None, wait: bool = True, timeout: float | None = None
    ) -> bool:
        """Re-derive beliefs for ``users`` (default: every shopper) and write the changes.

        Normally this happens by itself after each refit and declaration, in a background
        thread; call it to catch up at once. With ``wait`` it returns once everything queued
        is written (True), or False when ``timeout`` passed. Needs belief writing on (a
        ``memory`` passed to the engine, or ``config.remember_beliefs``).
        """
        writer = self._beliefs
        if writer is None:
            raise ConfigError(
                "remember_beliefs", False, "pass memory= to the engine to write beliefs"
            )
        self.population  # noqa: B018 - the first fit, if none happened yet
        writer.schedule(self.store.users() if users is None else list(users))
        return writer.wait(timeout) if wait else True

    def _derive_beliefs(self, user_id: str, now: datetime) -> list[Fact]:
        """What the engine believes about a shopper now, as facts (memory diffs against it).

        Reads the shopper's statistics without caching them, so a full sync does not push
        the hot shoppers out of the profile cache.
        """
        stats = UserStats.from_rows(user_id, self.store.rows(user_id))
        if not stats.items and not stats.declared:
            return []
        pop, catalog = self.population, self.catalog
        facts: list[Fact] = []

        def add(subject: str, relation: Relation, obj: str, since: datetime, **kw: Any) -> None:
            facts.append(
                Fact(
                    user_id=user_id,
                    subject=subject,
                    relation=relation,
                    object=obj,
                    valid_at=min(since, now),
                    **kw,
                )
            )

        orders = max(stats.orders, 1)
        days = stats.basket_days()
        if days:
            usual = usual_order(stats, pop, catalog, self.config, days[-1], 10)
            for item in usual.items:
                own = stats.items.get(item.product_id)
                if own is None or own.lines < 2:
                    continue  # once is not "regularly"
                add(
                    f"product:{item.product_id}",
                    Relation.BUYS_REGULARLY,
                    item.name,
                    _day_time(own.first_day),
                    confidence=min(own.lines / orders, 1.0),
                )
                if item.quantity != 1:
                    add(
                        f"product:{item.product_id}",
                        Relation.TYPICAL_QUANTITY,
                        f"{item.quantity:g}",
                        now,
                    )
        declared_days = {
            key[5:]: max(values[0], values[1])
            for key, values in self.store.rows(user_id).items()
            if key.startswith("decl:")
        }
        for avoided in self._dietary(user_id, stats).avoided:
            since = (
                _day_time(declared_days[avoided.attribute])
                if avoided.attribute in declared_days
                else now
            )
            add(
                f"diet:{avoided.attribute}",
                Relation.AVOIDS,
                attribute_label(avoided.attribute),
                since,
                source=avoided.source,
                confidence=round(avoided.probability, 2),
            )
        budget = budget_profile(stats, pop, catalog)
        if budget.sensitivity != "unknown":
            add("price:overall", Relation.PRICE_SENSITIVITY, budget.sensitivity, now)
        brands: dict[str, float] = {}
        for pid, bought in stats.purchased.items():
            brand = catalog.get(pid).brand if pid in catalog else None
            if brand:
                brands[brand] = brands.get(brand, 0.0) + bought.lines
        total = sum(brands.values())
        for brand, lines in brands.items():
            if lines >= 3 and lines >= 0.25 * total:
                add(f"brand:{brand}", Relation.PREFERS_BRAND, brand, now)
        household = self._household(user_id, stats)
        judged = household.reasons[0].code not in {"household_few_orders", "household_few_shoppers"}
        if household.shared and judged:  # the prior alone is not a belief about this shopper
            add(
                f"household:{user_id}",
                Relation.MEMBER_OF_HOUSEHOLD,
                "a shared household account",
                now,
                confidence=round(household.shared_probability, 2),
            )
        return facts

    # --- learned state ------------------------------------------------------------------------
    def fit(self) -> PopulationModel:
        """Refit the population statistics now, in this thread, and use the result."""
        return self._refitter.refit()

    def refit(
        self, wait: bool = True, timeout: float | None = None, source: str | None = None
    ) -> PopulationModel | None:
        """Ask the background refitter for a new population model.

        With ``wait`` the call returns once it is swapped in (or ``timeout`` passed); reads
        keep using the previous model meanwhile. Returns the model then current.

        ``source="duckdb"`` or ``"bigquery"`` builds the model's sums with SQL in the
        engine's analytics sink instead (:func:`leafloaf.learning.sql.fit_population_sql`),
        in this thread: for histories larger than this process's memory. The sink must be
        of that kind; what the SQL fit does not compute (neighbourhood, household model,
        price positions) is left out of that model (docs/gcp.md).
        """
        if source is not None:
            return self._refitter.refit(lambda: self._fit_sql(source))
        if not self.config.background_refit:
            return self.fit()
        self._refitter.request()
        if wait:
            self._refitter.wait(timeout)
        return self._refitter.current

    def _fit_sql(self, source: str) -> tuple[PopulationModel, int]:
        from leafloaf.learning.sql import fit_population_sql

        sink = self.analytics
        if source not in ("duckdb", "bigquery"):
            raise ConfigError("source", source, "choose 'duckdb' or 'bigquery'")
        if sink.name != source:
            raise ConfigError(
                "source", source, f"the engine's analytics sink is {sink.name!r}, not {source!r}"
            )
        sink.flush()  # every accepted event in the table before the sums are taken
        with self._write_lock:
            epoch, events = self._refitter.epoch, self._log_size
        model = fit_population_sql(sink, self.catalog, events)  # type: ignore[arg-type]
        return model, epoch

    def _fit_snapshot(self) -> tuple[PopulationModel, int]:
        with self._write_lock:  # a snapshot and the removal epoch it contains, together
            snapshot = self.store.snapshot()
            epoch = self._refitter.epoch
        try:
            users = LazyUserStats(snapshot.users(), snapshot.rows)  # parsed when read
            config = self.config

            def vectors(half_life: float) -> Iterator[tuple[str, dict[str, float]]]:
                # streamed into the neighbourhood at the learned half-life, never all held
                for user, stats in paced(users.items()):
                    if stats.baskets:
                        last = stats.basket_days()[-1]
                        yield user, usual_scores(stats, None, config, last, half_life)

            arrays = snapshot.purchase_arrays()
            purchases = (
                PurchaseColumns(*arrays)
                if arrays is not None
                else PurchaseColumns.from_records(snapshot.records())
            )
            model = fit_population(
                users,
                purchases,
                self.catalog,
                snapshot.event_count(),
                vectors,
                complement_prior=config.complement_prior,
                item_prior=config.item_prior,
                config=config,
            )
        finally:
            snapshot.close()
        self._models.clear()
        return model, epoch

    @property
    def population(self) -> PopulationModel:
        """The current population statistics (never refit here, except on a cold start).

        A background thread refits once the log grew by ``config.refit_fraction``; call
        :meth:`fit` or :meth:`refit` to refresh it yourself.
        """
        pop = self._refitter.current
        if pop is not None:
            return pop
        try:
            return self._refitter.get()
        except LeafLoafError:
            raise
        except Exception as exc:  # store down on a cold start: nothing to serve from
            msg = f"no population model yet and the store failed: {exc}"
            raise StoreUnavailableError(msg) from exc

    def _user_stats(self, user_id: str) -> UserStats:
        if self.store.external_changes():  # another process wrote: cached snapshots are stale
            self._stats.clear()
            self._models.clear()
            with self._write_lock:
                self._log_size = self.store.event_count()
            self._refitter.request()
        store = self.store
        return self._stats.get(
            user_id, lambda: UserStats.from_rows(user_id, store.rows_view(user_id))
        )

    def _user_model(self, user_id: str) -> UserModel:
        pop = self.population
        stats = self._user_stats(user_id)

        def compile_model() -> tuple[PopulationModel, UserModel]:
            avoid = {a.attribute: a.probability for a in self.dietary_profile(user_id).avoided}
            return pop, compile_user_model(stats, pop, self.catalog, avoid)

        fitted_on, model = self._models.get(user_id, compile_model)
        if fitted_on is not pop:  # a newer population model was swapped in since
            self._models.invalidate([user_id])
            fitted_on, model = self._models.get(user_id, compile_model)
        return model

    def shopper_stats(self, user_id: str) -> UserStats:
        """A shopper's parsed statistics (an immutable snapshot; learners and tools read it)."""
        _check_user(user_id)
        return self._user_stats(user_id)

    def shopper_model(self, user_id: str) -> UserModel:
        """A shopper's compiled scoring model: own purchases, avoidances, price position.

        It is what ``rerank`` scores with; search and tools read ``item_lines``, ``avoid``
        and ``declared`` from it instead of recomputing them.
        """
        _check_user(user_id)
        return self._user_model(user_id)

    def _moment(self, at: datetime | None) -> datetime:
        """``at`` checked for a timezone, or the engine clock's now."""
        when = self.clock() if at is None else at
        if not isinstance(when, datetime):
            raise ValidationError("at", at, "must be a timezone-aware datetime (or None for now)")
        if when.tzinfo is None or when.utcoffset() is None:
            raise ValidationError("at", when, "must be timezone-aware")
        return when

    def _now_day(self) -> float:
        return self._moment(None).timestamp() / SECONDS_PER_DAY

    # --- the ten capabilities -------------------------------------------------------------------
    def usual_order(self, user_id: str, k: int = 10) -> UsualOrder:
        """The shopper's "my usual" basket: top ``k`` products with quantities."""
        _check_user(user_id)
        _check_k(k)
        stats = self._user_stats(user_id)
        days = stats.basket_days()
        ref = days[-1] if days else self._now_day()
        conflict = self._avoidances(user_id)
        skipped: list[str] = []

        def skip(pid: str) -> bool:
            found = conflict(pid)
            if found is not None:
                skipped.append(found)
            return found is not None

        usual = usual_order(stats, self.population, self.catalog, self.config, ref, k, skip)
        usual.reasons.extend(_skipped_reasons(skipped, stats.declared))
        return usual

    def next_basket(self, user_id: str, k: int = 10, at: datetime | None = None) -> Ranking:
        """The ``k`` products most likely in the shopper's next order (placed at ``at``).

        Blends the usual order, restock timing and similar shoppers' baskets; see
        ``docs/concepts.md``. ``at`` defaults to now.
        """
        _check_user(user_id)
        _check_k(k)
        when = self._moment(at)
        conflict = self._avoidances(user_id)
        top = next_basket_top(
            self._user_stats(user_id),
            self.population,
            self.config,
            when.timestamp() / SECONDS_PER_DAY,
            k,
            lambda pid: conflict(pid) is None,
        )
        scores = dict(top)
        entries = [(parts[0], rank, pid) for rank, (pid, parts) in enumerate(top)]
        catalog = self.catalog

        def build(total: float, rank: int, pid: str) -> ScoredProduct:
            _, usual, timing, neighbours = scores[pid]
            reasons = []
            if usual:
                reasons.append(Reason.of("usual_weighted", share=usual))
            if timing:
                reasons.append(Reason.of("due_by_then", probability=timing))
            if neighbours:
                reasons.append(Reason.of("similar_shoppers", share=neighbours))
            return ScoredProduct(
                product_id=pid, name=catalog.name(pid), score=total, base_rank=rank, reasons=reasons
            )

        return Ranking(entries, build)

    def next_basket_settings(self) -> NextBasketSettings:
        """The half-life, weights and neighbourhood size :meth:`next_basket` serves with.

        Each is learned by the population refit on held-out latest baskets unless the
        ``EngineConfig`` sets it; ``source`` says which, and the held-out Recall@10 is the
        evidence (see ``docs/concepts.md``).

        >>> from leafloaf import Catalog, GraphitiPersonalizationEngine, Product
        >>> engine = GraphitiPersonalizationEngine(Catalog([Product(product_id="1", name="Tea")]))
        >>> engine.next_basket_settings().source["timing_weight"]
        'neutral'
        """
        pop = self.population
        fit = pop.next_basket
        config = self.config
        w_time, alpha, k = next_basket_knobs(config, pop)
        set_here = {
            "half_life_days": config.half_life_days,
            "timing_weight": config.timing_weight,
            "personal_weight": config.personal_weight,
            "neighbours": config.neighbours,
        }
        learned = "learned" if fit.learned else "neutral"
        source = {knob: "config" if v is not None else learned for knob, v in set_here.items()}
        reasons = [
            Reason.of("settings_learned", cases=fit.cases, recall=fit.recall,
                      neutral=fit.neutral_recall)
            if fit.learned
            else Reason.of("settings_neutral", cases=fit.cases)
        ]  # fmt: skip
        configured = [knob for knob, v in set_here.items() if v is not None]
        if configured:
            reasons.append(Reason.of("settings_configured", knobs=", ".join(configured)))
        return NextBasketSettings(
            half_life_days=served_half_life(config, pop),
            timing_weight=w_time,
            personal_weight=alpha,
            neighbours=k,
            source=source,
            cases=fit.cases,
            heldout_recall=fit.recall,
            neutral_recall=fit.neutral_recall,
            reasons=reasons,
        )

    def reorder_due(
        self, user_id: str, at: datetime | None = None, k: int | None = None
    ) -> ReorderPrediction:
        """Probability each product is needed in an order at ``at`` (default: now)."""
        _check_user(user_id)
        if k is not None:
            _check_k(k)
        when = self._moment(at)
        items = reorder_items(
            self._user_stats(user_id),
            self.population,
            self.catalog,
            when.timestamp() / SECONDS_PER_DAY,
            self.config.due_probability,
        )
        conflict = self._avoidances(user_id)
        skipped = [found for found in map(conflict, (i.product_id for i in items)) if found]
        if skipped:
            items = [item for item in items if conflict(item.product_id) is None]
        if k is not None:
            items = items[:k]
        due = sum(item.due for item in items)
        return ReorderPrediction(
            user_id=user_id,
            at=when,
            items=items,
            reasons=[
                Reason.of("due_count", count=due, threshold=self.config.due_probability),
                Reason.of("interval_spread", shape=self.population.interval_shape),
                *_skipped_reasons(skipped, self._user_stats(user_id).declared),
            ],
        )

    def _avoidances(self, user_id: str) -> Callable[[str], str | None]:
        """The avoided attribute a product carries, if any: what every proposal leaves out.

        Declared avoidances and diets inferred at ``config.dietary_probability`` both count
        (the shopper's cached scoring model holds them): ``usual_order``, ``next_basket``,
        ``reorder_due`` and ``complements`` propose products unasked, so they drop them;
        ``search`` and ``rerank`` answer a request, so they filter declared ones and demote
        inferred ones.
        """
        avoided = self._user_model(user_id).avoid
        attributes = self.catalog.attributes

        def conflict(pid: str) -> str | None:
            if avoided:
                for attribute in attributes(pid):
                    if attribute in avoided:
                        return attribute
            return None

        return conflict

    def dietary_profile(self, user_id: str) -> DietaryProfile:
        """Attributes the shopper avoids: declared ones, then inferred diets (whole families
        never bought, at ``config.dietary_probability``); inferred taste gaps apart."""
        return self._dietary(user_id, self._user_stats(user_id))

    def _dietary(self, user_id: str, stats: UserStats) -> DietaryProfile:
        pop = self.population
        orders = stats.orders
        bought: set[str] = set()
        for pid in stats.purchased:
            bought.update(self.catalog.attributes(pid))
        avoided: list[DietaryAvoidance] = []
        tastes: list[DietaryAvoidance] = []
        for attribute, avoids in sorted(stats.declared.items()):
            if avoids:
                avoided.append(
                    DietaryAvoidance(
                        attribute=attribute,
                        probability=1.0,
                        source="declared",
                        expected_purchases=0.0,
                        reasons=[
                            Reason.of(
                                "declared_avoid",
                                attribute=attribute_label(attribute),
                                key=attribute,
                            )
                        ],
                    )
                )
        rates = pop.attribute_rates
        cut = self.config.dietary_probability
        if rates is not None and pop.n_users >= _MIN_POPULATION:
            for found in infer_avoidances(rates, orders, bought, cut, set(stats.declared)):
                never = Reason.of(
                    "never_bought_attribute",
                    orders=orders,
                    attribute=attribute_label(found.attribute),
                    key=found.attribute,
                )
                if found.family is None:
                    why = Reason.of("population_buys", share=found.share, expected=found.expected)
                    avoided.append(
                        DietaryAvoidance(
                            attribute=found.attribute,
                            probability=found.probability,
                            source="inferred",
                            expected_purchases=found.expected,
                            reasons=[never, why],
                        )
                    )
                    continue
                label = attribute_label(found.family)
                tastes.append(
                    DietaryAvoidance(
                        attribute=found.attribute,
                        probability=found.probability,
                        source="inferred",
                        expected_purchases=found.expected,
                        kind="taste",
                        family=found.family,
                        reasons=[
                            never,
                            Reason.of(
                                "taste_gap",
                                family=label,
                                attribute=attribute_label(found.attribute),
                                key=found.attribute,
                            ),
                            Reason.of(
                                "family_buys",
                                share=found.share,
                                family=label,
                                expected=found.expected,
                            ),
                        ],
                    )
                )
        avoided.sort(key=lambda a: (a.source != "declared", -a.probability, -a.expected_purchases))
        tastes.sort(key=lambda a: (-a.probability, -a.expected_purchases, a.attribute))
        return DietaryProfile(
            user_id=user_id,
            lines_seen=int(stats.lines),
            orders_seen=orders,
            avoided=avoided,
            taste_gaps=tastes,
            reasons=[
                Reason.of("dietary_compared", shoppers=pop.n_users, probability=cut)
                if pop.n_users >= _MIN_POPULATION
                else Reason.of("dietary_few_shoppers", shoppers=pop.n_users)
            ],
        )

    def complements(self, user_id: str, product_ids: Sequence[str], k: int = 5) -> list[Complement]:
        """Products that go with ``product_ids`` (a basket), for this shopper.

        Each candidate's score is ``λ·own + (1−λ)·together``: its share of the shopper's own
        purchases and of the basket's co-occurrence (both over products outside the basket),
        with ``λ = orders / (orders + κ)`` and ``κ`` fitted by the population refit
        (``engine.population.complement_history``). A new shopper gets pure co-occurrence.
        """
        _check_user(user_id)
        _check_k(k)
        if isinstance(product_ids, str):
            raise ValidationError("product_ids", product_ids, "must be a list of product ids")
        for pid in product_ids:
            if pid not in self.catalog:
                raise UnknownProductError(pid, field="product_ids")
        basket = list(dict.fromkeys(product_ids))
        if not basket:
            return []
        pop = self.population
        co = pop.cooccurrence
        stats = self._user_stats(user_id)
        orders = stats.orders
        kappa = pop.complement_history.kappa
        weight = blend(orders, kappa)
        conflict = self._avoidances(user_id)
        values = co.added_value(basket, self.config.complement_prior)
        together = cooccurrence_distribution(values, basket)
        own = (
            own_distribution({p: it.lines for p, it in stats.items.items()}, basket)
            if weight > 0
            else {}
        )
        scored = []
        for candidate in together.keys() | own.keys():
            if conflict(candidate) is not None:
                continue  # the shopper avoids it (said so, or confidently inferred)
            score = weight * own.get(candidate, 0.0) + (1.0 - weight) * together.get(candidate, 0.0)
            if score > 0:
                scored.append((score, candidate))
        scored.sort(key=lambda s: (-s[0], s[1]))
        out = []
        for score, candidate in scored[:k]:
            reasons = []
            contributions = values.get(candidate, {})
            if together.get(candidate, 0.0) > 0:
                anchor = max(contributions, key=lambda a: (contributions[a], a))
                n_together = co.together_count(anchor, candidate)
                reasons.append(
                    Reason.of(
                        "bought_together",
                        together=n_together,
                        anchor_count=co.count(anchor),
                        anchor=self.catalog.name(anchor),
                        anchor_id=anchor,
                        share=n_together / max(co.count(anchor), 1.0),
                        base_rate=co.base_rate(candidate),
                    )
                )
            item = stats.items.get(candidate)
            if item is not None and item.lines > 0:
                reasons.append(Reason.of("own_share", share=item.lines / max(orders, 1)))
            if weight > 0:
                reasons.append(
                    Reason.of("history_weight", orders=orders, weight=weight, kappa=kappa)
                )
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
        stats = self._user_stats(user_id)
        return suggest_quantity(stats, self.population, product_id, self.config, self.catalog)

    def budget_profile(self, user_id: str, credibility: float = 0.9) -> BudgetProfile:
        """Price sensitivity: unit-price position within comparable categories vs. what other
        shoppers buy, and the probability of picking a cheaper-than-typical product.

        ``credibility``: how sure the engine must be that the shopper picks cheaper (or
        dearer) than shoppers overall before it labels them ``"price-sensitive"`` (or
        ``"premium"``).
        """
        return budget_profile(self._user_stats(user_id), self.population, self.catalog, credibility)

    def household_profile(self, user_id: str) -> HouseholdProfile:
        """Whether the account looks shared by a household (declared members, or behaviour)."""
        return self._household(user_id, self._user_stats(user_id))

    def _household(self, user_id: str, stats: UserStats) -> HouseholdProfile:
        members = len(stats.members)
        pop = self.population
        features = household_features(stats, self.catalog) or {}
        prior, threshold = self.config.household_prior, self.config.household_threshold
        if members >= 2:
            return HouseholdProfile(
                user_id=user_id,
                shared_probability=1.0,
                members_declared=members,
                features=features,
                reasons=[Reason.of("household_members", members=members)],
                prior=prior,
                threshold=threshold,
            )
        detector = pop.household
        if not features or detector is None:
            why = (
                Reason.of("household_few_orders")
                if not features
                else Reason.of("household_few_shoppers", shoppers=pop.n_users)
            )
            return HouseholdProfile(  # no evidence: the prior is the calibrated answer
                user_id=user_id,
                shared_probability=prior,
                members_declared=members,
                features=features,
                reasons=[why],
                prior=prior,
                threshold=threshold,
            )
        probability = detector.probability(features, prior)
        parallel = detector.percentile("parallel_repertoire", features["parallel_repertoire"])
        breadth = detector.percentile("repertoire_breadth", features["repertoire_breadth"])
        return HouseholdProfile(
            user_id=user_id,
            shared_probability=probability,
            members_declared=members,
            features=features,
            reasons=[
                Reason.of(
                    "parallel_repertoire",
                    share=features["parallel_repertoire"],
                    percentile=parallel,
                ),
                Reason.of(
                    "repertoire_breadth", share=features["repertoire_breadth"], percentile=breadth
                ),
                Reason.of("household_baseline", merged=detector.merged_share, prior=prior),
            ],
            prior=prior,
            threshold=threshold,
        )

    # --- ranking, explanation, schema -----------------------------------------------------------
    def rerank(
        self, user_id: str, products: Sequence[str | Product], query: str | None = None
    ) -> Ranking:
        """Re-order candidates (e.g. search results) for this shopper, best first.

        A shopper with no history keeps the original order. Each result's ``reasons`` say
        which learned statistics moved it.
        """
        _check_user(user_id)
        if isinstance(products, str | bytes) or not isinstance(products, Sequence):
            raise ValidationError(
                "products", products, "must be a list of product ids or Products, not one string"
            )
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
    ) -> list[Reason]:
        reasons = []
        n = model.item_lines.get(pid, 0.0)
        if n:
            reasons.append(
                Reason.of("bought_once") if n == 1 else Reason.of("bought_before", times=round(n))
            )
        elif terms.get("affinity", 0.0) > 0.5:
            category = self.catalog.category(pid) or ""
            reasons.append(
                Reason.of("category_affinity", category=attribute_label(category), key=category)
            )
        if terms.get("price", 0.0) > 0.2:
            reasons.append(Reason.of("price_fits"))
        elif terms.get("price", 0.0) < -0.2:
            reasons.append(Reason.of("price_differs"))
        if "diet" in terms:
            reasons.append(Reason.of("diet_conflict"))
        if "dismissed" in terms:
            reasons.append(Reason.of("dismissed"))
        if terms.get("cart", 0.0) > 0:
            reasons.append(Reason.of("cart_added_before"))
        elif terms.get("cart", 0.0) < 0:
            reasons.append(Reason.of("cart_removed_before"))
        if not reasons:
            reasons.append(
                Reason.of("original_position_for", query=query)
                if query
                else Reason.of("original_position")
            )
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
        _check_user(user_id)
        _check_k(k)
        _check_k(pool, "pool", least=1)
        if not isinstance(query, str) or not query.strip():
            raise ValidationError("query", query, "must not be empty")
        if filters is not None and not isinstance(filters, SearchFilters):
            raise ValidationError("filters", filters, "must be a SearchFilters (or None)")
        if backend is None:
            with self._search_lock:  # built once, even when many threads search first
                if self._search is None:
                    from leafloaf.search.local import LocalSearch

                    local = LocalSearch(dense=False)
                    local.index(self.catalog)
                    self._search = local
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
            # a product only viewed or carted has no purchase days (±inf sentinels): leave
            # them out rather than hand a host a number JSON cannot hold
            statistics = {k: v for k, v in statistics.items() if math.isfinite(v)}
        reasons = self._term_reasons(model, product_id, terms, None)
        facts = self.cited_facts(user_id, product_id)
        reasons += [f.reason for f in facts]
        return Explanation(
            user_id=user_id,
            product_id=product_id,
            name=self.catalog.name(product_id),
            statistics=statistics,
            contributions=terms,
            reasons=reasons,
            facts=facts,
        )

    def current_beliefs(self, user_id: str) -> list[Fact]:
        """Every current belief memory holds about a shopper (newest first); ``[]`` when the
        memory fails, for memory never costs an answer.

        >>> engine.current_beliefs("ann")[0].citation            # doctest: +SKIP
        'you have bought Oat milk regularly since 2017-03-02'
        """
        try:
            return self.memory.recall(user_id, limit=1_000)
        except Exception as exc:
            log.warning("%s.recall failed: %s", type(self.memory).__name__, exc)
            return []

    def cited_facts(
        self, user_id: str, product_id: str, held: Sequence[Fact] | None = None
    ) -> list[Fact]:
        """Current beliefs about a product, its brand and the diets it touches, oldest first:
        what :meth:`explain` and the assistant cite. Pass ``held`` (from
        :meth:`current_beliefs`) to cite for many products with one recall."""
        subjects = {f"product:{product_id}"}
        if product_id in self.catalog:
            subjects.update(f"diet:{a}" for a in self.catalog.attributes(product_id))
            brand = self.catalog.get(product_id).brand
            if brand:
                subjects.add(f"brand:{brand}")
        if held is None:
            held = self.current_beliefs(user_id)
        return sorted(
            (f for f in held if f.subject in subjects), key=lambda f: (f.valid_at, f.subject)
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
            q = suggest_quantity(stats, pop, pid, self.config, self.catalog)
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
            reasons=[Reason.of("learned_from", orders=stats.orders, lines=stats.lines)],
        )

    # --- privacy and operations ---------------------------------------------------------------
    def export_user(self, user_id: str) -> dict[str, Any]:
        """Everything held about a shopper as strict JSON (data-subject access).

        Times are ISO 8601; statistics rows are listed with non-finite values as ``null``.
        """
        _check_user(user_id)
        events = [e.model_dump(mode="json") for e in self.store.events(user_id)]
        outbox = self._ingest.outbox
        if outbox is not None:
            events += [e.model_dump(mode="json") for e in outbox.events(user_id)]
        events += [
            e.model_dump(mode="json")
            for e, _ in self._ingest.dead_letters()
            if e.user_id == user_id
        ]
        return {
            "user_id": user_id,
            "preferences": self.preferences(user_id).model_dump(mode="json"),
            "state": {key: _json_floats(v) for key, v in sorted(self.store.rows(user_id).items())},
            "events": events,
            "memory": [f.model_dump(mode="json") for f in self.memory.history(user_id)],
        }

    def forget_user(self, user_id: str) -> None:
        """Erase every trace of a shopper in every configured store (right to be forgotten).

        Removes the shopper's rows and events, events of other accounts that name them as
        member or household (those accounts' statistics are rebuilt without them), their
        outbox and dead-letter entries, analytics and memory. Their contribution to the
        population sums is subtracted before this returns, so no answer uses them afterwards;
        the fitted population parameters are refreshed by a background refit.
        """
        _check_user(user_id)
        with self._write_lock:
            stats = UserStats.from_rows(user_id, self.store.rows(user_id))
            removal = Removal.of(user_id, stats, self.store.events(user_id))
            mentions = self.store.mentioning(user_id)
            mention_ids = {e.event_id for e in mentions}
            accounts = sorted({e.user_id for e in mentions})
            with self.store.transaction():
                self.store.forget_user(user_id)
                if mentions:
                    self.store.forget_events(sorted(mention_ids))
                for account in accounts:
                    self._rebuild_rows(account, mention_ids)
            self.store.checkpoint()
            self._ingest.forget_user(user_id)
            self.analytics.forget_user(user_id)
            self._belief_dirty.discard(user_id)
            if self._beliefs is not None:
                with self._beliefs.exclusive():  # no belief about them written after this
                    self._beliefs.discard(user_id)
                    self.memory.forget_user(user_id)
            else:
                self.memory.forget_user(user_id)
            self._stats.invalidate([user_id, *accounts])
            self._models.clear()
            self._refitter.remove(removal)
            self._log_size = self.store.event_count()
        self._refitter.request()

    def _rebuild_rows(self, account: str, dropped: set[str]) -> None:
        """Recompute an account's rows from its remaining events (declarations kept)."""
        kept = [e for e in self.store.events(account) if e.event_id not in dropped]
        batch = DeltaBatch(self._decay_rate)
        batch.add_many(kept)
        rows: dict[str, list[float]] = {
            key: list(values) for key, (_, values) in batch.updates.get(account, {}).items()
        }
        rows.update({k: v for k, v in self.store.rows(account).items() if k.startswith("decl:")})
        self.store.replace_rows(account, rows)

    def merge(self, other: GraphitiPersonalizationEngine) -> RecordReport:
        """Fold another engine's events and declarations into this one (ids dedupe overlap)."""
        if not isinstance(other, GraphitiPersonalizationEngine):
            raise ValidationError("other", type(other).__name__, "must be an engine")
        report = self.record_many(other.store.events())
        for user in list(other.store.users()):
            declared = {
                key: (DECL_OPS, values)
                for key, values in other.store.rows(user).items()
                if key.startswith("decl:")
            }
            if declared:
                with self._write_lock:
                    with self.store.transaction():
                        self.store.apply({user: declared})
                    self._stats.invalidate([user])
                    self._models.invalidate([user])
        return report

    def users(self) -> list[str]:
        """Every shopper the engine knows."""
        return list(self.store.users())

    @property
    def aio(self) -> AsyncEngine:
        """The same engine for asyncio code: every method awaitable, none blocks the loop."""
        aio = self._aio
        if aio is None:
            with self._aio_lock:
                if self._aio is None:
                    self._aio = AsyncEngine(self)
                aio = self._aio
        return aio

    def health(self) -> list[BackendHealth]:
        """Each configured backend's state as it observes it: store, cache, analytics, memory,
        outbox (with its queue depth) and search, once one is built.

        >>> [h.kind for h in engine.health()]  # doctest: +SKIP
        ['store', 'analytics', 'memory', 'outbox']
        """
        from leafloaf.runtime.backends import backend_health

        return backend_health(self.store, self.analytics, self.memory, self._ingest.outbox,
                              self._search)  # fmt: skip

    def close(self) -> None:
        """Replay the outbox where possible, stop the refitter, close the backends.

        Events still in the outbox stay in its file and are replayed by the next engine
        opened with the same outbox.
        """
        if self._aio is not None:
            self._aio.shutdown()  # calls already handed to engine.aio finish first
        try:
            self.flush()
        except Exception as exc:
            log.warning("outbox replay at close failed (%s); the events stay in the outbox", exc)
        self._refitter.close()
        if self._beliefs is not None:
            self._beliefs.close()
        self.analytics.close()
        self.memory.close()
        outbox = self._ingest.outbox
        if outbox is not None:
            outbox.close()
        self.store.close()


def _check_user(user_id: Any) -> None:
    if not isinstance(user_id, str) or not user_id.strip():
        raise ValidationError("user_id", user_id, "must be a non-empty string")


def _check_k(k: Any, name: str = "k", least: int = 0) -> int:
    if isinstance(k, bool) or not isinstance(k, int) or k < least:
        raise ValidationError(name, k, f"must be a whole number >= {least}")
    return k


def _day_time(day: float) -> datetime:
    """A statistics day number (days since the epoch) as a UTC time."""
    return datetime.fromtimestamp(day * SECONDS_PER_DAY, UTC)


def _json_floats(values: Sequence[float]) -> list[float | None]:
    return [v if math.isfinite(v) else None for v in values]
