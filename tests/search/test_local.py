"""LocalSearch specifics: typos, stemming, fusion, filters as masks, persistence, extras."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leafloaf import MissingExtraError, Product, SearchFilters, ValidationError
from leafloaf.search.local import LocalSearch, WordLlamaEncoder, relative_score_fusion
from tests.contract.test_search_backend import ATTRIBUTES, BY_ID, KEYS, PRODUCTS

FORKS = Product(product_id="9", name="Plastic Forks", categories=("household", "party"))


@pytest.fixture(scope="module")
def bm25() -> LocalSearch:
    search = LocalSearch(dense=False)
    search.index([*PRODUCTS, FORKS])
    return search


@pytest.fixture(scope="module")
def hybrid() -> LocalSearch:
    search = LocalSearch(dense=True, alpha=0.5, fusion="relative")
    search.index(PRODUCTS)
    return search


def test_typo_is_corrected(bm25: LocalSearch) -> None:
    hits = bm25.search("yoghurt", k=3)
    assert hits and hits[0].product_id == "7" and hits[0].retriever == "fuzzy"
    assert bm25.search("strawbery", k=1)[0].product_id == "8"
    assert bm25.search("bananna", k=1)[0].product_id in {"1", "2"}


def test_stopwords_and_short_words_are_never_corrected(bm25: LocalSearch) -> None:
    # "for" is one edit from "fork": a stopword must not turn milk into cutlery
    assert bm25.query_terms("milk for kids") == (["milk"], False)
    assert "9" not in {h.product_id for h in bm25.search("milk for kids", k=10)}
    assert bm25.query_terms("mlk") == ([], False)  # 3 letters: one edit is another word


def test_plural_singular_both_ways(bm25: LocalSearch) -> None:
    assert bm25.search("strawberry", k=1)[0].product_id == "8"
    assert bm25.search("forks", k=1)[0].product_id == "9"
    assert bm25.search("fork", k=1)[0].product_id == "9"


def test_unknown_words_find_nothing_lexically(bm25: LocalSearch) -> None:
    assert bm25.search("zzzzqqq", k=5) == []


def test_fusion_extremes() -> None:
    lexical, dense = {0: 3.0, 1: 1.0}, {1: 0.9, 2: 0.5}
    assert relative_score_fusion(lexical, dense, 0.0) == {0: 1.0, 1: 0.0}
    assert relative_score_fusion(lexical, dense, 1.0) == {1: 1.0, 2: 0.0}
    assert relative_score_fusion({}, {}, 0.5) == {}
    with pytest.raises(ValidationError):
        LocalSearch(dense=False, alpha=1.5)


def test_dense_search_finds_meaning_without_shared_words() -> None:
    search = LocalSearch(dense=True, alpha=1.0)
    search.index(PRODUCTS)
    hits = search.search("dairy drink", k=3)
    assert hits[0].retriever == "vector"
    assert {h.product_id for h in hits} & {"3", "4", "5"}


def test_hybrid_says_which_retriever_found_each_hit(hybrid: LocalSearch) -> None:
    hits = hybrid.search("oat milk", k=8)
    kinds = {h.product_id: h.retriever for h in hits}
    assert hits[0].product_id == "4" and kinds["4"] == "hybrid"  # both retrievers agree
    assert set(kinds.values()) <= {"hybrid", "bm25", "vector"}
    assert any(kind == "vector" for kind in kinds.values())  # bread: no word in common


def test_alpha_zero_is_pure_bm25(bm25: LocalSearch) -> None:
    keyword_only = LocalSearch(dense=True, alpha=0.0)
    keyword_only.index([*PRODUCTS, FORKS])
    for query in ("milk", "banana bread", "organic"):
        expected = [h.product_id for h in bm25.search(query, k=5)]
        assert [h.product_id for h in keyword_only.search(query, k=5)] == expected


def test_encoder_is_offline_and_normalised() -> None:
    vectors = WordLlamaEncoder().encode(["oat milk", "sourdough bread"])
    assert vectors.shape == (2, WordLlamaEncoder.dim)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert WordLlamaEncoder().encode([]).shape == (0, WordLlamaEncoder.dim)


def test_reindexing_embeds_only_new_or_changed_products(monkeypatch: pytest.MonkeyPatch) -> None:
    search = LocalSearch(dense=True)
    search.index(PRODUCTS)
    assert search.encoder is not None
    seen: list[str] = []
    encode = search.encoder.encode
    monkeypatch.setattr(search.encoder, "encode", lambda texts: seen.extend(texts) or encode(texts))
    search.index([FORKS, PRODUCTS[0], PRODUCTS[2].model_copy(update={"name": "Kefir"})])
    assert sorted(seen) == ["Kefir", "Plastic Forks"]
    assert len(search) == len(PRODUCTS) + 1


def test_index_persists_and_reloads(tmp_path: Path) -> None:
    search = LocalSearch(dense=True, alpha=0.3, fusion="relative")
    search.index(PRODUCTS)
    search.remove(["2"])
    before = search.search("banana bread", k=5)
    search.save(tmp_path / "idx")
    again = LocalSearch.load(tmp_path / "idx")
    assert len(again) == len(PRODUCTS) - 1 and again.alpha == 0.3 and "2" not in again
    assert again.fusion == "relative" and again.encoder is not None
    after = again.search("banana bread", k=5)
    assert [h.product_id for h in after] == [h.product_id for h in before]
    cheap = again.search("milk", k=5, filters=SearchFilters(max_price=1.5))
    assert cheap[0].product_id == "3"
    assert all((BY_ID[h.product_id].price or 99) <= 1.5 for h in cheap)
    assert again.search("yoghurt", k=1)[0].product_id == "7"


def test_load_rejects_what_it_cannot_read(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="no saved LocalSearch index"):
        LocalSearch.load(tmp_path)
    search = LocalSearch(dense=False)
    search.index(PRODUCTS)
    folder = search.save(tmp_path / "idx")
    meta = json.loads((folder / "products.json").read_text())
    (folder / "products.json").write_text(json.dumps({**meta, "format": 1}))
    with pytest.raises(ValidationError, match="index the catalog again"):
        LocalSearch.load(folder)


def test_missing_extra_names_the_pip_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "Stemmer", None)
    with pytest.raises(MissingExtraError, match=r"leafloaf\[search\]"):
        LocalSearch(dense=False)


filters_strategy = st.builds(
    SearchFilters,
    categories=st.lists(st.sampled_from(KEYS), max_size=2).map(tuple),
    attributes=st.lists(st.sampled_from(KEYS), max_size=2).map(tuple),
    exclude_attributes=st.lists(st.sampled_from(KEYS), max_size=2).map(tuple),
    min_price=st.one_of(st.none(), st.floats(0, 6)),
    max_price=st.one_of(st.none(), st.floats(0, 6)),
)


@settings(max_examples=100, deadline=None)
@given(filters=filters_strategy)
def test_vectorised_mask_equals_the_filter_definition(
    bm25: LocalSearch, filters: SearchFilters
) -> None:
    mask = bm25.mask(filters)
    for pid, product in BY_ID.items():
        assert bool(mask[bm25._row[pid]]) == filters.allows(product, ATTRIBUTES.attributes(pid))


@settings(max_examples=40, deadline=None)
@given(
    query=st.sampled_from(["milk", "bread", "banana", "organic", "fruit", "oat", "yogurt"]),
    k=st.integers(0, 10),
    filters=filters_strategy,
)
def test_results_obey_k_and_filters(
    hybrid: LocalSearch, query: str, k: int, filters: SearchFilters
) -> None:
    hits = hybrid.search(query, k=k, filters=filters)
    assert len(hits) <= k
    for hit in hits:
        assert filters.allows(BY_ID[hit.product_id], ATTRIBUTES.attributes(hit.product_id))


def test_an_empty_index_answers_nothing_and_cannot_be_saved(tmp_path: Path) -> None:
    search = LocalSearch(dense=True)
    assert search.search("milk") == [] and search.index([]) == 0 and search.health().ok
    search.index(PRODUCTS[:1])
    search.remove(["1"])
    assert search.search("bananas") == [] and len(search) == 0
    with pytest.raises(ValidationError, match="index products before saving"):
        search.save(tmp_path / "idx")
