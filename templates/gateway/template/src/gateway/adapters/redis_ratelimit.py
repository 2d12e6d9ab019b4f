"""Token buckets in Redis, shared by every gateway instance, spent locally in small leases.

The buckets live in Redis (its clock, so gateways need no synchronised time). Instead of one
round trip per request, an instance *leases* a few tokens of a key at once with one Lua
script (refill, then take up to `want` tokens from every bucket of the request: all buckets
or none) and spends them in-process. Leased tokens have already left the shared bucket, so
the limit is never exceeded; what a lease costs is accuracy the other way: tokens an instance
holds but does not spend (at most one lease per key, dropped after `lease_ttl_s`) are lost.
A lease is sized to about `lease_window_s` of the key's rate and at most `max_lease_fraction`
of its burst, so a tight limit (a few per second) still costs one round trip per request and
stays exact, while a hot key with a large limit costs one round trip per ~100 requests.
Measured (docs/services/gateway.md): the per-request EVALSHA cost the gateway ~60 us of CPU
per request plus Redis's own ~20 us.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

from gateway.domain.ratelimit import ALLOW, Decision, Limit, retry_after

log = logging.getLogger(__name__)

# KEYS: bucket keys. ARGV: rate_1, burst_1, want_1, rate_2, burst_2, want_2, ...
# Returns {1, granted_1, granted_2, ...} (each >= 1) when every bucket has a token,
# {0, tokens*1000 of the empty bucket, its index} (nothing taken) when one has not.
LEASE_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local levels = {}
for i, key in ipairs(KEYS) do
  local rate = tonumber(ARGV[3 * i - 2])
  local burst = tonumber(ARGV[3 * i - 1])
  local state = redis.call('HMGET', key, 'tokens', 'ts')
  local tokens = tonumber(state[1]) or burst
  local ts = tonumber(state[2]) or now
  tokens = math.min(burst, tokens + math.max(0, now - ts) * rate)
  if tokens < 1 then
    return {0, math.floor(tokens * 1000), i}
  end
  levels[i] = tokens
end
local granted = {1}
for i, key in ipairs(KEYS) do
  local rate = tonumber(ARGV[3 * i - 2])
  local burst = tonumber(ARGV[3 * i - 1])
  local take = math.min(tonumber(ARGV[3 * i]), math.floor(levels[i]))
  redis.call('HSET', key, 'tokens', levels[i] - take, 'ts', now)
  redis.call('EXPIRE', key, math.ceil(burst / rate) + 1)
  granted[i + 1] = take
end
return granted
"""

# Local leases above this many keys are swept of expired ones (bounded memory per instance).
SWEEP_ABOVE = 10_000


class RedisTokenBucket:
    def __init__(
        self,
        redis: Redis,
        *,
        prefix: str = "gateway:rl:",
        lease_window_s: float = 0.05,
        max_lease: int = 100,
        max_lease_fraction: float = 0.05,
        lease_ttl_s: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._redis = redis
        self._prefix = prefix
        self._script: Any = redis.register_script(LEASE_LUA)
        self._window = lease_window_s
        self._max_lease = max_lease
        self._fraction = max_lease_fraction
        self._ttl = lease_ttl_s
        self._clock = clock
        # key -> [tokens held, monotonic expiry]
        self._held: dict[str, list[float]] = {}
        # Keys being leased right now -> the lease call, so concurrent requests share it.
        self._pending: dict[tuple[str, ...], asyncio.Future[Decision]] = {}

    async def ping(self) -> None:
        await self._redis.ping()

    def lease_size(self, limit: Limit) -> int:
        return max(
            1,
            min(
                self._max_lease,
                int(limit.rate_per_s * self._window),
                int(limit.burst * self._fraction),
            ),
        )

    async def acquire(self, buckets: list[tuple[str, Limit]]) -> Decision:
        if self._spend(buckets):
            return ALLOW
        missing = self._missing(buckets)
        pending = self._pending.get(missing)
        if pending is not None:
            # Someone is leasing these keys: wait for it, then try what it brought.
            decision = await asyncio.shield(pending)
            if not decision.allowed:
                return decision
            if self._spend(buckets):
                return ALLOW
            missing = self._missing(buckets)
        return await self._lease_and_spend(missing, buckets)

    async def _lease_and_spend(
        self, missing: tuple[str, ...], buckets: list[tuple[str, Limit]]
    ) -> Decision:
        future: asyncio.Future[Decision] = asyncio.get_running_loop().create_future()
        self._pending.setdefault(missing, future)
        # Waiters treat ALLOW as "try the held tokens, else lease yourself", so a lease that
        # fails on the way (cancelled) sends them to lease on their own instead of hanging.
        decision = ALLOW
        try:
            decision = await self._lease(missing, buckets)
            # Synchronous from here on: no other request can take the tokens just leased.
            if decision.allowed and not self._spend(buckets):
                decision = await self._lease(self._missing(buckets), buckets)
                if decision.allowed:
                    self._spend(buckets)
        finally:
            if self._pending.get(missing) is future:
                del self._pending[missing]
            future.set_result(decision)
        return decision

    async def _lease(self, missing: tuple[str, ...], buckets: list[tuple[str, Limit]]) -> Decision:
        limits = dict(buckets)
        args: list[float | int] = []
        for key in missing:
            limit = limits[key]
            args += [limit.rate_per_s, limit.burst, self.lease_size(limit)]
        try:
            result = await self._script(keys=[self._prefix + k for k in missing], args=args)
        except (RedisError, OSError) as exc:
            # Fail open: losing Redis must not take every API down with it.
            log.warning("rate limiter unavailable, allowing request: %s", exc)
            for key in missing:
                self._hold(key, 1)
            return ALLOW
        if int(result[0]) != 1:
            limit = limits[missing[int(result[2]) - 1]]
            return Decision(False, retry_after(int(result[1]) / 1000, limit))
        for key, granted in zip(missing, result[1:], strict=True):
            self._hold(key, int(granted))
        return ALLOW

    def _hold(self, key: str, tokens: int) -> None:
        now = self._clock()
        held = self._held.get(key)
        if held is not None and held[1] > now:
            held[0] += tokens
        else:
            if len(self._held) > SWEEP_ABOVE:
                self._held = {k: v for k, v in self._held.items() if v[1] > now}
            self._held[key] = [float(tokens), now + self._ttl]

    def _missing(self, buckets: list[tuple[str, Limit]]) -> tuple[str, ...]:
        now = self._clock()
        return tuple(key for key, _ in buckets if not self._has(key, now))

    def _has(self, key: str, now: float) -> bool:
        held = self._held.get(key)
        return held is not None and held[0] >= 1 and held[1] > now

    def _spend(self, buckets: list[tuple[str, Limit]]) -> bool:
        """Take one held token of every bucket, or none when one is missing."""
        now = self._clock()
        for key, _ in buckets:
            if not self._has(key, now):
                return False
        for key, _ in buckets:
            self._held[key][0] -= 1
        return True
