"""Dense encoders (WordLlama, MiniLM), words-first fusion and the vector cache."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from leafloaf import ConfigError, MissingExtraError, ValidationError
from leafloaf.search import encoders
from leafloaf.search.encoders import MiniLMEncoder, encoder_available, make_encoder
from leafloaf.search.local import LocalSearch, words_first_fusion
from tests.contract.test_search_backend import PRODUCTS


@pytest.fixture(scope="module")
def minilm() -> MiniLMEncoder:
    return MiniLMEncoder()


def test_minilm_is_offline_normalised_and_batch_independent(minilm: MiniLMEncoder) -> None:
    texts = ["oat milk", "Organic Vanilla Oat Beverage", "whole milk", "a much longer text " * 5]
    batch = minilm.encode(texts)
    assert batch.shape == (4, MiniLMEncoder.dim) and batch.dtype == np.float32
    assert np.allclose(np.linalg.norm(batch, axis=1), 1.0, atol=1e-5)
    alone = np.stack([minilm.encode([t])[0] for t in texts])  # padding must not matter
    assert np.allclose(batch, alone, atol=1e-4)
    assert minilm.encode([]).shape == (0, MiniLMEncoder.dim)
    query, beverage, milk = batch[0], batch[1], batch[2]
    assert beverage @ query > 0.5 and milk @ query > 0.3


def test_a_model_file_that_is_not_the_pinned_one_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(encoders, "MINILM_SHA256", "0" * 64)
    with pytest.raises(ValidationError, match="sha256"):
        MiniLMEncoder()


def test_missing_minilm_extra_names_the_pip_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "onnxruntime", None)
    with pytest.raises(MissingExtraError, match=r"leafloaf\[minilm\]"):
        LocalSearch(dense="minilm")


def test_encoders_are_chosen_by_name() -> None:
    assert encoder_available("minilm") and encoder_available("wordllama")
    with pytest.raises(ConfigError, match="minilm"):
        make_encoder("bert")
    assert LocalSearch(dense=True).encoder is not None


@given(
    st.dictionaries(st.integers(0, 30), st.floats(0.01, 2.0), max_size=8),
    st.dictionaries(st.integers(0, 30), st.floats(0.0, 2.0), max_size=8),
)
def test_words_first_fusion_never_puts_a_vector_hit_above_a_word_hit(
    lexical: dict[int, float], dense: dict[int, float]
) -> None:
    fused = words_first_fusion(lexical, dense)
    assert set(fused) == set(lexical) | set(dense)
    assert {d: fused[d] for d in lexical} == lexical
    only_vectors = [fused[d] for d in fused if d not in lexical]
    assert all(0 <= s < min(lexical.values(), default=2.0) for s in only_vectors)
    assert list(fused)[: len(lexical)] == list(lexical)


def test_hybrid_minilm_keeps_word_tiers_and_adds_what_only_vectors_find() -> None:
    words = LocalSearch(dense=False)
    words.index(PRODUCTS)
    hybrid = LocalSearch(dense="minilm")
    hybrid.index(PRODUCTS)
    for query in ("milk", "banana bread", "oat milk"):
        found = [h.product_id for h in words.search(query, k=10)]
        both = hybrid.search(query, k=10)
        assert [h.product_id for h in both[: len(found)]] == found
        assert all(h.retriever == "vector" for h in both[len(found) :])
    with pytest.raises(ValidationError, match="fusion"):
        LocalSearch(dense=False, fusion="average")


def test_vectors_are_cached_by_the_texts_they_encode(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = LocalSearch(dense="wordllama", vector_cache=tmp_path)
    first.index(PRODUCTS)
    assert len(list(tmp_path.glob("wordllama-*.npy"))) == 1
    again = LocalSearch(dense="wordllama", vector_cache=tmp_path)
    assert again.encoder is not None

    seen: list[str] = []
    encode = again.encoder.encode
    monkeypatch.setattr(again.encoder, "encode", lambda texts: seen.extend(texts) or encode(texts))
    again.index(PRODUCTS)
    assert seen == []  # read from the cache
    assert [h.product_id for h in again.search("oat drink", k=3)] == [
        h.product_id for h in first.search("oat drink", k=3)
    ]
