"""The population fit as SQL: the same sums on DuckDB (embedded) and BigQuery (distributed).

The population model is a set of sums over every logged event. Each sum here is one SQL
query over the analytics ``events`` table (and an ``attributes`` table loaded from the
catalog) written in the subset of SQL both engines share: no dialect functions, times
as ``ts_seconds``, duplicates removed by grouping on ``event_id``. The engine runs them
where the events already are (``engine.refit(source="duckdb" | "bigquery")``) and only
the aggregates travel back: per product, per product pair, per count bucket, and the
sparse shopper × attribute counts the dietary model's EM needs.

What the SQL fit leaves out (it needs per-shopper state, not sums): the neighbourhood,
the household model and the shoppers' price positions. The engine's in-process fit
still provides them; see docs/gcp.md.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np

from leafloaf.catalog import Catalog
from leafloaf.learning.complements import CoOccurrence
from leafloaf.learning.dietary import attribute_families, fit_attribute_rates
from leafloaf.learning.population import PopulationModel, fit_prices
from leafloaf.learning.quantity import fit_quantity_model

__all__ = ["POPULATION_SQL", "SQLWarehouse", "fit_population_sql", "repeat_after_histogram"]

HORIZON = 30

_COMMON = """
WITH logged AS (
  SELECT event_id, ANY_VALUE(type) AS type, ANY_VALUE(user_id) AS user_id,
         ANY_VALUE(product_id) AS product_id, ANY_VALUE(ts_seconds) AS ts_seconds,
         ANY_VALUE(basket_id) AS basket_id, ANY_VALUE(quantity) AS quantity,
         ANY_VALUE(unit_price) AS unit_price
  FROM {events}
  GROUP BY event_id
),
purchases AS (
  SELECT user_id, product_id, ts_seconds, ts_seconds / 86400 AS day, quantity, unit_price,
         COALESCE(basket_id, CONCAT('day', CAST(FLOOR(ts_seconds / 86400) AS STRING))) AS basket
  FROM logged
  WHERE type = 'purchase' AND product_id IS NOT NULL
),
user_item AS (
  SELECT user_id, product_id, COUNT(*) AS lines, MAX(day) AS last_day
  FROM purchases
  GROUP BY user_id, product_id
),
baskets AS (
  SELECT user_id, basket, MIN(day) AS start FROM purchases GROUP BY user_id, basket
),
shoppers AS (
  SELECT user_id, MIN(start) AS first_start, MAX(start) AS latest, COUNT(*) AS orders
  FROM baskets
  GROUP BY user_id
),
basket_items AS (
  SELECT user_id, basket, product_id, MIN(ts_seconds) AS first_ts
  FROM purchases
  GROUP BY user_id, basket, product_id
),
kept AS (
  SELECT user_id, basket, product_id
  FROM (
    SELECT user_id, basket, product_id,
           ROW_NUMBER() OVER (
             PARTITION BY user_id, basket ORDER BY first_ts, product_id
           ) AS rank_in_basket
    FROM basket_items
  ) AS ranked
  WHERE rank_in_basket <= {max_basket}
)
"""

POPULATION_SQL: dict[str, str] = {
    "totals": """
SELECT (SELECT COUNT(DISTINCT user_id) FROM logged) AS n_users,
       (SELECT COUNT(*) FROM purchases) AS n_lines,
       (SELECT COUNT(*) FROM baskets) AS n_baskets,
       (SELECT COUNT(DISTINCT user_id) FROM kept) AS n_units
""",
    "items": """
SELECT product_id, COUNT(*) AS lines, COUNT(DISTINCT user_id) AS shoppers,
       SUM(CASE WHEN unit_price IS NULL THEN 0 ELSE LN(unit_price + 0.000000001) END) AS log_price,
       COUNT(unit_price) AS priced
FROM purchases
GROUP BY product_id
""",
    "quantities": """
SELECT product_id, quantity, COUNT(*) AS lines FROM purchases GROUP BY product_id, quantity
""",
    "repeats": """
SELECT LEAST(ui.lines, {cap}) AS times,
       CASE WHEN ui.last_day >= s.latest THEN 1 ELSE 0 END AS recent,
       COUNT(*) AS products
FROM user_item AS ui JOIN shoppers AS s ON ui.user_id = s.user_id
GROUP BY times, recent
""",
    "gaps": """
SELECT (latest - first_start) / (orders - 1) AS mean_gap FROM shoppers WHERE orders >= 2
""",
    "interval_ratios": """
, days AS (SELECT DISTINCT user_id, product_id, day FROM purchases),
gaps AS (
  SELECT user_id, product_id,
         day - LAG(day) OVER (PARTITION BY user_id, product_id ORDER BY day) AS gap
  FROM days
),
gap_stats AS (
  SELECT user_id, product_id, COUNT(gap) AS n_gaps, AVG(gap) AS mean
  FROM gaps WHERE gap IS NOT NULL GROUP BY user_id, product_id
),
ratios AS (
  SELECT g.gap / st.mean AS r
  FROM gaps AS g
  JOIN gap_stats AS st ON g.user_id = st.user_id AND g.product_id = st.product_id
  JOIN user_item AS ui ON g.user_id = ui.user_id AND g.product_id = ui.product_id
  WHERE g.gap IS NOT NULL AND ui.lines >= 3 AND st.n_gaps >= 2 AND st.mean > 0
)
SELECT COUNT(*) AS n, SUM(r) AS total, SUM(r * r) AS squares FROM ratios
""",
    "held": """
SELECT product_id, COUNT(DISTINCT user_id) AS shoppers FROM kept GROUP BY product_id
""",
    "pairs": """
SELECT a.product_id AS left_id, b.product_id AS right_id, COUNT(DISTINCT a.user_id) AS shoppers
FROM kept AS a
JOIN kept AS b ON a.user_id = b.user_id AND a.basket = b.basket AND a.product_id <> b.product_id
GROUP BY left_id, right_id
""",
    "user_orders": """
SELECT user_id, orders FROM shoppers
""",
    "user_attributes": """
SELECT p.user_id, a.attribute, COUNT(DISTINCT p.basket) AS orders
FROM purchases AS p JOIN {attributes} AS a ON p.product_id = a.product_id
GROUP BY p.user_id, a.attribute
""",
}
"""Each population sum as SQL; ``{events}``, ``{attributes}``, ``{max_basket}`` and
``{cap}`` are filled in, and the shared CTEs (``logged``, ``purchases``, ``user_item``,
``baskets``, ``shoppers``, ``kept``) are prepended."""

ATTRIBUTES_TABLE = "product_attributes"


class SQLWarehouse(Protocol):
    """Where the event table lives: :class:`~leafloaf.analytics.duckdb.DuckDBAnalytics` or
    :class:`~leafloaf.analytics.bigquery.BigQuerySink`."""

    def table_name(self, table: str) -> str:
        """How SQL names one of its tables."""

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        """Run SQL and return every row."""

    def load_table(
        self, table: str, fields: Sequence[tuple[str, str]], rows: Sequence[Sequence[Any]]
    ) -> None:
        """Replace a table with rows."""


def population_query(name: str, warehouse: SQLWarehouse, max_basket: int = 100) -> str:
    """The full SQL of one population sum, table names filled in for ``warehouse``."""
    body = POPULATION_SQL[name]
    text = _COMMON + ("" if body.startswith("\n,") else "\n") + body
    return text.format(
        events=warehouse.table_name("events"),
        attributes=warehouse.table_name(ATTRIBUTES_TABLE),
        max_basket=int(max_basket),
        cap=HORIZON + 1,
    )


def repeat_after_histogram(
    histogram: dict[tuple[int, int], float], horizon: int = HORIZON
) -> list[float]:
    """``P(bought again | bought n times)`` from ``{(times ≤ horizon+1, recent): products}``.

    The same Beta(1, 1)-smoothed estimate as the in-process fit, from counts only.

    >>> [round(p, 3) for p in repeat_after_histogram({(1, 0): 3.0, (3, 1): 1.0}, horizon=2)]
    [0.333, 0.667]
    """
    out: list[float] = []
    previous = 0.5
    for n in range(1, horizon + 1):
        repeats = sum(c for (t, _), c in histogram.items() if t > n)
        trials = repeats + histogram.get((n, 0), 0.0)
        previous = (repeats + 1) / (trials + 2) if trials else previous
        out.append(previous)
    return out


def _cooccurrence(
    held: list[tuple[Any, ...]], pairs: list[tuple[Any, ...]], n_units: int
) -> CoOccurrence:
    ids = sorted({str(r[0]) for r in held})
    index = {pid: i for i, pid in enumerate(ids)}
    with_counts = np.zeros(len(ids), dtype=np.float64)
    for pid, shoppers in held:
        with_counts[index[pid]] = float(shoppers)
    m = max(len(ids), 1)
    keys = np.asarray([index[a] * m + index[b] for a, b, _ in pairs], dtype=np.int64)
    counts = np.asarray([float(c) for _, _, c in pairs], dtype=np.float64)
    order = np.argsort(keys, kind="stable")
    keys, counts = keys[order], counts[order]
    return CoOccurrence(
        ids=ids,
        index=index,
        with_counts=with_counts,
        n_units=n_units,
        neighbour=(keys % m).astype(np.int32),
        together=counts.astype(np.float32),
        starts=np.searchsorted(keys // m, np.arange(len(ids) + 1)).astype(np.int64),
    )


def fit_population_sql(
    warehouse: SQLWarehouse, catalog: Catalog, event_count: int = 0, max_basket: int = 100
) -> PopulationModel:
    """The population model's sums, computed by ``warehouse`` from its event table.

    Loads the attributes of the products bought into the warehouse (one small table).
    Baskets longer than ``max_basket`` distinct products keep their earliest ones (by
    time, then product id; the in-process fit keeps the first logged).
    """

    def run(name: str) -> list[tuple[Any, ...]]:
        return warehouse.query(population_query(name, warehouse, max_basket))

    items = run("items")
    warehouse.load_table(  # only products somebody bought: a small table even at scale
        ATTRIBUTES_TABLE,
        [("product_id", "STRING"), ("attribute", "STRING")],
        [(row[0], attr) for row in items for attr in catalog.attributes(row[0])],
    )
    n_users, n_lines, n_baskets, n_units = run("totals")[0]
    model = PopulationModel(
        n_users=int(n_users or 0), n_lines=float(n_lines or 0), n_baskets=int(n_baskets or 0),
        events_at_fit=event_count,
    )  # fmt: skip
    observed: dict[str, list[float]] = {}
    for pid, lines, shoppers, log_price, priced in items:
        model.item_lines[pid] = float(lines)
        model.item_users[pid] = int(shoppers)
        category = catalog.category(pid)
        if category is not None:
            model.category_lines[category] = model.category_lines.get(category, 0.0) + lines
        if priced:
            observed[pid] = [float(log_price), float(priced)]
    quantities: dict[str, dict[float, float]] = defaultdict(dict)
    for pid, quantity, lines in run("quantities"):
        quantities[pid][float(quantity)] = float(lines)
    model.product_quantities = dict(quantities)
    model.quantity = fit_quantity_model(model.product_quantities, catalog)  # default strengths
    histogram = {(int(t), int(r)): float(c) for t, r, c in run("repeats")}
    model.repeat_after = repeat_after_histogram(histogram)
    gaps = [float(g) for (g,) in run("gaps")]
    if gaps:
        model.median_gap = float(np.median(gaps))
    n, total, squares = run("interval_ratios")[0]
    if n:
        var = max(float(squares) / n - (float(total) / n) ** 2, 0.0)
        model.interval_shape = float(np.clip(1.0 / max(var, 1e-6), 0.5, 50.0))
    model.cooccurrence = _cooccurrence(run("held"), run("pairs"), int(n_units or 0))
    orders_of = {str(u): float(v) for u, v in run("user_orders") if v and v > 0}
    if orders_of:
        users = sorted(orders_of)
        row = {u: i for i, u in enumerate(users)}
        cells = run("user_attributes")
        attributes = sorted({str(a) for _, a, _ in cells})
        column = {a: j for j, a in enumerate(attributes)}
        model.attribute_rates = fit_attribute_rates(
            np.asarray([orders_of[u] for u in users]),
            np.asarray([row[str(u)] for u, _, _ in cells], dtype=np.int64),
            np.asarray([column[str(a)] for _, a, _ in cells], dtype=np.int64),
            np.asarray([float(c) for _, _, c in cells]),
            attributes,
            attribute_families(catalog, attributes),
        )
    fit_prices(model, catalog, observed)
    if not math.isfinite(model.interval_shape):
        model.interval_shape = 2.0
    return model
