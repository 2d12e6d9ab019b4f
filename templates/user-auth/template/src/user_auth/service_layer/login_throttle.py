"""Brute-force brakes on login: per username and per client IP, exponential backoff.

After its free failed logins (5 for a username, 50 for an IP: many people share one
address), a key waits `base_s`, then twice as long after each further failure, up to
`max_s`; a success clears the username's count (not the IP's: one good account must not
reset an IP that guesses others); a key quiet for `forget_after_s` starts afresh.

`LoginThrottle` is the port. The real one keeps the counts in Redis
(`adapters.redis_login_throttle`), so every user-auth process and instance holds one limit
together; `InMemoryLoginThrottle` keeps them in the process (tests, and a user-auth run
without Redis), bounded in keys so a flood of made-up usernames cannot grow it. Both pass
tests/test_login_throttle_contract.py.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Protocol


class TooManyAttempts(Exception):
    """`blocked`: the keys in their backoff, each with its own whole seconds to wait."""

    def __init__(self, retry_after_s: int, blocked: dict[str, int] | None = None) -> None:
        super().__init__(f"too many failed logins; retry in {retry_after_s} s")
        self.retry_after_s = retry_after_s
        self.blocked = blocked or {}

    @classmethod
    def of_waits(cls, waits: dict[str, float]) -> TooManyAttempts | None:
        """The refusal for these seconds left per key, None when no key has any left."""
        blocked = {key: max(1, math.ceil(left)) for key, left in waits.items() if left > 0}
        return cls(max(blocked.values()), blocked) if blocked else None


FREE_FAILURES = {"user": 5, "ip": 50}


class LoginThrottle(Protocol):
    async def attempt(self, keys: Iterable[str]) -> None:
        """Raises `TooManyAttempts` while any of `keys` is in its backoff; otherwise counts
        the attempt as a failure already, so a concurrent burst cannot pass the check
        together before the first verdicts are in (`succeeded` takes it back)."""

    async def confirm_failure(self, keys: Iterable[str]) -> None:
        """The verdict of an attempt was "wrong password": its wait runs from now (checking
        a password takes a while; the wait is not to be used up by it)."""

    async def succeeded(self, user_key: str, ip_key: str) -> None:
        """The username starts afresh; the IP only gets this attempt back."""


@dataclass(frozen=True)
class Backoff:
    """The throttle's policy (the module docstring), the same whichever store keeps the
    counts: the free failures of each kind of key (`user`, `ip`), then waits from `base_s`
    doubling up to `max_s`; a key quiet for `forget_after_s` starts afresh."""

    free_failures: Mapping[str, int] = field(default_factory=lambda: dict(FREE_FAILURES))
    base_s: float = 1.0
    max_s: float = 900.0
    forget_after_s: float = 900.0

    def free(self, key: str) -> int:
        """The failed logins `key` (`user:...`, `ip:...`) has before its first wait."""
        return self.free_failures[key.partition(":")[0]]

    def wait_s(self, key: str, failures: int) -> float:
        """How long `key` waits after its `failures`-th failure (0: still free)."""
        over = failures - self.free(key) + 1
        return min(self.max_s, self.base_s * 2 ** (over - 1)) if over > 0 else 0.0


@dataclass
class _Record:
    failures: int = 0
    locked_until: float = 0.0
    last_failure: float = 0.0


class InMemoryLoginThrottle:
    def __init__(
        self,
        backoff: Backoff | None = None,
        *,
        max_keys: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.backoff = backoff or Backoff()
        self._max_keys = max_keys
        self._clock = clock
        self._records: OrderedDict[str, _Record] = OrderedDict()

    async def attempt(self, keys: Iterable[str]) -> None:
        keys = tuple(keys)
        now = self._clock()
        refusal = TooManyAttempts.of_waits(
            {k: r.locked_until - now for k in keys if (r := self._records.get(k)) is not None}
        )
        if refusal is not None:
            raise refusal
        self.failed(keys)

    def failed(self, keys: Iterable[str]) -> None:
        now = self._clock()
        for key in keys:
            record = self._records.pop(key, None)
            if record is None or now - record.last_failure > self.backoff.forget_after_s:
                record = _Record()
            record.failures += 1
            record.last_failure = now
            self._records[key] = record  # most recent last: the oldest go first
            self._lock(key, record, now)
        while len(self._records) > self._max_keys:
            self._records.popitem(last=False)

    async def confirm_failure(self, keys: Iterable[str]) -> None:
        now = self._clock()
        for key in keys:
            record = self._records.get(key)
            if record is not None:
                self._lock(key, record, now)

    def _lock(self, key: str, record: _Record, now: float) -> None:
        wait = self.backoff.wait_s(key, record.failures)
        if wait > 0:
            record.locked_until = now + wait

    async def succeeded(self, user_key: str, ip_key: str) -> None:
        self._records.pop(user_key, None)
        record = self._records.get(ip_key)
        if record is not None:
            record.failures = max(0, record.failures - 1)
            if record.failures < self.backoff.free(ip_key):
                record.locked_until = 0.0


def login_keys(username: str, client_ip: str) -> tuple[str, str]:
    return f"user:{username.strip().lower()}", ip_key(client_ip)


def ip_key(client_ip: str) -> str:
    return f"ip:{client_ip}"


class RecentlyBlocked:
    """The client addresses this process saw the throttle refuse, until their wait ends.

    A burst of guesses from one address goes on long after its allowance is spent: each
    further guess would be a whole request through the framework and a Redis round trip,
    about 3.5 ms of the one event loop every other user-auth request shares (login_burst in
    docs/benchmarks.md). `entrypoints.login_gate` refuses those from this record instead,
    before the framework. It only ever refuses for as long as the throttle itself said; an
    address whose wait the throttle ends early (one of its logins succeeded) may be refused
    here until the wait it was given runs out. Bounded in keys: the oldest go first.
    """

    def __init__(
        self, *, max_keys: int = 10_000, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._until: OrderedDict[str, float] = OrderedDict()
        self._max_keys = max_keys
        self._clock = clock

    def block(self, key: str, seconds: int) -> None:
        self._until.pop(key, None)
        self._until[key] = self._clock() + seconds
        while len(self._until) > self._max_keys:
            self._until.popitem(last=False)

    def retry_after_s(self, key: str) -> int:
        """Whole seconds `key` still waits (0: not blocked here)."""
        until = self._until.get(key)
        if until is None:
            return 0
        left = until - self._clock()
        if left <= 0:
            del self._until[key]
            return 0
        return max(1, math.ceil(left))
