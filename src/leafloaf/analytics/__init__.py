"""Analytics sinks: ``"null"`` by default; DuckDB and BigQuery adapters plug in here."""

from leafloaf.analytics.base import AnalyticsSink, NullSink

__all__ = ["AnalyticsSink", "NullSink"]
