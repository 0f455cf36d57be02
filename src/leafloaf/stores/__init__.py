"""State stores, picked by short name: ``"memory"`` (default), ``"sqlite"``, ``"spanner"``.

Server-backed stores (``"spanner"``, and ``"redis"`` when its adapter lands) are imported
only when asked for, and a missing client library raises
:class:`~leafloaf.errors.MissingExtraError` naming the extra to install.
"""

from __future__ import annotations

import importlib
import inspect
from typing import Any

from leafloaf.errors import ConfigError
from leafloaf.stores.base import Op, StateStore, merge_row
from leafloaf.stores.memory import InMemoryStore
from leafloaf.stores.sqlite import SQLiteStore

__all__ = ["STORES", "InMemoryStore", "Op", "SQLiteStore", "StateStore", "merge_row", "open_store"]

STORES: dict[str, str] = {
    "memory": "leafloaf.stores.memory:InMemoryStore",
    "sqlite": "leafloaf.stores.sqlite:SQLiteStore",
    "spanner": "leafloaf.stores.spanner:SpannerStore",
}
"""Short name → ``module:Class`` of every known store."""


def open_store(store: str | StateStore | None = None, **options: Any) -> StateStore:
    """A store from its short name (options go to its constructor), or the store itself.

    >>> open_store("sqlite", path=":memory:").name
    'sqlite'
    """
    if store is None:
        return InMemoryStore()
    if isinstance(store, StateStore):
        if options:
            name = next(iter(options))
            raise ConfigError(
                name, options[name], "store options go with a store name, not an instance"
            )
        return store
    if not isinstance(store, str):
        raise ConfigError("store", store, "must be a store name or a StateStore instance")
    target = STORES.get(store)
    if target is None:
        raise ConfigError("store", store, f"unknown store; choose one of {sorted(STORES)}")
    module, _, cls_name = target.partition(":")
    cls = getattr(importlib.import_module(module), cls_name)
    accepted = [
        name
        for name, param in inspect.signature(cls).parameters.items()
        if param.kind in (param.POSITIONAL_OR_KEYWORD, param.KEYWORD_ONLY)
    ]
    for option in options:
        if option not in accepted:
            raise ConfigError(
                option,
                options[option],
                f"not an option of the {store!r} store; it takes {accepted}",
            )
    instance: StateStore = cls(**options)
    return instance
