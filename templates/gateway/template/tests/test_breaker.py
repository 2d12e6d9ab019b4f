from __future__ import annotations

from gateway.domain.breaker import CircuitBreaker, State


class Clock:
    now = 0.0

    def __call__(self) -> float:
        return self.now


def state_of(breaker: CircuitBreaker) -> State:
    """Read afresh: mypy keeps an attribute narrowed across the calls that change it."""
    return breaker.state


def test_opens_after_failures_then_half_opens_and_closes() -> None:
    clock = Clock()
    breaker = CircuitBreaker("r", failure_threshold=3, reset_after_s=10, clock=clock)
    for _ in range(3):
        assert breaker.allow()
        breaker.record_failure()
    assert breaker.state is State.OPEN and not breaker.allow()
    clock.now = 10
    assert breaker.allow()  # the one trial
    assert not breaker.allow()  # others wait for its outcome
    breaker.record_success()
    assert state_of(breaker) is State.CLOSED and breaker.allow()


def test_a_failed_trial_reopens() -> None:
    clock = Clock()
    breaker = CircuitBreaker("r", failure_threshold=1, reset_after_s=5, clock=clock)
    breaker.record_failure()
    clock.now = 5
    assert breaker.allow()
    breaker.record_failure()
    assert breaker.state is State.OPEN and breaker.retry_after_s() == 5


def test_a_success_resets_the_failure_count() -> None:
    breaker = CircuitBreaker("r", failure_threshold=2)
    breaker.record_failure()
    breaker.record_success()
    breaker.record_failure()
    assert breaker.state is State.CLOSED
