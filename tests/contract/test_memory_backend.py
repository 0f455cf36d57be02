"""Contract suite every MemoryBackend passes: bi-temporal beliefs, as-of reads, erasure.

``GraphitiMemory`` runs on the real embedded Kuzu database. Neo4j and FalkorDB servers join
when ``LEAFLOAF_NEO4J_URL`` / ``LEAFLOAF_FALKORDB_URL`` are set (no server runs here).
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leafloaf import Fact, InMemoryMemory, MemoryBackend, Relation, ValidationError

T0 = datetime(2024, 1, 1, tzinfo=UTC)
BACKENDS = ["memory", "graphiti-kuzu"]
if os.environ.get("LEAFLOAF_NEO4J_URL"):
    BACKENDS.append("graphiti-neo4j")
if os.environ.get("LEAFLOAF_FALKORDB_URL"):
    BACKENDS.append("graphiti-falkordb")
_users = itertools.count()


@pytest.fixture(scope="module", params=BACKENDS)
def memory(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[MemoryBackend]:
    if request.param == "memory":
        backend: MemoryBackend = InMemoryMemory()
    else:
        from leafloaf.memory.graphiti import GraphitiMemory

        if request.param == "graphiti-kuzu":
            backend = GraphitiMemory(Path(tmp_path_factory.mktemp("graph")) / "memory.kuzu")
        else:
            env = (
                "LEAFLOAF_NEO4J_URL" if request.param.endswith("neo4j") else "LEAFLOAF_FALKORDB_URL"
            )
            backend = GraphitiMemory(
                url=os.environ[env],
                user=os.environ.get("LEAFLOAF_GRAPH_USER"),
                password=os.environ.get("LEAFLOAF_GRAPH_PASSWORD"),
            )
    yield backend
    backend.close()


@pytest.fixture
def user() -> str:
    """A shopper id no other test used (backends are shared within the module)."""
    return f"shopper-{next(_users)}-{os.getpid()}"


def fact(user: str, subject: str, relation: str, obj: str, day: int, **kw: object) -> Fact:
    return Fact(
        user_id=user,
        subject=subject,
        relation=Relation(relation),
        object=obj,
        valid_at=T0 + timedelta(days=day),
        **kw,  # type: ignore[arg-type]
    )


def _core(facts: list[Fact]) -> set[tuple[object, ...]]:
    """What a belief says, without the record times a backend adds."""
    return {
        (f.user_id, f.subject, f.relation, f.object, f.valid_at, f.invalid_at, f.source)
        for f in facts
    }


def test_remembered_beliefs_are_recalled_with_record_times(
    memory: MemoryBackend, user: str
) -> None:
    facts = [
        fact(user, "product:1", "buys_regularly", "Oat milk", 0, confidence=0.8),
        fact(user, "diet:dairy", "avoids", "dairy", 3, source="declared"),
        fact(user, "price:overall", "price_sensitivity", "budget", 5),
    ]
    assert memory.remember(facts) == 3
    got = memory.recall(user)
    assert _core(got) == _core(facts)
    assert [f.subject for f in got] == ["price:overall", "diet:dairy", "product:1"]  # newest first
    assert {f.confidence for f in got if f.subject == "product:1"} == {0.8}
    assert all(f.recorded_at is not None and f.expired_at is None for f in got)


def test_invalidated_belief_leaves_current_recall_but_stays_in_history(
    memory: MemoryBackend, user: str
) -> None:
    belief = fact(user, "product:7", "buys_regularly", "Whole milk", 0)
    memory.remember([belief])
    first = memory.history(user, "product:7")[0]
    ended = belief.model_copy(update={"invalid_at": T0 + timedelta(days=30)})
    memory.remember([ended])
    assert memory.recall(user) == []
    history = memory.history(user, "product:7")
    assert len(history) == 1
    assert history[0].invalid_at == T0 + timedelta(days=30)
    assert history[0].recorded_at == first.recorded_at  # recorded once, never rewritten
    assert history[0].expired_at is not None
    assert _core(memory.recall(user, as_of=T0 + timedelta(days=29))) == _core([ended])
    assert memory.recall(user, as_of=T0 + timedelta(days=30)) == []  # invalid_at is exclusive
    assert memory.recall(user, as_of=T0 - timedelta(days=1)) == []  # not yet valid


def test_history_lists_every_version_of_a_subject_oldest_first(
    memory: MemoryBackend, user: str
) -> None:
    memory.remember(
        [
            fact(user, "product:3", "typical_quantity", "2", 10),
            fact(user, "product:3", "typical_quantity", "1", 0, invalid_at=T0 + timedelta(10)),
            fact(user, "product:4", "typical_quantity", "6", 0),
        ]
    )
    history = memory.history(user, "product:3")
    assert [(f.object, f.valid_at) for f in history] == [
        ("1", T0),
        ("2", T0 + timedelta(days=10)),
    ]
    assert [f.object for f in memory.recall(user, as_of=T0 + timedelta(days=5))] == ["1", "6"]
    assert memory.history(user, "product:999") == []


def test_remembering_the_same_belief_again_updates_it(memory: MemoryBackend, user: str) -> None:
    memory.remember([fact(user, "brand:Oatly", "prefers_brand", "Oatly", 0, confidence=0.5)])
    memory.remember([fact(user, "brand:Oatly", "prefers_brand", "Oatly", 0, confidence=0.9)])
    got = memory.recall(user)
    assert len(got) == 1 and got[0].confidence == 0.9


def test_query_filters_on_subject_and_words_and_limit_caps(
    memory: MemoryBackend, user: str
) -> None:
    memory.remember(
        [
            fact(user, "product:1", "buys_regularly", "Oat Milk", 1),
            fact(user, "product:2", "buys_regularly", "Bananas", 2),
            fact(user, "household:h1", "member_of_household", "h1", 3),
        ]
    )
    assert [f.object for f in memory.recall(user, query="oat milk")] == ["Oat Milk"]
    assert [f.object for f in memory.recall(user, query="household")] == ["h1"]
    assert [f.object for f in memory.recall(user, query="BUYS REGULARLY")] == [
        "Bananas",
        "Oat Milk",
    ]
    assert len(memory.recall(user, limit=2)) == 2
    assert memory.recall(user, limit=0) == []


def test_times_in_any_offset_mean_the_same_instant(memory: MemoryBackend, user: str) -> None:
    plus5 = timezone(timedelta(hours=5))
    when = datetime(2024, 6, 1, 12, 30, 15, 250_000, tzinfo=plus5)
    memory.remember(
        [
            Fact(
                user_id=user,
                subject="statement:s1",
                relation=Relation.SAID,
                object="I'm vegetarian now",
                valid_at=when,
            )
        ]
    )
    got = memory.recall(user, as_of=datetime(2024, 6, 1, 7, 30, 15, 250_000, tzinfo=UTC))
    assert [f.valid_at for f in got] == [when]
    assert memory.recall(user, as_of=datetime(2024, 6, 1, 7, 30, 15, tzinfo=UTC)) == []


def test_forget_user_erases_only_that_shopper(memory: MemoryBackend, user: str) -> None:
    other = user + "-other"
    memory.remember(
        [
            fact(user, "product:1", "buys_regularly", "Oat milk", 0),
            fact(user, "household:h", "member_of_household", "h", 0),
            fact(other, "product:1", "buys_regularly", "Oat milk", 0),
        ]
    )
    memory.forget_user(user)
    assert memory.recall(user) == []
    assert memory.history(user, "product:1") == []
    assert memory.recall(user, as_of=T0 + timedelta(days=1)) == []
    assert [f.user_id for f in memory.recall(other)] == [other]
    memory.forget_user("never-seen")  # no error


def test_unknown_shopper_recalls_nothing(memory: MemoryBackend) -> None:
    assert memory.recall("nobody-at-all") == []
    assert memory.history("nobody-at-all", "product:1") == []


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"as_of": datetime(2024, 1, 1)}, "as_of"),
        ({"limit": -1}, "limit"),
        ({"limit": True}, "limit"),
    ],
)
def test_bad_recall_arguments_name_the_field(
    memory: MemoryBackend, kwargs: dict[str, object], field: str
) -> None:
    with pytest.raises(ValidationError) as err:
        memory.recall("ann", **kwargs)  # type: ignore[arg-type]
    assert err.value.field == field


def test_health_reports_ok_with_a_latency(memory: MemoryBackend) -> None:
    health = memory.health()
    assert health.kind == "memory" and health.status == "ok"
    assert health.latency_ms is not None and health.latency_ms >= 0


_beliefs = st.lists(
    st.tuples(
        st.sampled_from(["product:1", "product:2", "diet:dairy", "brand:b"]),
        st.sampled_from(list(Relation)),
        st.integers(0, 40),  # valid from day
        st.one_of(st.none(), st.integers(1, 40)),  # valid for days (None: still holds)
    ),
    min_size=1,
    max_size=12,
)


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(beliefs=_beliefs, at=st.integers(-2, 90))
def test_as_of_reads_see_exactly_the_beliefs_valid_then(
    memory: MemoryBackend, beliefs: list[tuple[str, Relation, int, int | None]], at: int
) -> None:
    user = f"prop-{next(_users)}-{os.getpid()}"
    facts = {}
    for subject, relation, start, span in beliefs:
        f = fact(
            user,
            subject,
            relation.value,
            f"{subject}-{start}",
            start,
            invalid_at=None if span is None else T0 + timedelta(days=start + span),
        )
        facts[f.key] = f  # the last version of a belief wins, in memory as in the backend
    memory.remember(list(facts.values()))
    when = T0 + timedelta(days=at, hours=12)
    expected = [f for f in facts.values() if f.holds_at(when)]
    assert _core(memory.recall(user, as_of=when, limit=100)) == _core(expected)
    current = [f for f in facts.values() if f.invalid_at is None]
    assert _core(memory.recall(user, limit=100)) == _core(current)
    memory.forget_user(user)


def test_history_without_subject_lists_every_belief(memory: MemoryBackend, user: str) -> None:
    memory.remember(
        [
            fact(user, "product:1", "buys_regularly", "Tea", 2, invalid_at=T0 + timedelta(9)),
            fact(user, "diet:meat", "avoids", "meat", 1),
        ]
    )
    assert [f.subject for f in memory.history(user)] == ["diet:meat", "product:1"]
