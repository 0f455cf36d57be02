"""RowBlock and RowDraft: a published block reads as the dictionary of rows it was built from."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from leafloaf.stores.base import Op
from leafloaf.stores.rowblock import RowDraft

keys = st.text(alphabet="abcdefghij:0123", min_size=1, max_size=6)
rows = st.lists(st.tuples(keys, st.integers(1, 4)), max_size=30)


def _apply(expected: dict[str, list[float]], draft: RowDraft, key: str, width: int) -> None:
    delta = [float(width + k) for k in range(width)]
    current = expected.get(key)
    if current is not None and len(current) != width:
        return  # a row keeps the width it was created with
    draft.merge(key, (Op.ADD,) * width, delta)
    expected[key] = (
        delta if current is None else [a + b for a, b in zip(current, delta, strict=True)]
    )


@settings(max_examples=200, deadline=None)
@given(base=rows, batches=st.lists(rows, max_size=4))
def test_every_published_block_is_the_sorted_dictionary_of_its_rows(
    base: list[tuple[str, int]], batches: list[list[tuple[str, int]]]
) -> None:
    expected: dict[str, list[float]] = {}
    draft = RowDraft(None)
    for key, width in base:
        _apply(expected, draft, key, width)
    block = draft.freeze()
    for batch in batches:  # later transactions: few or many new rows, in any order
        draft = RowDraft(block)
        for key, width in batch:
            _apply(expected, draft, key, width)
        block = draft.freeze()
        assert list(block) == sorted(expected)
        assert {k: list(block[k]) for k in block} == expected
