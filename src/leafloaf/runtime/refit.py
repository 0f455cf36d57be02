"""Refitter: builds the next population model off the read path and swaps it in whole.

Reads always use the model already built (``current``) and never wait for a fit, with one
exception: the very first read of an engine that has no model yet (a cold start) builds one;
concurrent first readers share that single fit. After that, fits run in a background thread
when the engine asks (the log grew by ``refit_fraction``, a shopper was forgotten) or when a
host calls ``refit()`` itself. A shopper forgotten while a fit was running is removed from
its result before the swap, so no fit can bring an erased shopper back.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Generic, TypeVar

__all__ = ["Refitter"]

log = logging.getLogger("leafloaf")

_IDLE_EXIT = 5.0
"""Seconds without a request after which the refit thread ends (an idle engine holds none)."""

M = TypeVar("M")
R = TypeVar("R")
Fit = Callable[[], tuple[M, int]]
"""Builds a model; returns it with the removal :attr:`Refitter.epoch` its snapshot was taken at."""


class Refitter(Generic[M, R]):
    """Holds the current model and refits it in a daemon thread on request.

    ``fit`` builds a model from a store snapshot and returns it with the :attr:`epoch` read
    when that snapshot was taken; ``on_swap(model)`` runs after each swap (it must only queue
    work); ``apply(model, removal)`` takes one removal (a forgotten
    shopper) out of a model. Removals recorded after a fit's snapshot are applied to its
    result before it is swapped in.
    """

    def __init__(
        self,
        fit: Fit[M],
        apply: Callable[[M, R], M],
        background: bool = True,
        on_swap: Callable[[M], None] | None = None,
    ) -> None:
        self._fit = fit
        self._apply = apply
        self._on_swap = on_swap
        self.background = background
        self._epoch = 0
        self._removals: list[tuple[int, R]] = []
        self._current: M | None = None
        self._fit_lock = threading.Lock()
        self._swap_lock = threading.Lock()
        self._wake = threading.Event()
        self._thread_lock = threading.Lock()
        self._idle = threading.Event()
        self._idle.set()
        self._stop = False
        self._thread: threading.Thread | None = None
        self.fits = 0
        """Fits completed (a figure for benchmarks and tests)."""
        self.last_error: BaseException | None = None

    @property
    def current(self) -> M | None:
        """The model reads use now (None before the first fit)."""
        return self._current

    def get(self) -> M:
        """The current model; only a cold start (no model yet) fits here."""
        model = self._current
        if model is not None:
            return model
        with self._fit_lock:
            model = self._current
            if model is None:
                model = self._run_fit()
        return model

    def refit(self, fit: Fit[M] | None = None) -> M:
        """Fit now in the calling thread and swap the result in; returns it.

        ``fit`` replaces the usual fit for this once (another data source, the same model).
        """
        with self._fit_lock:
            return self._run_fit(fit)

    @property
    def epoch(self) -> int:
        """How many removals were recorded so far (read it when taking a fit's snapshot)."""
        return self._epoch

    def _run_fit(self, fit: Fit[M] | None = None) -> M:
        model, since = (fit or self._fit)()
        with self._swap_lock:
            for epoch, removal in self._removals:
                if epoch > since:
                    model = self._apply(model, removal)
            self._removals = [(e, r) for e, r in self._removals if e > since]
            self._current = model
        self.fits += 1
        if self._on_swap is not None:
            try:  # a hook (the engine's memory sync) never costs the new model
                self._on_swap(model)
            except Exception as exc:
                log.warning("after-refit hook failed: %s", exc)
        return model

    def remove(self, removal: R) -> None:
        """Take ``removal`` out of the current model now, and out of any fit in flight."""
        with self._swap_lock:
            self._epoch += 1
            self._removals.append((self._epoch, removal))
            if self._current is not None:
                self._current = self._apply(self._current, removal)

    def request(self) -> None:
        """Ask for a background refit (several requests before it starts make one fit)."""
        if not self.background:
            return
        with self._thread_lock:  # one refit thread at most, however many callers ask at once
            self._idle.clear()
            self._wake.set()
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._loop, name="leafloaf-refit", daemon=True
                )
                self._thread.start()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until no requested refit is pending (True) or ``timeout`` passed (False)."""
        return self._idle.wait(timeout)

    def _loop(self) -> None:
        while not self._stop:
            if not self._wake.wait(timeout=_IDLE_EXIT):
                with self._thread_lock:  # idle: end the thread; the next request starts one
                    if not self._wake.is_set():
                        self._thread = None
                        return
                continue
            self._wake.clear()
            if self._stop:
                break
            try:
                with self._fit_lock:
                    self._run_fit()
                self.last_error = None
            except Exception as exc:  # keep serving the last model; try again on the next request
                self.last_error = exc
                log.warning("background population refit failed: %s", exc)
            if not self._wake.is_set():
                self._idle.set()
        self._idle.set()

    def close(self) -> None:
        """Stop the background thread (a fit in progress finishes first)."""
        self._stop = True
        self._wake.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join()
