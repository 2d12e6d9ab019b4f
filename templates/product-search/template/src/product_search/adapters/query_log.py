"""Search queries counted in Redis: one sorted set per hour and kind (all, zero results),
expiring after KEPT_HOURS and trimmed to MAX_QUERIES_PER_HOUR members on every write.

Counting is best effort: Redis away or slow costs a search nothing but its count (a
warning in the log), never an error or more than the socket timeout.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime

from redis.asyncio import Redis
from redis.exceptions import RedisError

from product_search.domain.analytics import (
    KEPT_HOURS,
    MAX_QUERIES_PER_HOUR,
    TopQueries,
    hour_of,
    hours_back,
    summed,
)

log = logging.getLogger(__name__)
KINDS = ("all", "zero")
WARN_EVERY_S = 60.0  # Redis away: one warning a minute, not one per search


class RedisQueryLog:
    def __init__(self, redis: Redis, prefix: str) -> None:
        self._redis, self._prefix = redis, prefix
        self._warned_at = -WARN_EVERY_S

    @classmethod
    def from_url(cls, url: str, prefix: str) -> RedisQueryLog:
        redis = Redis.from_url(url, socket_timeout=0.25, socket_connect_timeout=0.25)
        return cls(redis, prefix)

    def _key(self, kind: str, hour: str) -> str:
        return f"{self._prefix}:queries:{kind}:{hour}"

    async def record(self, query: str, total: int, at: datetime) -> None:
        hour = hour_of(at)
        kinds = KINDS if total == 0 else KINDS[:1]
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                for kind in kinds:
                    key = self._key(kind, hour)
                    pipe.zincrby(key, 1, query)
                    pipe.zremrangebyrank(key, 0, -(MAX_QUERIES_PER_HOUR + 1))
                    pipe.expire(key, KEPT_HOURS * 3600)
                pipe.incr(self._key("searches", hour))
                pipe.expire(self._key("searches", hour), KEPT_HOURS * 3600)
                await pipe.execute()
        except (RedisError, OSError) as error:
            if time.monotonic() - self._warned_at >= WARN_EVERY_S:
                self._warned_at = time.monotonic()
                log.warning("search queries not counted (Redis): %s", error)

    async def top(self, now: datetime, hours: int, limit: int) -> TopQueries:
        buckets = hours_back(now, hours)
        async with self._redis.pipeline(transaction=False) as pipe:
            for kind in KINDS:
                for hour in buckets:
                    pipe.zrange(self._key(kind, hour), 0, -1, withscores=True)
            pipe.mget([self._key("searches", hour) for hour in buckets])
            *ranges, searches = await pipe.execute()
        decoded = [[(q.decode(), score) for q, score in found] for found in ranges]
        frequent, zero = decoded[: len(buckets)], decoded[len(buckets) :]
        return TopQueries(
            hours=hours,
            searches=sum(int(n) for n in searches if n is not None),
            frequent=summed(frequent, limit),
            zero_results=summed(zero, limit),
        )

    async def close(self) -> None:
        await self._redis.aclose()


class MemoryQueryLog:
    """The same counts in this process's memory: for unit tests, and for a service run
    without Redis (ECOM_REDIS_URL empty). Passes the contract tests RedisQueryLog passes."""

    def __init__(self) -> None:
        self._counts: dict[tuple[str, str], dict[str, float]] = {}
        self._searches: dict[str, int] = {}
        self._newest: datetime | None = None

    async def record(self, query: str, total: int, at: datetime) -> None:
        hour = hour_of(at)
        for kind in KINDS if total == 0 else KINDS[:1]:
            counts = self._counts.setdefault((kind, hour), {})
            counts[query] = counts.get(query, 0) + 1
            if len(counts) > MAX_QUERIES_PER_HOUR:
                rarest = min(counts.items(), key=lambda item: (item[1], item[0]))
                del counts[rarest[0]]
        self._searches[hour] = self._searches.get(hour, 0) + 1
        # Buckets older than KEPT_HOURS before the newest search go, as Redis expires them.
        self._newest = max(self._newest or at, at)
        oldest = hours_back(self._newest, KEPT_HOURS)[-1]  # hour strings sort by time
        self._counts = {key: value for key, value in self._counts.items() if key[1] >= oldest}

    async def top(self, now: datetime, hours: int, limit: int) -> TopQueries:
        buckets = hours_back(now, hours)

        def of(kind: str) -> list[list[tuple[str, float]]]:
            return [list(self._counts.get((kind, hour), {}).items()) for hour in buckets]

        return TopQueries(
            hours=hours,
            searches=sum(self._searches.get(hour, 0) for hour in buckets),
            frequent=summed(of("all"), limit),
            zero_results=summed(of("zero"), limit),
        )

    async def close(self) -> None:
        return None
