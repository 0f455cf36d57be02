"""Cache tiers in front of the durable store: ``"memory"`` (this process) and ``"redis"`` (shared).

``RedisCache`` is imported only when used (it needs the ``[redis]`` extra).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from leafloaf.cache.base import Cache, InMemoryCache

if TYPE_CHECKING:
    from leafloaf.cache.redis import RedisCache

__all__ = ["Cache", "InMemoryCache", "RedisCache"]


def __getattr__(name: str) -> Any:
    if name == "RedisCache":
        from leafloaf.cache.redis import RedisCache

        return RedisCache
    raise AttributeError(name)
