"""A per-route circuit breaker: closed -> open after N failures in a row -> half-open.

Kept here rather than taken from a library because it sits on the proxy's hot path (two
attribute reads per request when closed) and the gateway needs its state for the fallback
body, the metrics and the health page. While half-open, one trial request at a time is let
through; its outcome closes or re-opens the circuit.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from enum import StrEnum


class State(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class CircuitBreaker:
    def __init__(
        self,
        name: str,
        *,
        failure_threshold: int = 5,
        reset_after_s: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = name
        self.failure_threshold = failure_threshold
        self.reset_after_s = reset_after_s
        self._clock = clock
        self._failures = 0
        self._opened_at = 0.0
        self._trial_in_flight = False
        self._trials = 0  # numbers each trial, so only its own request can abandon it
        self.state = State.CLOSED

    def allow(self) -> bool:
        """Whether a request may go to the upstream now."""
        if self.state is State.CLOSED:
            return True
        if self.state is State.OPEN and self._clock() - self._opened_at >= self.reset_after_s:
            self.state = State.HALF_OPEN
            self._trial_in_flight = False
        if self.state is State.HALF_OPEN and not self._trial_in_flight:
            self._trial_in_flight = True
            self._trials += 1
            return True
        return False

    @property
    def trial(self) -> int | None:
        """The number of the trial in flight (right after `allow()`: this request's)."""
        return self._trials if self.state is State.HALF_OPEN and self._trial_in_flight else None

    def abandon(self, trial: int) -> None:
        """Trial `trial` ended without an outcome (the client left, its body was too large):
        the next request may try, instead of the route staying refused until a restart."""
        if self.trial == trial:
            self._trial_in_flight = False

    def retry_after_s(self) -> int:
        remaining = self.reset_after_s - (self._clock() - self._opened_at)
        return max(1, int(remaining + 0.999))

    def record_success(self) -> None:
        self._failures = 0
        if self.state is not State.CLOSED:
            self.state = State.CLOSED
            self._trial_in_flight = False

    def record_failure(self) -> None:
        self._failures += 1
        if self.state is State.HALF_OPEN or self._failures >= self.failure_threshold:
            self.state = State.OPEN
            self._opened_at = self._clock()
            self._trial_in_flight = False
