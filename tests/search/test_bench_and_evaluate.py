"""``leafloaf bench search`` figures and the search-quality evaluation, on generated data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from leafloaf import Catalog, Product
from leafloaf.bench.search import write_search_report
from leafloaf.search.evaluate import (
    METHODS,
    QUERY_KINDS,
    evaluate_search,
    informative_words,
    search_markdown,
)
from tests.datagen import write_instacart


@pytest.fixture(scope="module")
def instacart(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_instacart(tmp_path_factory.mktemp("ic"), users=30)


def test_bench_search_cli_writes_report(instacart: Path, tmp_path: Path) -> None:
    from leafloaf.cli import main

    out = tmp_path / "bench"
    assert main(["bench", "search", "--data", str(instacart), "--out", str(out), "--quick"]) == 0
    figures = json.loads((out / "search.json").read_text())
    assert 0 < figures["bm25_p50_ms"] <= figures["bm25_p95_ms"]
    assert figures["bm25_filtered_p95_ms"] > 0
    for encoder in ("wordllama", "minilm"):  # both extras are in [dev]
        assert figures[f"hybrid_{encoder}_p95_ms"] > 0
        assert figures[f"hybrid_{encoder}_encode_p95_ms"] > 0
        assert figures[f"hybrid_{encoder}_scan_p95_ms"] > 0
    assert len(figures["load_average_start"]) == 3
    assert figures["personal_search_p95_ms"] > 0 and figures["rerank_200_p95_ms"] > 0
    assert "personal_added_p95_ms" in figures and figures["bm25_index_mib"] > 0
    markdown = (out / "search.md").read_text()
    assert "| lexical search, k=10 |" in markdown and "| <= 5 |" in markdown
    assert (
        write_search_report(figures, tmp_path / "again")[1]
        .read_text()
        .startswith("# Search benchmark\n\n`leafloaf bench search`")
    )


def test_informative_word_is_the_rarest_shared_one() -> None:
    names = ["Organic Greek Yogurt", "Greek Yogurt Cup", "Organic Milk", "Kefir"]
    catalog = Catalog([Product(product_id=str(i), name=n) for i, n in enumerate(names)])
    assert informative_words(catalog) == {"0": "greek", "1": "greek", "2": "organic"}


def test_evaluate_search_reports_every_kind_and_method(instacart: Path) -> None:
    result = evaluate_search(instacart, progress=False)
    methods = result["methods"]
    assert set(methods) == {f"{kind}-query-{m}" for kind in QUERY_KINDS for m in METHODS}
    for figures in methods.values():
        assert figures["cases"] > 0
        assert 0 <= figures["ndcg@10"] <= figures["hit@10"] <= figures["retrieved@200"] <= 1
        assert 0 <= figures["mrr"] <= 1
    # the generated shoppers repeat their staples: knowing them must help
    aisle = {m: methods[f"aisle-query-{m}"]["ndcg@10"] for m in METHODS}
    assert aisle["personalised"] > aisle["retrieval"]
    assert result["users"] == 30 and result["queries"] > 0
    assert "| aisle | personalised |" in search_markdown(result)


def test_evaluate_search_samples_users_reproducibly(instacart: Path) -> None:
    first = evaluate_search(instacart, users=8, seed=1, progress=False)
    again = evaluate_search(instacart, users=8, seed=1, progress=False)
    assert first["users"] == 8 and first["methods"] == again["methods"]
