"""GraphitiMemory: beliefs as a graphiti-core temporal graph, embedded Kuzu by default, no LLM.

Shoppers, products, categories, brands, diets, households, price positions and statements
are typed ``EntityNode``\\ s; each belief is an ``EntityEdge`` from the shopper to its subject
with ``valid_at``/``invalid_at`` (valid time) and ``created_at``/``expired_at`` (record time).
Writes are bulk and call no LLM: on Kuzu, each batch is one transaction of Arrow-table
``COPY`` statements into graphiti's schema (nodes before edges, vectors as float32 arrays);
on the server drivers, graphiti's node and edge models go through its own ``save_bulk``.
Graphiti is async: it runs on a private event-loop thread behind this synchronous API
(:meth:`GraphitiMemory.run` hands a coroutine to that loop).

Drivers: ``"kuzu"`` (embedded, the default: a folder, or ``":memory:"``), or a server URL,
``bolt://`` / ``neo4j://`` (Neo4j) or ``falkor://`` / ``redis://`` (FalkorDB).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import threading
import time
import uuid
import warnings
from collections.abc import Callable, Coroutine, Sequence
from datetime import UTC, datetime
from typing import Any, ClassVar, NamedTuple, TypeVar
from urllib.parse import urlparse

import numpy as np
from numpy.typing import NDArray

from leafloaf.errors import (
    ConfigError,
    MissingExtraError,
    StoreUnavailableError,
    ValidationError,
)
from leafloaf.health import BackendHealth
from leafloaf.memory.base import (
    MemoryBackend,
    check_recall,
    oldest_first,
    record_times,
    select_facts,
)
from leafloaf.models import Fact, Relation

os.environ.setdefault("GRAPHITI_TELEMETRY_ENABLED", "false")
try:
    from graphiti_core import Graphiti
    from graphiti_core.cross_encoder.client import CrossEncoderClient
    from graphiti_core.driver.driver import GraphDriver, GraphProvider
    from graphiti_core.driver.operations.entity_edge_ops import EntityEdgeOperations
    from graphiti_core.driver.operations.entity_node_ops import EntityNodeOperations
    from graphiti_core.edges import EntityEdge
    from graphiti_core.embedder.client import EmbedderClient
    from graphiti_core.llm_client.client import LLMClient
    from graphiti_core.nodes import EntityNode
except ImportError:  # pragma: no cover - exercised only without the extra
    raise MissingExtraError("graphiti", "graphiti-core") from None

__all__ = ["GraphitiMemory", "LocalEmbedder", "LocalReranker"]

T = TypeVar("T")
_NAMESPACE = uuid.UUID("5b1f0c2e-7d1a-4c4e-9a57-1eaf10af0000")
_SHARED_KINDS = frozenset({"product", "category", "brand", "diet"})
"""Subject kinds whose nodes are shared by every shopper (catalog group); the others are the
shopper's own (their group), so ``forget_user`` erases them with the shopper."""
_CATALOG_GROUP = "leafloaf_catalog"
_LABELS = {
    "product": "Product",
    "category": "Category",
    "brand": "Brand",
    "diet": "Diet",
    "household": "Household",
    "price": "PricePosition",
    "statement": "Statement",
}


_ENCODERS: dict[str, Any] = {}
_ENCODERS_LOCK = threading.Lock()


class LocalEmbedder(EmbedderClient):
    """A Graphiti embedder backed by LeafLoaf's local encoder (WordLlama or MiniLM): no API.

    Vectors of texts already seen are cached (belief texts repeat across shoppers); the
    texts not seen yet are encoded in one batch per call.
    """

    def __init__(self, encoder: str = "wordllama", cache_size: int = 100_000) -> None:
        from leafloaf.search.encoders import make_encoder

        with _ENCODERS_LOCK:  # one model in memory per process, however many backends
            if encoder not in _ENCODERS:
                _ENCODERS[encoder] = make_encoder(encoder)
            self.encoder = _ENCODERS[encoder]
        self.dim = int(self.encoder.dim)
        self._cache: dict[str, NDArray[np.float32]] = {}
        self._cache_size = cache_size
        self._lock = threading.Lock()

    def vectors(self, texts: Sequence[str]) -> NDArray[np.float32]:
        """Unit vectors for ``texts``, one ``float32`` row each (cached by text).

        >>> LocalEmbedder().vectors(["buys regularly Oat milk"]).shape   # doctest: +SKIP
        (1, 256)
        """
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            cache = self._cache
            missing = list(dict.fromkeys(t for t in texts if t not in cache))
            encoded = self.encoder.encode(missing) if missing else []
            fresh = dict(zip(missing, encoded, strict=True))
            rows = [fresh[t] if t in fresh else cache[t] for t in texts]
            if len(cache) + len(fresh) > self._cache_size:
                cache.clear()
            if len(fresh) <= self._cache_size:
                cache.update(fresh)
        return np.stack(rows).astype(np.float32, copy=False)

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """Unit vectors for ``texts`` as lists (graphiti's models hold lists; cached)."""
        return self.vectors(texts).astype(np.float64).tolist()  # type: ignore[no-any-return]

    async def create(self, input_data: Any) -> list[float]:
        text = input_data if isinstance(input_data, str) else " ".join(map(str, input_data))
        return self.embed([text])[0]

    async def create_batch(self, input_data_list: list[str]) -> list[list[float]]:
        return self.embed(input_data_list)


class LocalReranker(CrossEncoderClient):
    """An LLM-free Graphiti cross-encoder: passages ranked by cosine to the query."""

    def __init__(self, embedder: LocalEmbedder) -> None:
        self.embedder = embedder

    async def rank(self, query: str, passages: list[str]) -> list[tuple[str, float]]:
        if not passages:
            return []
        vectors = np.asarray(self.embedder.embed([query, *passages]))
        scores = vectors[1:] @ vectors[0]
        ranked = sorted(zip(passages, scores.tolist(), strict=True), key=lambda p: -p[1])
        return [(p, float(s)) for p, s in ranked]


class _Loop:
    """A private asyncio event loop in a daemon thread; ``run`` waits for a coroutine."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self.loop.run_forever, name="leafloaf-graphiti", daemon=True
        )
        self._thread.start()

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        if self.loop.is_closed():
            coro.close()
            raise StoreUnavailableError("graphiti memory is closed")
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result()

    def stop(self) -> None:
        async def cancel_pending() -> None:  # a failed connect can leave retries running
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        if not self.loop.is_closed():
            self.run(cancel_pending())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join()
        self.loop.close()


def _group(user_id: str) -> str:
    """The shopper's graph partition (graphiti group ids allow only [A-Za-z0-9_-])."""
    return "shopper_" + hashlib.sha256(user_id.encode("utf-8")).hexdigest()[:32]


_NAMESPACE_BYTES = _NAMESPACE.bytes


def _uid(*parts: str) -> str:
    """``str(uuid.uuid5(_NAMESPACE, "\\x00".join(parts)))``, several times faster (a write
    names three per belief)."""
    digest = bytearray(
        hashlib.sha1(
            _NAMESPACE_BYTES + "\x00".join(parts).encode(), usedforsecurity=False
        ).digest()[:16]
    )
    digest[6] = (digest[6] & 0x0F) | 0x50  # version 5
    digest[8] = (digest[8] & 0x3F) | 0x80  # RFC 4122 variant
    h = digest.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _aware(value: datetime | None) -> datetime | None:
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def _utc(value: datetime | None) -> datetime | None:
    """Kuzu drops a timestamp's offset: hand it every time in UTC."""
    return None if value is None else value.astimezone(UTC)


_KUZU_NODES = """
COPY Entity(uuid, name, group_id, labels, created_at, name_embedding, summary, attributes)
FROM $rows
"""
_KUZU_KNOWN_NODES = """
UNWIND $uuids AS u
MATCH (n:Entity {uuid: u})
RETURN n.uuid AS uuid
"""
_KUZU_NEW_EDGES = """
COPY RelatesToNode_(uuid, group_id, created_at, name, fact, fact_embedding, episodes,
    valid_at, invalid_at, expired_at, attributes)
FROM $rows
"""
_KUZU_LINKS = "COPY RELATES_TO FROM $rows (from='%s', to='%s')"
_KUZU_UPDATE = """
LOAD FROM $rows
MATCH (e:RelatesToNode_ {uuid: uuid})
SET e.fact = fact, e.fact_embedding = fact_embedding, e.attributes = attributes,
    e.invalid_at = invalid_at, e.expired_at = expired_at
"""
_KUZU_HELD = """
UNWIND $uuids AS u
MATCH (e:RelatesToNode_ {uuid: u})
RETURN e.uuid AS uuid, e.created_at AS created_at, e.expired_at AS expired_at
"""
_KUZU_EDGES = """
MATCH (s:Entity {uuid: $shopper})-[:RELATES_TO]->(e:RelatesToNode_)%s
WHERE %s
RETURN e.name AS name, e.valid_at AS valid_at, e.invalid_at AS invalid_at,
       e.created_at AS created_at, e.expired_at AS expired_at, e.attributes AS attributes
"""


class _Node(NamedTuple):
    """A node to write: what graphiti's ``EntityNode`` holds, less its vector."""

    uuid: str
    name: str
    group_id: str
    label: str
    summary: str

    def model(self, now: datetime, vector: list[float]) -> EntityNode:
        """The graphiti model (for graphiti's own ``save_bulk``)."""
        return EntityNode(
            uuid=self.uuid,
            name=self.name,
            group_id=self.group_id,
            labels=[self.label],
            created_at=now,
            name_embedding=vector,
            summary=self.summary,
        )


class _Edge(NamedTuple):
    """A belief to write as an edge from the shopper to its subject (graphiti's
    ``EntityEdge``, less its vector); ``held``: the record times already stored, if any."""

    uuid: str
    group_id: str
    source: str
    target: str
    created_at: datetime
    fact: Fact
    expired_at: datetime | None
    held: tuple[datetime | None, datetime | None] | None

    @property
    def words(self) -> str:
        """The edge's ``fact`` text: the shopper, then the belief."""
        return f"{self.fact.user_id} {self.fact.text}"

    @property
    def attributes(self) -> dict[str, Any]:
        """What a read needs to rebuild the :class:`Fact`."""
        f = self.fact
        return {
            "user_id": f.user_id,
            "subject": f.subject,
            "object": f.object,
            "source": f.source,
            "confidence": f.confidence,
        }

    def model(self, vector: list[float]) -> EntityEdge:
        """The graphiti model (for graphiti's own ``save_bulk``)."""
        return EntityEdge(
            uuid=self.uuid,
            group_id=self.group_id,
            source_node_uuid=self.source,
            target_node_uuid=self.target,
            created_at=self.created_at,
            name=self.fact.relation.name,
            fact=self.words,
            fact_embedding=vector,
            valid_at=self.fact.valid_at,
            invalid_at=self.fact.invalid_at,
            expired_at=self.expired_at,
            attributes=self.attributes,
        )


class _Batch(NamedTuple):
    """One write: the new nodes and the beliefs, each with the vectors of its text."""

    nodes: list[_Node]
    names: NDArray[np.float32]
    edges: list[_Edge]
    vectors: NDArray[np.float32]
    now: datetime


class GraphitiMemory(MemoryBackend):
    """Beliefs in a graphiti-core graph: embedded Kuzu at ``path``, or a server at ``url``.

    >>> mem = GraphitiMemory(":memory:")                       # doctest: +SKIP
    >>> mem.remember(facts); mem.recall("ann", as_of=when)      # doctest: +SKIP

    ``encoder`` picks the local embedding model (``"wordllama"``, ``"minilm"``); one
    embedding dimension per database. ``user``/``password`` are for server drivers. ``llm``
    (a graphiti ``LLMClient``, e.g. ``OpenAIGenericClient`` for any OpenAI-compatible
    server) enables graphiti's episode extraction in :meth:`remember_text`; nothing else
    calls it.
    """

    name: ClassVar[str] = "graphiti"

    def __init__(
        self,
        path: str | os.PathLike[str] = ":memory:",
        url: str | None = None,
        user: str | None = None,
        password: str | None = None,
        encoder: str = "wordllama",
        llm: LLMClient | None = None,
    ) -> None:
        self.url = url
        self.llm = llm
        self._graphiti: Graphiti | None = None
        self.path = os.fspath(path)
        self.embedder = LocalEmbedder(encoder)
        self.reranker = LocalReranker(self.embedder)
        self._loop = _Loop()
        self._lock = threading.Lock()
        self._nodes: set[str] = set()
        self._writer: Any = None
        """Kuzu only: the connection batches are written on (see ``_save_kuzu``)."""
        self.last_error: str | None = None
        self.seconds = {"plan": 0.0, "embed": 0.0, "save": 0.0}
        """Time spent building the graph models (with the lookups of what is held), embedding
        texts not seen before, and saving to the database (for benchmarks)."""
        try:
            self.driver: GraphDriver = self._loop.run(self._open(url, user, password))
        except ConfigError:
            self._loop.stop()
            raise
        except Exception as exc:
            self._loop.stop()
            where = url or self.path
            raise StoreUnavailableError(f"graphiti memory at {where} failed: {exc}") from exc
        self.provider = self.driver.provider
        self.kuzu = self.provider == GraphProvider.KUZU

    async def _open(self, url: str | None, user: str | None, password: str | None) -> GraphDriver:
        if url is None:
            from graphiti_core.driver.kuzu_driver import KuzuDriver

            with warnings.catch_warnings():  # upstream deprecates Kuzu; it stays behind our seam
                warnings.simplefilter("ignore", DeprecationWarning)
                return KuzuDriver(db=self.path)
        parsed = urlparse(url)
        if parsed.scheme in {"bolt", "neo4j", "neo4j+s", "bolt+s"}:
            from graphiti_core.driver.neo4j_driver import Neo4jDriver

            driver: GraphDriver = Neo4jDriver(url, user or "neo4j", password or "")
        elif parsed.scheme in {"falkor", "falkordb", "redis"}:
            from graphiti_core.driver.falkordb_driver import FalkorDriver

            driver = FalkorDriver(
                host=parsed.hostname or "localhost",
                port=parsed.port or 6379,
                username=user,
                password=password,
            )
        else:
            raise ConfigError("url", url, "use bolt:// or neo4j:// (Neo4j), falkor:// (FalkorDB)")
        await driver.build_indices_and_constraints()
        if parsed.scheme in {"falkor", "falkordb", "redis"}:  # its range index breaks as-of reads
            try:
                await driver.execute_query("DROP INDEX ON :RELATES_TO(valid_at)")
                await driver.execute_query("DROP INDEX ON :RELATES_TO(invalid_at)")
            except Exception:  # absent already
                pass
        return driver

    @property
    def _node_ops(self) -> EntityNodeOperations:
        ops = self.driver.entity_node_ops
        if ops is None:
            raise ConfigError("url", self.url, "this graph driver has no entity node operations")
        return ops

    @property
    def _edge_ops(self) -> EntityEdgeOperations:
        ops = self.driver.entity_edge_ops
        if ops is None:
            raise ConfigError("url", self.url, "this graph driver has no entity edge operations")
        return ops

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run a coroutine on the memory's private event loop (graphiti calls go here)."""
        return self._loop.run(coro)

    async def submit(self, coro: Coroutine[Any, Any, T]) -> T:
        """Await a graphiti coroutine from your own event loop: it runs on the private
        loop (where the driver lives), and your loop is not held meanwhile."""
        if self._loop.loop.is_closed():
            coro.close()
            raise StoreUnavailableError("graphiti memory is closed")
        future = asyncio.run_coroutine_threadsafe(coro, self._loop.loop)
        return await asyncio.wrap_future(future)

    # --- writes -------------------------------------------------------------------------------
    def remember(self, facts: Sequence[Fact]) -> int:
        if not facts:
            return 0
        with self._lock:
            try:
                self.run(self._remember(list(facts)))
            except Exception as exc:
                self.last_error = str(exc)
                raise StoreUnavailableError(f"graphiti memory write failed: {exc}") from exc
        return len(facts)

    @staticmethod
    def _node_for_subject(user_id: str, subject: str) -> str:
        """The subject node's uuid: a shared catalog node, or the shopper's own."""
        if subject.partition(":")[0] in _SHARED_KINDS:
            return _uid("node", subject)
        return _uid("node", user_id, subject)

    async def _remember(self, facts: list[Fact]) -> None:
        planning = time.perf_counter()
        latest: dict[str, Fact] = {}
        for fact in facts:  # the last version of each belief in the batch wins
            latest[_uid("edge", fact.user_id, *map(str, fact.key))] = fact
        now = datetime.now(UTC)
        held = await self._held(list(latest))
        nodes: dict[str, _Node] = {}
        edges: list[_Edge] = []
        shoppers: dict[str, tuple[str, str]] = {}
        for edge_id, fact in latest.items():
            user = fact.user_id
            if user not in shoppers:
                shoppers[user] = (_uid("node", "shopper", user), _group(user))
            shopper, group = shoppers[user]
            if shopper not in self._nodes and shopper not in nodes:
                nodes[shopper] = _Node(shopper, user, group, "Shopper", "")
            target = self._node_for_subject(user, fact.subject)
            if target not in self._nodes and target not in nodes:
                kind = fact.kind
                nodes[target] = _Node(
                    target,
                    fact.subject,
                    _CATALOG_GROUP if kind in _SHARED_KINDS else group,
                    _LABELS[kind],
                    fact.object if fact.relation != Relation.TYPICAL_QUANTITY else "",
                )
            prior = held.get(edge_id)
            recorded, expired = record_times(fact, prior, now)
            edges.append(_Edge(edge_id, group, shopper, target, recorded, fact, expired, prior))
        if nodes and self.kuzu:  # MERGE is slow on Kuzu: create only the nodes not there yet
            rows, _, _ = await self.driver.execute_query(_KUZU_KNOWN_NODES, uuids=list(nodes))
            known = {r["uuid"] for r in rows}
            self._nodes.update(known)
            nodes = {k: v for k, v in nodes.items() if k not in known}
        node_list = list(nodes.values())
        started = time.perf_counter()  # one encoder batch per call, for texts not seen yet
        self.seconds["plan"] += started - planning
        names = self.embedder.vectors([n.summary or n.name for n in node_list])
        said = self.embedder.vectors([e.fact.text for e in edges])
        saving = time.perf_counter()
        self.seconds["embed"] += saving - started
        if self.kuzu:
            await asyncio.to_thread(self._save_kuzu, _Batch(node_list, names, edges, said, now))
        else:  # graphiti's own models and bulk saves; nodes first, or edges to them vanish
            entity_nodes = [
                n.model(now, vector) for n, vector in zip(node_list, names.tolist(), strict=True)
            ]
            entity_edges = [e.model(vector) for e, vector in zip(edges, said.tolist(), strict=True)]
            await self._node_ops.save_bulk(self.driver, entity_nodes)
            await self._edge_ops.save_bulk(self.driver, entity_edges)
        self.seconds["save"] += time.perf_counter() - saving
        self._nodes.update(nodes)

    async def _held(
        self, edge_ids: list[str]
    ) -> dict[str, tuple[datetime | None, datetime | None]]:
        """Record times (``created_at``, ``expired_at``) of the beliefs already stored."""
        if self.kuzu:
            rows, _, _ = await self.driver.execute_query(_KUZU_HELD, uuids=edge_ids)
            records = [(r["uuid"], r["created_at"], r["expired_at"]) for r in rows]
        else:
            found = await self._edge_ops.get_by_uuids(self.driver, edge_ids)
            records = [(e.uuid, e.created_at, e.expired_at) for e in found]
        return {
            edge_id: (_aware(created), _aware(expired)) for edge_id, created, expired in records
        }

    def _save_kuzu(self, batch: _Batch) -> None:
        """Graphiti's Kuzu ``save_bulk`` sends one query per row (~100/s here). The same
        rows go in as Arrow tables instead, in graphiti's Kuzu schema, vectors as float32
        arrays (never as text): ``COPY`` for new nodes, for new beliefs and for their two
        ``RELATES_TO`` links each, and one ``LOAD FROM`` update for the beliefs held.

        All in one transaction on a connection of its own, run in a worker thread: a batch
        is stored whole or not at all, readers never see half of it, and the event loop
        stays free for them meanwhile."""
        pa = _arrow()
        if self._writer is None:
            import kuzu

            self._writer = kuzu.Connection(self.driver.db)  # type: ignore[attr-defined]
        writer = self._writer

        def run(query: str, rows: Any) -> None:
            writer.execute(query, {"rows": rows})

        writer.execute("BEGIN TRANSACTION")
        try:
            _copy_rows(pa, run, batch)
            writer.execute("COMMIT")
        except BaseException:
            with contextlib.suppress(Exception):  # Kuzu may have rolled back already
                writer.execute("ROLLBACK")
            raise

    # --- reads --------------------------------------------------------------------------------
    def _edges(self, user_id: str, where: str, **params: Any) -> list[Fact]:
        shopper = _uid("node", "shopper", user_id)
        try:
            if self.kuzu:
                target = "-[:RELATES_TO]->(t:Entity)" if "t." in where else ""
                rows, _, _ = self.run(
                    self.driver.execute_query(
                        _KUZU_EDGES % (target, where), shopper=shopper, **params
                    )
                )
                return [_fact(r) for r in rows]
            found = self.run(self._edge_ops.get_by_node_uuid(self.driver, shopper))
        except Exception as exc:
            self.last_error = str(exc)
            raise StoreUnavailableError(f"graphiti memory read failed: {exc}") from exc
        return [
            _fact(
                {
                    "name": e.name,
                    "valid_at": _utc(e.valid_at),
                    "invalid_at": e.invalid_at,
                    "created_at": _utc(e.created_at),
                    "expired_at": e.expired_at,
                    "attributes": e.attributes,
                }
            )
            for e in found
            if e.source_node_uuid == shopper
        ]

    def recall(
        self,
        user_id: str,
        query: str | None = None,
        as_of: datetime | None = None,
        limit: int = 10,
    ) -> list[Fact]:
        check_recall(user_id, as_of, limit)
        if as_of is None:
            facts = self._edges(user_id, "e.invalid_at IS NULL")
        else:
            facts = self._edges(
                user_id,
                "e.valid_at <= $at AND (e.invalid_at IS NULL OR e.invalid_at > $at)",
                at=_utc(as_of),
            )
        return select_facts(facts, query, as_of, limit)

    def history(self, user_id: str, subject: str | None = None) -> list[Fact]:
        check_recall(user_id, None, 0)
        if subject is None or not self.kuzu:
            return oldest_first(self._edges(user_id, "true"), subject)
        target = self._node_for_subject(user_id, subject)
        return oldest_first(self._edges(user_id, "t.uuid = $target", target=target), subject)

    def remember_text(self, user_id: str, text: str, at: datetime | None = None) -> Fact:
        """Remember what a shopper said: a ``SAID`` belief (no LLM), and, when an ``llm``
        was configured, the statement as a graphiti episode (the LLM extracts entities and
        facts into the shopper's partition; ``forget_user`` erases them too).

        Returns the ``SAID`` fact. An LLM failure raises :class:`StoreUnavailableError`
        after the fact is stored.
        """
        check_recall(user_id, at, 0)
        if not isinstance(text, str) or not text.strip():
            raise ValidationError("text", text, "must be a non-empty statement")
        when = at or datetime.now(UTC)
        digest = hashlib.sha256(f"{user_id}\x00{text}\x00{when.isoformat()}".encode()).hexdigest()
        said = Fact(
            user_id=user_id,
            subject=f"statement:{digest[:16]}",
            relation=Relation.SAID,
            object=text,
            valid_at=when,
            source="said",
        )
        self.remember([said])
        if self.llm is not None:
            try:
                with self._lock:  # one writer at a time: Kuzu runs one write transaction
                    self.run(self._episode(user_id, text, when, digest[:16]))
            except Exception as exc:
                self.last_error = str(exc)
                raise StoreUnavailableError(f"graphiti episode extraction failed: {exc}") from exc
        return said

    async def _episode(self, user_id: str, text: str, when: datetime, name: str) -> None:
        if self._graphiti is None:
            if not hasattr(self.driver, "_database"):  # graphiti 0.31's Kuzu driver lacks it
                self.driver._database = ""
            self._graphiti = Graphiti(
                graph_driver=self.driver,
                llm_client=self.llm,
                embedder=self.embedder,
                cross_encoder=self.reranker,
            )
        await self._graphiti.add_episode(
            name=f"statement {name}",
            episode_body=text,
            source_description="shopper statement",
            reference_time=when,
            group_id=_group(user_id),
        )

    def forget_user(self, user_id: str) -> None:
        with self._lock:
            group = _group(user_id)
            self.run(self._node_ops.delete_by_group_id(self.driver, group))
            self.run(
                self.driver.execute_query(
                    "MATCH (e:Episodic) WHERE e.group_id = $gid DETACH DELETE e", gid=group
                )
            )
            self._nodes.clear()  # shared nodes are merged again, idempotently

    def count(self, user_id: str | None = None) -> dict[str, int]:
        """Nodes and belief edges held (for one shopper's group when given): read straight
        from the database, so tests and operators can see what is really there."""
        group = _group(user_id) if user_id is not None else None
        where = "WHERE n.group_id = $gid" if group else ""
        if self.kuzu:
            edge_q = (
                f"MATCH (n:Entity)-[:RELATES_TO]->(e:RelatesToNode_) {where} RETURN count(e) AS c"
            )
        else:
            edge_q = f"MATCH (n:Entity)-[e:RELATES_TO]->(:Entity) {where} RETURN count(e) AS c"
        node_q = f"MATCH (n:Entity) {where} RETURN count(n) AS c"
        params = {"gid": group} if group else {}
        nodes, _, _ = self.run(self.driver.execute_query(node_q, **params))
        edges, _, _ = self.run(self.driver.execute_query(edge_q, **params))
        return {"nodes": int(nodes[0]["c"]), "edges": int(edges[0]["c"])}

    def health(self) -> BackendHealth:
        start = time.perf_counter()
        try:
            self.run(self.driver.execute_query("MATCH (n:Entity) RETURN n.uuid AS u LIMIT 1"))
        except Exception as exc:
            self.last_error = str(exc)
            return BackendHealth(
                backend=self.name, kind="memory", status="down", last_error=str(exc)
            )
        return BackendHealth(
            backend=self.name,
            kind="memory",
            status="ok",
            latency_ms=(time.perf_counter() - start) * 1000,
            last_error=self.last_error,
            detail=f"{self.provider.value} driver" + ("" if self.url else f" at {self.path}"),
        )

    def close(self) -> None:
        try:
            if self._writer is not None:
                self._writer.close()
            self.run(self.driver.close())  # type: ignore[no-untyped-call]
        finally:
            self._loop.stop()


def _copy_rows(pa: Any, run: Callable[[str, Any], None], batch: _Batch) -> None:
    """Send ``batch`` to ``run(query, arrow_table)``: new nodes, new beliefs with their
    links, then updates of the beliefs held (see ``GraphitiMemory._save_kuzu``)."""
    nodes, names, edges, vectors, now = batch
    if nodes:
        table = pa.table(
            {
                "uuid": [n.uuid for n in nodes],
                "name": [n.name for n in nodes],
                "group_id": [n.group_id for n in nodes],
                "labels": [sorted({n.label, "Entity"}) for n in nodes],
                "created_at": _times(pa, [now] * len(nodes)),
                "name_embedding": _lists(pa, names),
                "summary": [n.summary for n in nodes],
                "attributes": ["{}"] * len(nodes),
            }
        )
        run(_KUZU_NODES, table)
    new = [i for i, e in enumerate(edges) if e.held is None]
    if new:
        fresh = [edges[i] for i in new]
        table = pa.table(
            {
                "uuid": [e.uuid for e in fresh],
                "group_id": [e.group_id for e in fresh],
                "created_at": _times(pa, [e.created_at for e in fresh]),
                "name": [e.fact.relation.name for e in fresh],
                "fact": [e.words for e in fresh],
                "fact_embedding": _lists(pa, vectors[new]),
                "episodes": pa.array([[] for _ in fresh], pa.list_(pa.string())),
                "valid_at": _times(pa, [e.fact.valid_at for e in fresh]),
                "invalid_at": _times(pa, [e.fact.invalid_at for e in fresh]),
                "expired_at": _times(pa, [e.expired_at for e in fresh]),
                "attributes": [json.dumps(e.attributes) for e in fresh],
            }
        )
        run(_KUZU_NEW_EDGES, table)
        ids = table.column("uuid")
        sources = pa.array([e.source for e in fresh], pa.string())
        targets = pa.array([e.target for e in fresh], pa.string())
        links = pa.table({"from": sources, "to": ids})
        run(_KUZU_LINKS % ("Entity", "RelatesToNode_"), links)
        links = pa.table({"from": ids, "to": targets})
        run(_KUZU_LINKS % ("RelatesToNode_", "Entity"), links)
    held = [i for i, e in enumerate(edges) if e.held is not None]
    if held:  # a held belief's words, validity or confidence changed
        again = [edges[i] for i in held]
        table = pa.table(
            {
                "uuid": [e.uuid for e in again],
                "fact": [e.words for e in again],
                "fact_embedding": _lists(pa, vectors[held]),
                "attributes": [json.dumps(e.attributes) for e in again],
                "invalid_at": _times(pa, [e.fact.invalid_at for e in again]),
                "expired_at": _times(pa, [e.expired_at for e in again]),
            }
        )
        run(_KUZU_UPDATE, table)


def _arrow() -> Any:
    """pyarrow, which carries batches into Kuzu (part of the ``graphiti`` extra)."""
    try:
        import pyarrow
    except ImportError:  # pragma: no cover - exercised only without the extra
        raise MissingExtraError("graphiti", "pyarrow") from None
    return pyarrow


def _times(pa: Any, values: Sequence[datetime | None]) -> Any:
    """Times as an Arrow column Kuzu reads as ``TIMESTAMP``: UTC, without an offset."""
    naive = [None if v is None else v.astimezone(UTC).replace(tzinfo=None) for v in values]
    return pa.array(naive, pa.timestamp("us"))


def _lists(pa: Any, matrix: NDArray[np.float32]) -> Any:
    """Rows of ``matrix`` as an Arrow list column (Kuzu ``FLOAT[]``), without copying them."""
    rows, dim = matrix.shape
    offsets = pa.array(np.arange(0, (rows + 1) * dim, dim, dtype=np.int32))
    return pa.ListArray.from_arrays(offsets, pa.array(np.ascontiguousarray(matrix).reshape(-1)))


def _fact(row: dict[str, Any]) -> Fact:
    attributes = row["attributes"]
    if isinstance(attributes, str):
        attributes = json.loads(attributes)
    return Fact(
        user_id=attributes["user_id"],
        subject=attributes["subject"],
        relation=Relation[row["name"]],
        object=attributes["object"],
        valid_at=_aware(row["valid_at"]),
        invalid_at=_aware(row["invalid_at"]),
        source=attributes["source"],
        confidence=attributes["confidence"],
        recorded_at=_aware(row["created_at"]),
        expired_at=_aware(row["expired_at"]),
    )
