"""A two-level read-through cache: a small in-process TTL/LRU map (L1) in front of Redis (L2).

L1 keeps hot keys without a network hop; its short TTL bounds how stale another instance's
copy may be after an `invalidate` here. Redis trouble never fails a request: the cache then
answers MISS and the caller reads its store.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Literal

from cachetools import TTLCache
from redis.asyncio import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

Level = Literal["l1", "l2"]


class TwoLevelCache:
    def __init__(
        self,
        redis: Redis,
        *,
        prefix: str,
        l1_ttl_s: float = 5,
        l2_ttl_s: int = 300,
        l1_max: int = 10_000,
    ) -> None:
        self._redis = redis
        self._prefix = prefix
        self._l2_ttl_s = l2_ttl_s
        self._l1: TTLCache[str, Any] = TTLCache(maxsize=l1_max, ttl=l1_ttl_s)

    def _key(self, key: str) -> str:
        return f"{self._prefix}:{key}"

    async def get(self, key: str) -> tuple[Any, Level | None]:
        """(value, "l1"|"l2") on a hit, (None, None) on a miss — for `X-Cache` headers."""
        if key in self._l1:
            return self._l1[key], "l1"
        try:
            raw = await self._redis.get(self._key(key))
        except RedisError:
            log.warning("cache L2 unavailable, treating %s as a miss", key, exc_info=True)
            return None, None
        if raw is None:
            return None, None
        value = json.loads(raw)
        self._l1[key] = value
        return value, "l2"

    async def set(self, key: str, value: Any) -> None:
        """Store a JSON-serialisable value in both levels."""
        self._l1[key] = value
        try:
            await self._redis.set(self._key(key), json.dumps(value), ex=self._l2_ttl_s)
        except RedisError:
            log.warning("cache L2 unavailable, %s cached in L1 only", key, exc_info=True)

    async def invalidate(self, *keys: str) -> None:
        for key in keys:
            self._l1.pop(key, None)
        if not keys:
            return
        try:
            await self._redis.delete(*(self._key(k) for k in keys))
        except RedisError:
            log.warning("cache L2 unavailable, could not invalidate %s", keys, exc_info=True)

    def clear_local(self) -> None:
        self._l1.clear()
