"""Memory backends: beliefs about shoppers in this process, or in a graphiti-core graph.

``GraphitiMemory`` loads on first use: it needs ``leafloaf[graphiti]``.

>>> from leafloaf.memory import GraphitiMemory   # doctest: +SKIP
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from leafloaf.memory.base import Fact, InMemoryMemory, MemoryBackend, Relation

if TYPE_CHECKING:
    from leafloaf.memory.graphiti import GraphitiMemory

__all__ = ["Fact", "GraphitiMemory", "InMemoryMemory", "MemoryBackend", "Relation"]


def __getattr__(name: str) -> object:
    if name != "GraphitiMemory":
        raise AttributeError(f"module 'leafloaf.memory' has no attribute {name!r}")
    from leafloaf.memory.graphiti import GraphitiMemory

    return GraphitiMemory
