"""GraphitiMemory beyond the contract: graphiti reads what we wrote, bulk writes, files persist,
health."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leafloaf import ConfigError, Fact, Relation, StoreUnavailableError
from leafloaf.memory.graphiti import (
    _NAMESPACE,
    GraphitiMemory,
    LocalEmbedder,
    LocalReranker,
    _uid,
)

T0 = datetime(2024, 1, 1, tzinfo=UTC)


def _facts(user: str) -> list[Fact]:
    return [
        Fact(
            user_id=user,
            subject="product:1",
            relation=Relation.BUYS_REGULARLY,
            object="Oat milk",
            valid_at=T0,
        ),
        Fact(
            user_id=user,
            subject="household:h1",
            relation=Relation.MEMBER_OF_HOUSEHOLD,
            object="h1",
            valid_at=T0,
            invalid_at=T0 + timedelta(days=3),
        ),
    ]


def test_graphiti_reads_the_typed_nodes_and_temporal_edges_we_wrote(tmp_path: Path) -> None:
    memory = GraphitiMemory(tmp_path / "g.kuzu")
    memory.remember(_facts("ann"))
    driver = memory.driver
    assert driver.entity_edge_ops is not None and driver.entity_node_ops is not None
    rows, _, _ = memory.run(
        driver.execute_query(
            "MATCH (s:Entity)-[:RELATES_TO]->(e:RelatesToNode_)-[:RELATES_TO]->(t:Entity) "
            "RETURN e.uuid AS uuid, s.labels AS source, t.labels AS target"
        )
    )
    assert {(tuple(sorted(r["source"])), tuple(sorted(r["target"]))) for r in rows} == {  # type: ignore[call-overload]
        (("Entity", "Shopper"), ("Entity", "Product")),
        (("Entity", "Shopper"), ("Entity", "Household")),
    }
    edges = memory.run(
        driver.entity_edge_ops.get_by_uuids(driver, [r["uuid"] for r in rows])  # type: ignore[call-overload]
    )
    by_name = {e.name: e for e in edges}
    naive = T0.replace(tzinfo=None)  # graphiti's Kuzu parser hands back naive UTC times
    assert by_name["BUYS_REGULARLY"].valid_at == naive
    assert by_name["BUYS_REGULARLY"].invalid_at is None
    assert by_name["MEMBER_OF_HOUSEHOLD"].invalid_at == naive + timedelta(days=3)
    assert by_name["MEMBER_OF_HOUSEHOLD"].expired_at is not None
    assert by_name["BUYS_REGULARLY"].fact == "ann buys regularly Oat milk"
    assert len(edges[0].fact_embedding or [0] * 256) == memory.embedder.dim
    memory.close()


def test_beliefs_survive_reopening_the_database_folder(tmp_path: Path) -> None:
    path = tmp_path / "g.kuzu"
    memory = GraphitiMemory(path)
    memory.remember(_facts("ann"))
    memory.close()
    again = GraphitiMemory(path)
    assert [f.object for f in again.recall("ann")] == ["Oat milk"]
    assert [f.object for f in again.history("ann", "household:h1")] == ["h1"]
    again.close()


def test_shared_catalog_nodes_outlive_a_forgotten_shopper(tmp_path: Path) -> None:
    memory = GraphitiMemory(tmp_path / "g.kuzu")
    memory.remember(_facts("ann") + _facts("bob"))
    before = memory.count()
    memory.forget_user("ann")
    after = memory.count()
    # ann's shopper and household nodes and her two edges are gone; the product stays
    assert before["nodes"] - after["nodes"] == 2
    assert before["edges"] - after["edges"] == 2
    assert memory.count("ann") == {"nodes": 0, "edges": 0}
    assert [f.object for f in memory.recall("bob")] == ["Oat milk"]
    memory.close()


def test_health_says_down_once_closed(tmp_path: Path) -> None:
    memory = GraphitiMemory(tmp_path / "g.kuzu")
    assert memory.health().ok
    memory.close()
    health = memory.health()
    assert health.status == "down" and health.last_error


def test_an_unknown_url_scheme_is_a_config_error() -> None:
    with pytest.raises(ConfigError) as err:
        GraphitiMemory(url="http://localhost:7474")
    assert err.value.field == "url"


def test_local_embedder_and_reranker_need_no_api() -> None:
    embedder = LocalEmbedder()
    vector = asyncio.run(embedder.create("oat milk"))
    assert len(vector) == embedder.dim
    ranked = asyncio.run(LocalReranker(embedder).rank("oat milk", ["steak", "oat drink"]))
    assert [p for p, _ in ranked] == ["oat drink", "steak"]


def test_async_callers_await_graphiti_on_the_private_loop(tmp_path: Path) -> None:
    memory = GraphitiMemory(tmp_path / "g.kuzu")
    memory.remember(_facts("ann"))

    async def main() -> list[dict[str, object]]:
        rows, _, _ = await memory.submit(
            memory.driver.execute_query("MATCH (n:Entity) RETURN n.name AS name ORDER BY name")
        )
        return rows  # type: ignore[return-value]

    names = [r["name"] for r in asyncio.run(main())]
    assert names == ["ann", "household:h1", "product:1"]
    memory.close()


def test_a_database_that_cannot_open_is_reported_unavailable(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(StoreUnavailableError) as err:
        GraphitiMemory(blocker / "memory.kuzu")
    assert "a-file" in str(err.value)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(), min_size=1, max_size=4))
def test_fast_uid_is_uuid5(parts: list[str]) -> None:
    assert _uid(*parts) == str(uuid.uuid5(_NAMESPACE, "\x00".join(parts)))


def test_embedder_encodes_new_texts_once_and_keeps_a_bounded_cache() -> None:
    embedder = LocalEmbedder(cache_size=2)
    texts = ["oat milk", "bananas", "oat milk", "sourdough bread"]
    got = embedder.vectors(texts)
    want = embedder.encoder.encode(["oat milk", "bananas", "sourdough bread"])
    assert got.dtype == np.float32 and got.shape == (4, embedder.dim)
    np.testing.assert_allclose(got, want[[0, 1, 0, 2]], atol=1e-6)
    assert len(embedder._cache) <= 2  # three new texts: none kept past the bound
    np.testing.assert_allclose(embedder.vectors(["bananas"])[0], want[1], atol=1e-6)
    assert embedder.vectors([]).shape == (0, embedder.dim)
    assert embedder.embed(["bananas"])[0] == pytest.approx(want[1].tolist(), abs=1e-6)


def test_bulk_writes_store_the_embedders_vectors_and_share_catalog_nodes() -> None:
    memory = GraphitiMemory()
    batch = [f for user in ("ann", "bob", "cy") for f in _facts(user)]
    assert memory.remember(batch[:2]) == 2
    assert memory.remember(batch[2:]) == 4  # product:1 is known already: no second node
    assert memory.count() == {"nodes": 3 + 1 + 3, "edges": 6}  # shoppers, product, households
    rows, _, _ = memory.run(
        memory.driver.execute_query(
            "MATCH (e:RelatesToNode_) RETURN e.fact AS fact, e.fact_embedding AS v"
        )
    )
    assert len(rows) == 6
    for row in rows:
        text = row["fact"].split(" ", 1)[1]  # type: ignore[call-overload]
        want = memory.embedder.vectors([text])[0]
        np.testing.assert_allclose(row["v"], want, atol=1e-6)  # type: ignore[call-overload]
    rows, _, _ = memory.run(
        memory.driver.execute_query(
            "MATCH (n:Entity) WHERE n.name = 'product:1' RETURN n.name_embedding AS v"
        )
    )
    assert len(rows) == 1
    want = memory.embedder.vectors(["Oat milk"])[0]
    np.testing.assert_allclose(rows[0]["v"], want, atol=1e-6)  # type: ignore[call-overload]
    ended = _facts("bob")[0].model_copy(update={"invalid_at": T0 + timedelta(days=9)})
    memory.remember([ended])  # a held belief: updated in place, not a second edge
    assert memory.count()["edges"] == 6
    assert [f.invalid_at for f in memory.history("bob", "product:1")] == [ended.invalid_at]
    memory.close()


def test_the_server_path_sends_graphiti_models_through_its_save_bulk() -> None:
    memory = GraphitiMemory()
    memory.kuzu = False  # the Neo4j / FalkorDB path: graphiti's own models and save_bulk
    memory.remember(_facts("ann"))
    memory.kuzu = True  # read back with the Kuzu queries
    assert memory.count("ann") == {"nodes": 2, "edges": 2}  # shopper, household; product shared
    held = {(f.subject, f.object, f.valid_at, f.invalid_at) for f in memory.history("ann")}
    assert held == {(f.subject, f.object, f.valid_at, f.invalid_at) for f in _facts("ann")}
    rows, _, _ = memory.run(
        memory.driver.execute_query(
            "MATCH (n:Entity) WHERE n.name = 'product:1' "
            "RETURN n.labels AS labels, n.name_embedding AS v"
        )
    )
    assert "Product" in rows[0]["labels"]  # type: ignore[call-overload]
    want = memory.embedder.vectors(["Oat milk"])[0]
    np.testing.assert_allclose(rows[0]["v"], want, atol=1e-6)  # type: ignore[call-overload]
    memory.close()
