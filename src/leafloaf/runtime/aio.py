"""AsyncEngine: the engine's methods as coroutines, run in worker threads off the event loop.

Every engine method is thread-safe and reads never wait for a refit, so an async server can
hand each call to a thread and stay responsive; the event loop itself only schedules the call
(``leafloaf bench core`` measures how long the loop is held).
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from leafloaf.engine import GraphitiPersonalizationEngine

__all__ = ["AsyncEngine"]

_METHODS = frozenset(
    {
        "record", "record_many", "flush", "declare_avoidance", "fit", "refit",
        "usual_order", "next_basket", "reorder_due", "dietary_profile", "complements",
        "suggest_quantity", "budget_profile", "household_profile", "rerank", "search",
        "explain", "preferences", "export_user", "forget_user", "merge", "users",
        "dead_letters", "sync_memory", "close",
    }
)  # fmt: skip


class AsyncEngine:
    """``await engine.aio.rerank(user, ids)``: the same methods, awaitable.

    ``record_many`` with a large input runs in one worker thread like any other call.

    >>> import asyncio
    >>> from leafloaf import Catalog, GraphitiPersonalizationEngine, Product
    >>> engine = GraphitiPersonalizationEngine(Catalog([Product(product_id="1", name="Tea")]))
    >>> asyncio.run(engine.aio.users())
    []
    """

    def __init__(self, engine: GraphitiPersonalizationEngine) -> None:
        self.engine = engine

    def __getattr__(self, name: str) -> Callable[..., Coroutine[Any, Any, Any]]:
        if name not in _METHODS:
            raise AttributeError(f"AsyncEngine has no method {name!r}")
        method = getattr(self.engine, name)

        @functools.wraps(method)
        async def call(*args: Any, **kwargs: Any) -> Any:
            return await asyncio.to_thread(method, *args, **kwargs)

        return call
