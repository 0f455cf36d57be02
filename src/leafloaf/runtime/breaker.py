"""CircuitBreaker: stop calling a backend that keeps failing, and try it again after a pause.

A backend that is down answers slowly (connect timeouts) or not at all; calling it on every
request multiplies the outage into every caller's latency. After ``failure_threshold``
consecutive failures the breaker *opens*: calls fail at once, without touching the backend.
After ``reset_timeout_s`` it lets one trial call through (*half open*); a success closes it
again, a failure re-opens it for another pause.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Literal

from leafloaf.errors import ConfigError

__all__ = ["BreakerState", "CircuitBreaker"]

BreakerState = Literal["closed", "open", "half_open"]


class CircuitBreaker:
    """Closed → open after repeated failures → half open after a pause → closed on success.

    Thread-safe; one trial call at a time passes while half open.

    >>> now = [0.0]
    >>> clock = lambda: now[0]
    >>> breaker = CircuitBreaker("redis", failure_threshold=2, reset_timeout_s=5, clock=clock)
    >>> breaker.failure("refused"); breaker.failure("refused"); breaker.state
    'open'
    >>> breaker.allow()
    False
    >>> now[0] = 6.0; breaker.allow(), breaker.state
    (True, 'half_open')
    >>> breaker.success(); breaker.state
    'closed'
    """

    def __init__(
        self,
        name: str,
        failure_threshold: int = 3,
        reset_timeout_s: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if failure_threshold < 1:
            raise ConfigError("failure_threshold", failure_threshold, "must be at least 1")
        if reset_timeout_s < 0:
            raise ConfigError("reset_timeout_s", reset_timeout_s, "must be >= 0 seconds")
        self.name = name
        self.failure_threshold = failure_threshold
        self.reset_timeout_s = reset_timeout_s
        self._clock = clock
        self._lock = threading.Lock()
        self._state: BreakerState = "closed"
        self._failures = 0
        self._opened_at = 0.0
        self._trial = False
        self.last_error: str | None = None
        """The most recent failure's message (kept after recovery, for health reports)."""

    @property
    def state(self) -> BreakerState:
        """Current state (an open breaker whose pause is over reads as half open)."""
        with self._lock:
            if self._state == "open" and self._clock() - self._opened_at >= self.reset_timeout_s:
                return "half_open"
            return self._state

    def allow(self) -> bool:
        """May a call go to the backend now? (Half open: only the one trial call.)"""
        with self._lock:
            if self._state == "closed":
                return True
            if self._state == "open":
                if self._clock() - self._opened_at < self.reset_timeout_s:
                    return False
                self._state = "half_open"
                self._trial = False
            if self._trial:
                return False
            self._trial = True
            return True

    def success(self) -> None:
        """The backend answered: close the breaker and forget earlier failures."""
        with self._lock:
            self._state = "closed"
            self._failures = 0
            self._trial = False

    def failure(self, error: BaseException | str) -> None:
        """The backend failed; open the breaker once failures reach the threshold."""
        with self._lock:
            self.last_error = (
                error if isinstance(error, str) else f"{type(error).__name__}: {error}"
            )
            self._failures += 1
            self._trial = False
            if self._state == "half_open" or self._failures >= self.failure_threshold:
                self._state = "open"
                self._opened_at = self._clock()
