"""Rate limiting: a token bucket per client key (user id or IP address).

`RateLimiter` is the port; the Redis adapter (shared by every gateway instance) is the real
one, `InMemoryTokenBucket` the fake for tests. Both pass tests/test_ratelimit_contract.py.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Limit:
    """`rate_per_s` tokens are added each second, up to `burst` (the bucket's size)."""

    rate_per_s: float
    burst: int


@dataclass(frozen=True)
class Decision:
    allowed: bool
    retry_after_s: int = 0


ALLOW = Decision(True)


class RateLimiter(Protocol):
    async def acquire(self, buckets: list[tuple[str, Limit]]) -> Decision:
        """Take one token from every bucket, atomically: all or none."""
        ...


def retry_after(tokens: float, limit: Limit) -> int:
    """Whole seconds until one token is back (Retry-After takes whole seconds)."""
    return max(1, math.ceil((1.0 - tokens) / limit.rate_per_s))


class InMemoryTokenBucket:
    """One process's buckets; the same semantics as the Redis script."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}

    async def acquire(self, buckets: list[tuple[str, Limit]]) -> Decision:
        now = self._clock()
        levels = []
        for key, limit in buckets:
            tokens, stamp = self._buckets.get(key, (float(limit.burst), now))
            tokens = min(float(limit.burst), tokens + (now - stamp) * limit.rate_per_s)
            if tokens < 1.0:
                return Decision(False, retry_after(tokens, limit))
            levels.append((key, tokens))
        for key, tokens in levels:
            self._buckets[key] = (tokens - 1.0, now)
        return ALLOW


class NoRateLimit:
    """Used when rate limiting is switched off (ECOM_GATEWAY_RATE_LIMIT_ENABLED=false)."""

    async def acquire(self, buckets: list[tuple[str, Limit]]) -> Decision:
        return ALLOW
