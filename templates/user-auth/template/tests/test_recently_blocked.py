"""The per-process record the login gate refuses from: only for the wait it was given."""

from __future__ import annotations

from user_auth.service_layer.login_throttle import RecentlyBlocked


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_an_address_waits_what_the_throttle_said_then_is_forgotten() -> None:
    clock = Clock()
    blocked = RecentlyBlocked(clock=clock)
    assert blocked.retry_after_s("ip:a") == 0
    blocked.block("ip:a", 4)
    clock.now += 2.5
    assert blocked.retry_after_s("ip:a") == 2
    clock.now += 1.5
    assert blocked.retry_after_s("ip:a") == 0


def test_the_record_is_bounded_and_drops_the_oldest() -> None:
    blocked = RecentlyBlocked(max_keys=2, clock=Clock())
    for key in ("ip:a", "ip:b", "ip:c"):
        blocked.block(key, 60)
    assert [blocked.retry_after_s(k) for k in ("ip:a", "ip:b", "ip:c")] == [0, 60, 60]
