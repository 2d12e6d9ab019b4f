"""Access tokens revoked before they expire, kept in Redis and checked on every request.

Two kinds of entry, each living only as long as the tokens it revokes could:
- `revoked:jti:<jti>`: one token (logout), TTL = the token's remaining lifetime;
- `revoked:user:<id>` = a time: every token of that user issued before it (password
  change, role change, password reset), TTL = the access-token lifetime.
"""

from __future__ import annotations

import math
import time
from typing import Protocol

from redis.asyncio import Redis

from ecomkit.redis_client import request_path_redis

JTI_PREFIX = "revoked:jti:"
USER_PREFIX = "revoked:user:"


class Denylist(Protocol):
    async def revoke_token(self, jti: str, expires_at: float) -> None: ...

    async def revoke_user(self, user_id: int, ttl_s: int) -> None: ...

    async def is_revoked(self, jti: str, user_id: int, issued_at: float) -> bool: ...


def _remaining_s(expires_at: float) -> int:
    return max(1, math.ceil(expires_at - time.time()))


class RedisDenylist:
    def __init__(self, redis: Redis) -> None:
        self._redis = redis

    @classmethod
    def from_url(cls, url: str) -> RedisDenylist:
        return cls(request_path_redis(url))

    async def revoke_token(self, jti: str, expires_at: float) -> None:
        await self._redis.set(JTI_PREFIX + jti, "1", ex=_remaining_s(expires_at))

    async def revoke_user(self, user_id: int, ttl_s: int) -> None:
        await self._redis.set(USER_PREFIX + str(user_id), repr(time.time()), ex=ttl_s)

    async def is_revoked(self, jti: str, user_id: int, issued_at: float) -> bool:
        token, cutoff = await self._redis.mget(JTI_PREFIX + jti, USER_PREFIX + str(user_id))
        return token is not None or (cutoff is not None and issued_at < float(cutoff))


class MemoryDenylist:
    """For unit tests: the same answers as RedisDenylist (kit/tests/test_revocation.py)."""

    def __init__(self) -> None:
        self._tokens: dict[str, float] = {}
        self._users: dict[int, tuple[float, float]] = {}

    async def revoke_token(self, jti: str, expires_at: float) -> None:
        self._tokens[jti] = time.time() + _remaining_s(expires_at)

    async def revoke_user(self, user_id: int, ttl_s: int) -> None:
        now = time.time()
        self._users[user_id] = (now, now + ttl_s)

    async def is_revoked(self, jti: str, user_id: int, issued_at: float) -> bool:
        now = time.time()
        if self._tokens.get(jti, 0) > now:
            return True
        cutoff, until = self._users.get(user_id, (0.0, 0.0))
        return until > now and issued_at < cutoff
