"""Token buckets in Redis, so every gateway instance shares the same limits.

One Lua script refills and takes from all of a request's buckets atomically (one round trip,
no race between instances); the clock is Redis's own, so gateways need no synchronised time.
"""

from __future__ import annotations

import logging
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

from gateway.domain.ratelimit import ALLOW, Decision, Limit, retry_after

log = logging.getLogger(__name__)

# KEYS: bucket keys. ARGV: rate_1, burst_1, rate_2, burst_2, ...
# Returns {1, 0} when allowed, {0, tokens*1000 of the empty bucket, its index} when not.
TOKEN_BUCKET_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local levels = {}
for i, key in ipairs(KEYS) do
  local rate = tonumber(ARGV[2 * i - 1])
  local burst = tonumber(ARGV[2 * i])
  local state = redis.call('HMGET', key, 'tokens', 'ts')
  local tokens = tonumber(state[1]) or burst
  local ts = tonumber(state[2]) or now
  tokens = math.min(burst, tokens + math.max(0, now - ts) * rate)
  if tokens < 1 then
    return {0, math.floor(tokens * 1000), i}
  end
  levels[i] = tokens
end
for i, key in ipairs(KEYS) do
  local rate = tonumber(ARGV[2 * i - 1])
  local burst = tonumber(ARGV[2 * i])
  redis.call('HSET', key, 'tokens', levels[i] - 1, 'ts', now)
  redis.call('EXPIRE', key, math.ceil(burst / rate) + 1)
end
return {1, 0}
"""


class RedisTokenBucket:
    def __init__(self, redis: Redis, *, prefix: str = "gateway:rl:") -> None:
        self._redis = redis
        self._prefix = prefix
        self._script: Any = redis.register_script(TOKEN_BUCKET_LUA)

    async def ping(self) -> None:
        await self._redis.ping()

    async def acquire(self, buckets: list[tuple[str, Limit]]) -> Decision:
        keys = [self._prefix + key for key, _ in buckets]
        args: list[float | int] = []
        for _, limit in buckets:
            args += [limit.rate_per_s, limit.burst]
        try:
            result = await self._script(keys=keys, args=args)
        except (RedisError, OSError) as exc:
            # Fail open: losing Redis must not take every API down with it.
            log.warning("rate limiter unavailable, allowing request: %s", exc)
            return ALLOW
        if int(result[0]) == 1:
            return ALLOW
        limit = buckets[int(result[2]) - 1][1]
        return Decision(False, retry_after(int(result[1]) / 1000, limit))
