"""EventLog compaction: the numpy ``without`` keeps exactly the rows a row-by-row filter keeps."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from leafloaf.stores.base import EventRecord
from leafloaf.stores.eventlog import EventLog

USERS = st.sampled_from(["ann", "bob", "cy", "dee"])
OPTIONAL = st.one_of(st.none(), st.sampled_from(["p1", "p2", "p3"]))


@st.composite
def records(draw: st.DrawFn) -> list[EventRecord]:
    n = draw(st.integers(0, 40))
    out: list[EventRecord] = []
    for i in range(n):
        kind = draw(st.sampled_from(["purchase", "view", "search", "add_to_cart"]))
        out.append(
            (
                kind,
                draw(USERS),
                float(draw(st.integers(0, 10**6))),
                draw(OPTIONAL),
                float(draw(st.integers(1, 4))),
                draw(st.one_of(st.none(), st.floats(0.5, 9.5))),
                draw(st.one_of(st.none(), st.just("tea"))),
                draw(st.one_of(st.none(), st.sampled_from(["b1", "b2", "b3"]))),
                draw(st.one_of(st.none(), st.just("m1"))),
                draw(st.one_of(st.none(), st.just("h1"))),
                f"e{i}",
                draw(st.sampled_from([0.0, 3600.0, -18000.0])),
            )
        )
    return out


@settings(max_examples=150, deadline=None)
@given(
    recs=records(),
    gone=st.sets(USERS, max_size=2),
    ids=st.sets(st.integers(0, 45).map(lambda i: f"e{i}"), max_size=5),
    recent_first=st.booleans(),
)
def test_without_keeps_exactly_the_other_rows(
    recs: list[EventRecord], gone: set[str], ids: set[str], recent_first: bool
) -> None:
    log = EventLog()
    half = len(recs) // 2
    log.append(recs[:half])
    if recent_first:  # part of the ids in the sorted hash index, part in the recent dict
        log._index_recent()
    log.append(recs[half:])
    compacted = log.without(gone, ids)
    expected = [r for r in recs if r[1] not in gone and r[10] not in ids]
    assert list(compacted.records()) == expected
    assert len(compacted) == len(expected)
    all_ids = [r[10] for r in recs] + ["never"]
    assert compacted.known(all_ids) == {r[10] for r in expected}
    for user in ["ann", "bob", "cy", "dee"]:
        assert compacted.user_records(user) == [r for r in expected if r[1] == user]
    assert set(compacted.user_ids()) == {r[1] for r in expected}
    for subject in ["m1", "h1", "ann"]:  # the indexed lookup equals a scan of every row
        assert compacted.mentioning(subject) == [
            r for r in expected if r[1] != subject and subject in (r[8], r[9])
        ]
    strings = set(compacted.users.values) | set(compacted.baskets.values)
    assert not (strings & gone)  # no erased shopper's id stays referenced
    # the compacted log keeps working: appending and finding duplicates
    compacted.append([("view", "zed", 1.0, None, 1.0, None, None, None, None, None, "new", 0.0)])
    assert compacted.known(["new"]) == {"new"}
    assert list(compacted.records())[-1][1] == "zed"


@settings(max_examples=150, deadline=None)
@given(recs=records(), cuts=st.lists(st.integers(0, 40), max_size=6))
def test_any_split_into_appends_stores_the_same_log(
    recs: list[EventRecord], cuts: list[int]
) -> None:
    """Small appends (field by field) and large ones (column by column) build one log."""
    whole = EventLog()
    whole.append(recs)
    pieces = EventLog()
    bounds = sorted({0, len(recs), *(c for c in cuts if c <= len(recs))})
    for start, end in itertools.pairwise(bounds):
        pieces.append(recs[start:end])
    assert list(pieces.records()) == list(whole.records()) == recs
    for user in ["ann", "bob", "cy", "dee"]:
        assert pieces.user_records(user) == whole.user_records(user)
    for subject in ["m1", "h1"]:
        assert pieces.mentioning(subject) == whole.mentioning(subject)
    assert pieces.known([r[10] for r in recs]) == {r[10] for r in recs}
