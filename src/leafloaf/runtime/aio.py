"""AsyncEngine: the engine's methods as coroutines, run in worker threads off the event loop.

Every engine method is thread-safe and reads never wait for a refit, so an async server can
hand each call to a thread and stay responsive; the event loop itself only schedules the call
(``leafloaf bench runtime`` measures the loop thread's work per call).

The loop-side path is kept as short as it can be, because every allocation on the loop
thread is a chance for it to pay a garbage-collection pass that other threads' objects made
due: each method's coroutine function is built once and cached, and calls go to the
engine's own pool of worker threads (``leafloaf-aio-…``), started on first use and shut
down by ``engine.close()``.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import os
import threading
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
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

    Each call runs in one of the engine's worker threads (``max_workers``, by default the
    CPU count plus four, as asyncio's own default); ``record_many`` with a large input runs
    in one worker thread like any other call. Context variables (request ids, tracing
    spans) travel with the call, as with :func:`asyncio.to_thread`.

    >>> import asyncio
    >>> from leafloaf import Catalog, GraphitiPersonalizationEngine, Product
    >>> engine = GraphitiPersonalizationEngine(Catalog([Product(product_id="1", name="Tea")]))
    >>> asyncio.run(engine.aio.users())
    []
    """

    def __init__(
        self, engine: GraphitiPersonalizationEngine, max_workers: int | None = None
    ) -> None:
        self.engine = engine
        self.max_workers = max_workers or min(32, (os.cpu_count() or 1) + 4)
        self._executor: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()
        self._prefix = f"leafloaf-aio-{id(self):x}"

    def _pool(self) -> ThreadPoolExecutor:
        executor = self._executor
        if executor is None:
            with self._lock:
                if self._executor is None:
                    self._executor = ThreadPoolExecutor(
                        self.max_workers, thread_name_prefix=self._prefix
                    )
                executor = self._executor
        return executor

    def __getattr__(self, name: str) -> Callable[..., Coroutine[Any, Any, Any]]:
        if name not in _METHODS:
            raise AttributeError(f"AsyncEngine has no method {name!r}")
        method = getattr(self.engine, name)
        pool = self._pool
        run_in_context = contextvars.Context.run
        copy_context = contextvars.copy_context
        loop_of = asyncio.get_running_loop

        @functools.wraps(method)
        async def call(*args: Any, **kwargs: Any) -> Any:
            ctx = copy_context()
            job = functools.partial(run_in_context, ctx, method, *args, **kwargs)
            return await loop_of().run_in_executor(pool(), job)

        self.__dict__[name] = call  # built once: later lookups skip __getattr__
        return call

    def shutdown(self) -> None:
        """Stop the worker threads once the calls already handed to them are done.

        Called from one of those threads (``await engine.aio.close()``), it does not wait
        for itself: the other threads finish their calls and exit.
        """
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            inside = threading.current_thread().name.startswith(self._prefix)
            executor.shutdown(wait=not inside)
