"""Analytics sinks: ``"null"`` by default, ``DuckDBAnalytics`` (embedded) and ``BigQuerySink``.

The DuckDB and BigQuery adapters live in :mod:`leafloaf.analytics.duckdb` and
:mod:`leafloaf.analytics.bigquery`; each imports its client library only when constructed.
"""

from leafloaf.analytics.base import AnalyticsSink, NullSink

__all__ = ["AnalyticsSink", "NullSink"]
