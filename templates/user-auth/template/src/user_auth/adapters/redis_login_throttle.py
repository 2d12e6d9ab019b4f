"""The login throttle's counts in Redis: every user-auth process and instance reads and
writes the same ones, so a guesser spread over N of them gets the allowance once, not N
times. Each step is one Lua script (atomic: a concurrent burst is counted exactly), timed
by the Redis server's clock (instances' clocks need not agree). A key expires after
`forget_after_s` without failures, which is the in-memory throttle's "quiet key starts
afresh". Redis not answering refuses the login (503): the limit is never skipped.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ecomkit.problems import ServiceUnavailable
from redis.asyncio import Redis
from redis.commands.core import AsyncScript
from redis.exceptions import RedisError

from user_auth.service_layer.login_throttle import Backoff, TooManyAttempts

# Shared by the scripts: milliseconds on Redis's clock; lock(key, failures, free) sets the
# key's wait from its failure count (base * 2^(over-1), capped) and keeps the key at least
# as long as its wait or `forget_ms`.
_PRELUDE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local base, cap, forget = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local function lock(key, failures, free)
  local over = failures - free + 1
  local wait = 0
  if over > 0 then wait = math.min(cap, base * 2 ^ (over - 1)) end
  if wait > 0 then redis.call('HSET', key, 'until', math.floor(now + wait)) end
  redis.call('PEXPIRE', key, math.floor(math.max(forget, wait)))
end
"""

# The milliseconds each key has left to wait, in KEYS' order; the attempt is counted only
# when none has any.
_ATTEMPT = (
    _PRELUDE
    + """
local lefts, blocked = {}, false
for i, key in ipairs(KEYS) do
  lefts[i] = math.max(0, tonumber(redis.call('HGET', key, 'until') or '0') - now)
  if lefts[i] > 0 then blocked = true end
end
if blocked then return lefts end
for i, key in ipairs(KEYS) do
  lock(key, redis.call('HINCRBY', key, 'failures', 1), tonumber(ARGV[3 + i]))
end
return lefts
"""
)

_CONFIRM = (
    _PRELUDE
    + """
for i, key in ipairs(KEYS) do
  local failures = tonumber(redis.call('HGET', key, 'failures') or '0')
  if failures > 0 then lock(key, failures, tonumber(ARGV[3 + i])) end
end
return 0
"""
)

# KEYS[1] the username, KEYS[2] the IP; ARGV[1] the IP's free failures.
_SUCCEEDED = """
redis.call('DEL', KEYS[1])
local failures = tonumber(redis.call('HGET', KEYS[2], 'failures') or '0')
if failures > 0 then
  failures = failures - 1
  redis.call('HSET', KEYS[2], 'failures', failures)
  if failures < tonumber(ARGV[1]) then redis.call('HDEL', KEYS[2], 'until') end
end
return 0
"""


class RedisLoginThrottle:
    def __init__(
        self, redis: Redis, backoff: Backoff | None = None, *, prefix: str = "login-throttle:"
    ) -> None:
        self.backoff = backoff or Backoff()
        # ARGV[1..3] of every script: the policy's times in milliseconds (Redis's clock).
        seconds = (self.backoff.base_s, self.backoff.max_s, self.backoff.forget_after_s)
        self._timing = [int(s * 1000) for s in seconds]
        self._prefix = prefix
        self._attempt = redis.register_script(_ATTEMPT)
        self._confirm = redis.register_script(_CONFIRM)
        self._succeeded = redis.register_script(_SUCCEEDED)

    async def attempt(self, keys: Iterable[str]) -> None:
        keys = tuple(keys)
        lefts_ms = await self._run(self._attempt, keys)
        refusal = TooManyAttempts.of_waits(
            {key: int(left) / 1000 for key, left in zip(keys, lefts_ms, strict=True)}
        )
        if refusal is not None:
            raise refusal

    async def confirm_failure(self, keys: Iterable[str]) -> None:
        await self._run(self._confirm, tuple(keys))

    async def succeeded(self, user_key: str, ip_key: str) -> None:
        keys = [self._prefix + user_key, self._prefix + ip_key]
        await self._call(self._succeeded, keys, [self.backoff.free(ip_key)])

    async def _run(self, script: AsyncScript, keys: tuple[str, ...]) -> Any:
        free = [self.backoff.free(key) for key in keys]
        return await self._call(script, [self._prefix + k for k in keys], [*self._timing, *free])

    async def _call(self, script: AsyncScript, keys: list[str], args: list[int]) -> Any:
        try:
            return await script(keys=keys, args=args)
        except RedisError as exc:
            raise ServiceUnavailable(
                "logins are paused: the login throttle's store (Redis) does not answer"
            ) from exc
