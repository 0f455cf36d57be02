"""SQLiteStore durability: state and log survive a killed process and a reopen."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from datetime import UTC, datetime
from pathlib import Path

import pytest

from leafloaf import Catalog, GraphitiPersonalizationEngine, Product, SQLiteStore
from leafloaf.errors import ConfigError
from leafloaf.stores import open_store

WRITER = textwrap.dedent(
    """
    import sys, time
    from datetime import UTC, datetime, timedelta
    from leafloaf import Catalog, Event, GraphitiPersonalizationEngine, Product
    catalog = Catalog([Product(product_id=f"p{i}", name=f"P{i}", categories=("d", "a"))
                       for i in range(5)])
    engine = GraphitiPersonalizationEngine(catalog, store="sqlite", path=sys.argv[1])
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    events = [Event.purchase("ann", f"p{i % 5}", ts=t0 + timedelta(days=i), basket_id=f"b{i}",
                             event_id=f"e{i}") for i in range(200)]
    engine.record_many(events)
    print("committed", flush=True)
    time.sleep(60)
    """
)


def test_state_survives_kill_and_reopen(tmp_path: Path) -> None:
    db = tmp_path / "shop.db"
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(db)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "committed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()

    catalog = Catalog(
        [Product(product_id=f"p{i}", name=f"P{i}", categories=("d", "a")) for i in range(5)]
    )
    engine = GraphitiPersonalizationEngine(catalog, store=SQLiteStore(db))
    assert engine.store.event_count() == 200
    usual = engine.usual_order("ann", 5)
    assert usual.orders_seen == 200
    assert {item.product_id for item in usual.items} == {f"p{i}" for i in range(5)}
    assert all(item.reasons[0].text == "in 40 of your 200 orders" for item in usual.items)
    # replaying the same ids after the restart changes nothing
    again = engine.record_many(list(engine.store.events("ann")))
    assert again.duplicates == 200
    assert engine.usual_order("ann", 5).orders_seen == 200
    engine.close()


def test_failed_transaction_rolls_back(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "x.db")
    with pytest.raises(RuntimeError), store.transaction():
        store.apply({"u": {"r": ((0,), [1.0])}})  # type: ignore[dict-item]
        raise RuntimeError("boom")
    assert store.rows("u") == {}
    store.close()


def test_unknown_store_name_names_the_choices() -> None:
    with pytest.raises(ConfigError, match="sqlite"):
        open_store("sqlit")


def test_reopen_keeps_declarations(tmp_path: Path) -> None:
    catalog = Catalog([Product(product_id="m", name="Steak", categories=("meat", "beef"))])
    db = tmp_path / "d.db"
    engine = GraphitiPersonalizationEngine(catalog, store="sqlite", path=str(db))
    engine.declare_avoidance("ann", "department:meat", at=datetime(2026, 1, 1, tzinfo=UTC))
    engine.close()
    reopened = GraphitiPersonalizationEngine(catalog, store="sqlite", path=str(db))
    assert reopened.dietary_profile("ann").avoids("department:meat")
    reopened.close()
