"""GraphitiMemory: beliefs as a graphiti-core temporal graph, embedded Kuzu by default, no LLM.

Shoppers, products, categories, brands, diets, households, price positions and statements
are typed ``EntityNode``\\ s; each belief is an ``EntityEdge`` from the shopper to its subject
with ``valid_at``/``invalid_at`` (valid time) and ``created_at``/``expired_at`` (record time).
Writes build graphiti's node and edge models and save them in bulk, nodes before edges; no
LLM is called on this path. Graphiti is async: it runs on a private event-loop thread behind
this synchronous API (:meth:`GraphitiMemory.run` hands a coroutine to that loop).

Drivers: ``"kuzu"`` (embedded, the default: a folder, or ``":memory:"``), or a server URL,
``bolt://`` / ``neo4j://`` (Neo4j) or ``falkor://`` / ``redis://`` (FalkorDB).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import threading
import time
import uuid
import warnings
from collections.abc import Coroutine, Sequence
from datetime import UTC, datetime
from typing import Any, ClassVar, TypeVar
from urllib.parse import urlparse

import numpy as np

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
    select_facts,
    stamp,
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

    Vectors of texts already seen are cached (belief texts repeat across shoppers).
    """

    def __init__(self, encoder: str = "wordllama", cache_size: int = 100_000) -> None:
        from leafloaf.search.encoders import make_encoder

        with _ENCODERS_LOCK:  # one model in memory per process, however many backends
            if encoder not in _ENCODERS:
                _ENCODERS[encoder] = make_encoder(encoder)
            self.encoder = _ENCODERS[encoder]
        self.dim = int(self.encoder.dim)
        self._cache: dict[str, list[float]] = {}
        self._literals: dict[str, str] = {}
        self._cache_size = cache_size
        self._lock = threading.Lock()

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """Unit vectors for ``texts`` (synchronous; cached)."""
        with self._lock:
            missing = list(dict.fromkeys(t for t in texts if t not in self._cache))
            if missing:
                if len(self._cache) + len(missing) > self._cache_size:
                    self._cache.clear()
                rows = self.encoder.encode(missing).astype(np.float64)
                for text, row in zip(missing, rows.tolist(), strict=True):
                    self._cache[text] = row
            cache = self._cache
            return [cache[t] if t in cache else self.encoder.encode([t])[0].tolist() for t in texts]

    def literal(self, text: str) -> str:
        """``text``'s vector as a Cypher list literal (cached: formatting costs more than
        embedding, and belief texts repeat)."""
        found = self._literals.get(text)
        if found is None:
            if len(self._literals) >= self._cache_size:
                self._literals.clear()
            found = self._literals[text] = _vector(self.embed([text])[0])
        return found

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


def _uid(*parts: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, "\x00".join(parts)))


def _aware(value: datetime | None) -> datetime | None:
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def _utc(value: datetime | None) -> datetime | None:
    """Kuzu drops a timestamp's offset: hand it every time in UTC."""
    return None if value is None else value.astimezone(UTC)


def _vector(values: Sequence[float]) -> str:
    return "[" + ",".join(f"{v:.6g}" for v in values) + "]"


_KUZU_NODES = """
UNWIND $rows AS r
CREATE (n:Entity {uuid: r.uuid, name: r.name, group_id: r.group_id, labels: r.labels,
    created_at: r.created_at, name_embedding: CAST(r.embedding AS FLOAT[]), summary: r.summary,
    attributes: r.attributes})
"""
_KUZU_KNOWN_NODES = """
UNWIND $uuids AS u
MATCH (n:Entity {uuid: u})
RETURN n.uuid AS uuid
"""
_KUZU_NEW_EDGES = """
UNWIND $rows AS r
MATCH (s:Entity {uuid: r.source}), (t:Entity {uuid: r.target})
CREATE (s)-[:RELATES_TO]->(e:RelatesToNode_ {uuid: r.uuid, group_id: r.group_id,
    created_at: r.created_at, name: r.name, fact: r.fact,
    fact_embedding: CAST(r.embedding AS FLOAT[]), episodes: [], valid_at: r.valid_at,
    attributes: r.attributes})-[:RELATES_TO]->(t)
"""
_KUZU_SET_INVALID = """
UNWIND $rows AS r
MATCH (e:RelatesToNode_ {uuid: r.uuid})
SET e.invalid_at = r.invalid_at, e.expired_at = r.expired_at
"""
_KUZU_UPDATE = """
UNWIND $rows AS r
MATCH (e:RelatesToNode_ {uuid: r.uuid})
SET e.fact = r.fact, e.fact_embedding = CAST(r.embedding AS FLOAT[]),
    e.attributes = r.attributes, e.invalid_at = NULL, e.expired_at = NULL
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
        self.last_error: str | None = None
        self.seconds = {"embed": 0.0, "save": 0.0}
        """Time spent embedding belief texts and saving to the database (for benchmarks)."""
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
        latest: dict[str, Fact] = {}
        for fact in facts:  # the last version of each belief in the batch wins
            latest[_uid("edge", fact.user_id, *map(str, fact.key))] = fact
        now = datetime.now(UTC)
        held = await self._held(list(latest))
        nodes: dict[str, EntityNode] = {}
        edges: list[tuple[EntityEdge, bool, Fact]] = []
        for edge_id, fact in latest.items():
            shopper = _uid("node", "shopper", fact.user_id)
            group = _group(fact.user_id)
            if shopper not in self._nodes:
                nodes[shopper] = EntityNode(
                    uuid=shopper, name=fact.user_id, group_id=group, labels=["Shopper"]
                )
            target = self._node_for_subject(fact.user_id, fact.subject)
            target_group = _CATALOG_GROUP if fact.kind in _SHARED_KINDS else group
            if target not in self._nodes:
                nodes[target] = EntityNode(
                    uuid=target,
                    name=fact.subject,
                    group_id=target_group,
                    labels=[_LABELS[fact.kind]],
                    summary=fact.object if fact.relation != Relation.TYPICAL_QUANTITY else "",
                )
            prior = held.get(edge_id)
            stamped = stamp(fact, prior, now)
            edge = EntityEdge(
                uuid=edge_id,
                group_id=group,
                source_node_uuid=shopper,
                target_node_uuid=target,
                created_at=stamped.recorded_at or now,
                name=fact.relation.name,
                fact=f"{fact.user_id} {fact.text}",
                valid_at=fact.valid_at,
                invalid_at=fact.invalid_at,
                expired_at=stamped.expired_at,
                attributes={
                    "user_id": fact.user_id,
                    "subject": fact.subject,
                    "object": fact.object,
                    "source": fact.source,
                    "confidence": fact.confidence,
                },
            )
            edges.append((edge, prior is not None, stamped))
        if nodes and self.kuzu:  # MERGE is slow on Kuzu: create only the nodes not there yet
            rows, _, _ = await self.driver.execute_query(_KUZU_KNOWN_NODES, uuids=list(nodes))
            known = {r["uuid"] for r in rows}
            self._nodes.update(known)
            nodes = {k: v for k, v in nodes.items() if k not in known}
        node_list = list(nodes.values())
        started = time.perf_counter()
        names = self.embedder.embed([n.summary or n.name for n in node_list])
        for node, vector in zip(node_list, names, strict=True):
            node.name_embedding = vector
        vectors = self.embedder.embed([f.text for _, _, f in edges])
        for (edge, _, _), vector in zip(edges, vectors, strict=True):
            edge.fact_embedding = vector
        if self.kuzu:  # the Cypher literals of new texts are formatted (and timed) here
            for node in node_list:
                self.embedder.literal(node.summary or node.name)
            for _, _, fact in edges:
                self.embedder.literal(fact.text)
        saving = time.perf_counter()
        self.seconds["embed"] += saving - started
        if self.kuzu:
            await self._save_kuzu(node_list, edges)
        else:  # graphiti's own bulk saves; nodes first, or edges to them vanish
            await self._node_ops.save_bulk(self.driver, node_list)
            await self._edge_ops.save_bulk(self.driver, [e for e, _, _ in edges])
        self.seconds["save"] += time.perf_counter() - saving
        self._nodes.update(nodes)

    async def _held(self, edge_ids: list[str]) -> dict[str, Fact]:
        """Record times of beliefs already stored (as partial facts: only the stamps matter)."""
        if self.kuzu:
            rows, _, _ = await self.driver.execute_query(_KUZU_HELD, uuids=edge_ids)
            records = [(r["uuid"], r["created_at"], r["expired_at"]) for r in rows]
        else:
            found = await self._edge_ops.get_by_uuids(self.driver, edge_ids)
            records = [(e.uuid, e.created_at, e.expired_at) for e in found]
        placeholder = datetime(2000, 1, 1, tzinfo=UTC)
        return {
            edge_id: Fact(
                user_id="_",
                subject="statement:_",
                relation=Relation.SAID,
                object="",
                valid_at=placeholder,
                recorded_at=_aware(created),
                expired_at=_aware(expired),
            )
            for edge_id, created, expired in records
        }

    async def _save_kuzu(
        self, nodes: list[EntityNode], edges: list[tuple[EntityEdge, bool, Fact]]
    ) -> None:
        """Graphiti's Kuzu ``save_bulk`` saves one row per query (~100/s here); the same
        models go in as one ``UNWIND`` per kind, with vectors cast from text inside Kuzu."""
        run = self.driver.execute_query
        if nodes:
            rows: list[dict[str, Any]] = [
                {
                    "uuid": n.uuid,
                    "name": n.name,
                    "group_id": n.group_id,
                    "labels": sorted({*n.labels, "Entity"}),
                    "created_at": _utc(n.created_at),
                    "embedding": self.embedder.literal(n.summary or n.name),
                    "summary": n.summary,
                    "attributes": json.dumps(n.attributes),
                }
                for n in nodes
            ]
            await run(_KUZU_NODES, rows=rows)
        new = [
            {
                "uuid": e.uuid,
                "source": e.source_node_uuid,
                "target": e.target_node_uuid,
                "group_id": e.group_id,
                "created_at": _utc(e.created_at),
                "name": e.name,
                "fact": e.fact,
                "embedding": self.embedder.literal(f.text),
                "valid_at": _utc(e.valid_at),
                "attributes": json.dumps(e.attributes),
            }
            for e, known, f in edges
            if not known
        ]
        if new:
            await run(_KUZU_NEW_EDGES, rows=new)
        reopened = [
            {
                "uuid": e.uuid,
                "fact": e.fact,
                "embedding": self.embedder.literal(f.text),
                "attributes": json.dumps(e.attributes),
            }
            for e, known, f in edges
            if known
        ]
        if reopened:  # a known belief's words or validity changed: reset it first
            await run(_KUZU_UPDATE, rows=reopened)
        ended = [
            {"uuid": e.uuid, "invalid_at": _utc(e.invalid_at), "expired_at": _utc(e.expired_at)}
            for e, _, _ in edges
            if e.invalid_at is not None
        ]
        if ended:
            await run(_KUZU_SET_INVALID, rows=ended)

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
            self.run(self.driver.close())  # type: ignore[no-untyped-call]
        finally:
            self._loop.stop()


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
