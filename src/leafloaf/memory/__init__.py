"""Memory backends: in-process by default; graphiti-core (temporal graph) plugs in here."""

from leafloaf.memory.base import InMemoryMemory, MemoryBackend, MemoryFact

__all__ = ["InMemoryMemory", "MemoryBackend", "MemoryFact"]
