"""The population fit as SQL: DuckDB and the in-process fit agree; BigQuery runs the same SQL."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from leafloaf import GraphitiPersonalizationEngine
from leafloaf.analytics.bigquery import BigQuerySink
from leafloaf.analytics.duckdb import DuckDBAnalytics
from leafloaf.datasets import Dataset, load_instacart
from leafloaf.errors import ConfigError
from leafloaf.learning.complements import CoOccurrence
from leafloaf.learning.population import PopulationModel, _repeat_after
from leafloaf.learning.sql import fit_population_sql, repeat_after_histogram

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "instacart_1k"
SAMPLE = Path(__file__).resolve().parents[2] / "examples" / "data" / "instacart_sample"


def _data(users: int) -> Dataset:
    return load_instacart(SHARED if SHARED.is_dir() else SAMPLE, max_users=users)


def assert_same_sums(a: PopulationModel, b: PopulationModel) -> None:
    """Every sum the SQL fit computes, compared (counts exactly, fits within 1e-9)."""
    assert (a.n_users, a.n_lines, a.n_baskets) == (b.n_users, b.n_lines, b.n_baskets)
    assert a.item_lines == b.item_lines and a.item_users == b.item_users
    assert a.category_lines == b.category_lines
    assert a.product_quantities == b.product_quantities
    assert a.repeat_after == pytest.approx(b.repeat_after, rel=1e-12)
    assert a.median_gap == pytest.approx(b.median_gap, rel=1e-9)
    assert a.interval_shape == pytest.approx(b.interval_shape, rel=1e-9)
    assert a.item_log_price.keys() == b.item_log_price.keys()
    for pid, value in a.item_log_price.items():
        assert value == pytest.approx(b.item_log_price[pid], rel=1e-9, abs=1e-12)
    assert a.category_price.keys() == b.category_price.keys()
    ca, cb = a.cooccurrence, b.cooccurrence
    assert ca.n_units == cb.n_units
    assert {p: ca.count(p) for p in ca.ids} == {p: cb.count(p) for p in cb.ids if cb.count(p)}
    pairs_a, pairs_b = _pairs(ca), _pairs(cb)
    assert pairs_a == pairs_b and len(pairs_a) > 1000
    ra, rb = a.attribute_rates, b.attribute_rates
    assert ra is not None and rb is not None and sorted(ra.attributes) == rb.attributes
    order = [ra.index[x] for x in rb.attributes]
    for field in ("alpha", "beta", "never"):
        np.testing.assert_allclose(getattr(ra, field)[order], getattr(rb, field), rtol=1e-7)


def _pairs(co: CoOccurrence) -> dict[tuple[str, str], float]:
    out = {}
    for pid, i in co.index.items():
        lo, hi = int(co.starts[i]), int(co.starts[i + 1])
        for k in range(lo, hi):
            out[(pid, co.ids[int(co.neighbour[k])])] = float(co.together[k])
    return out


@pytest.fixture(scope="module")
def recorded() -> tuple[Dataset, GraphitiPersonalizationEngine, DuckDBAnalytics]:
    data = _data(120)
    sink = DuckDBAnalytics()
    engine = GraphitiPersonalizationEngine(data.catalog, analytics=sink)
    engine.record_many(data.events)
    return data, engine, sink


def test_duckdb_sql_fit_gives_the_in_process_sums(
    recorded: tuple[Dataset, GraphitiPersonalizationEngine, DuckDBAnalytics],
) -> None:
    data, engine, sink = recorded
    assert max(len(set(b)) for b in _baskets(data)) <= 100  # the basket cap plays no part
    in_process = engine.fit()
    assert_same_sums(in_process, fit_population_sql(sink, data.catalog))


def test_engine_refit_from_duckdb_swaps_the_sql_model_in(
    recorded: tuple[Dataset, GraphitiPersonalizationEngine, DuckDBAnalytics],
) -> None:
    _dataset, engine, _sink = recorded
    model = engine.refit(source="duckdb")
    assert model is not None and model.neighbourhood is None
    assert model.events_at_fit == engine.store.event_count()
    assert engine.population is model  # reads use it now
    with pytest.raises(ConfigError, match="source"):
        engine.refit(source="bigquery")


def test_bigquery_emulator_runs_the_same_sql(
    recorded: tuple[Dataset, GraphitiPersonalizationEngine, DuckDBAnalytics],
    bigquery_sink: BigQuerySink,
) -> None:
    data, _engine, _sink = recorded
    chosen = set(sorted({e.user_id for e in data.events})[:25])
    small = [e for e in data.events if e.user_id in chosen]
    local = DuckDBAnalytics()
    local.emit(small)
    bigquery_sink.emit(small)
    bigquery_sink.flush()
    assert bigquery_sink.dead_letters() == []
    assert_same_sums(
        fit_population_sql(local, data.catalog), fit_population_sql(bigquery_sink, data.catalog)
    )


def test_repeat_priors_from_a_histogram_match_the_per_product_fit() -> None:
    rng = np.random.default_rng(3)
    times = rng.integers(1, 40, size=500)
    recent = rng.integers(0, 2, size=500)
    histogram: dict[tuple[int, int], float] = {}
    for t, r in zip(np.minimum(times, 31).tolist(), recent.tolist(), strict=True):
        histogram[(t, r)] = histogram.get((t, r), 0.0) + 1.0
    assert repeat_after_histogram(histogram) == pytest.approx(
        _repeat_after((times.tolist(), recent.tolist()))
    )


def _baskets(data: Dataset) -> list[list[str]]:
    baskets: dict[tuple[str, str | None], list[str]] = {}
    for e in data.events:
        if e.product_id is not None:
            baskets.setdefault((e.user_id, e.basket_id), []).append(e.product_id)
    return list(baskets.values())
