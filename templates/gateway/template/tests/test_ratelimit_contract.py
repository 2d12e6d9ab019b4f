"""The contract every RateLimiter passes: the fake here always, the Redis adapter when
ECOM_TEST_REDIS_URL points at a Redis (the platform's integration suite sets it)."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator

import pytest

from gateway.domain.ratelimit import InMemoryTokenBucket, Limit, RateLimiter

pytestmark = pytest.mark.anyio
REDIS_URL = os.environ.get("ECOM_TEST_REDIS_URL", "")


@pytest.fixture(params=["memory", "redis", "redis-large-leases"])
async def limiter(request: pytest.FixtureRequest) -> AsyncIterator[RateLimiter]:
    if request.param == "memory":
        yield InMemoryTokenBucket()
        return
    if not REDIS_URL:
        pytest.skip("ECOM_TEST_REDIS_URL is not set")
    from redis.asyncio import Redis

    from gateway.adapters.redis_ratelimit import RedisTokenBucket

    redis = Redis.from_url(REDIS_URL)
    if request.param == "redis":
        yield RedisTokenBucket(redis, prefix=f"test:{uuid.uuid4().hex}:")
    else:
        # Leases as large as the whole burst: the contract must hold however tokens are batched.
        yield RedisTokenBucket(
            redis,
            prefix=f"test:{uuid.uuid4().hex}:",
            lease_window_s=100,
            max_lease_fraction=1.0,
        )
    await redis.aclose()


async def test_allows_the_burst_then_refuses_with_retry_after(limiter: RateLimiter) -> None:
    limit = Limit(rate_per_s=0.5, burst=5)
    decisions = [await limiter.acquire([("ip:a", limit)]) for _ in range(7)]
    assert [d.allowed for d in decisions] == [True] * 5 + [False] * 2
    assert decisions[-1].retry_after_s == 2


async def test_buckets_are_independent_per_key(limiter: RateLimiter) -> None:
    limit = Limit(rate_per_s=0.1, burst=1)
    assert (await limiter.acquire([("ip:a", limit)])).allowed
    assert (await limiter.acquire([("ip:b", limit)])).allowed
    assert not (await limiter.acquire([("ip:a", limit)])).allowed


async def test_all_buckets_or_none(limiter: RateLimiter) -> None:
    roomy, tight = Limit(0.1, 10), Limit(0.1, 1)
    assert (await limiter.acquire([("ip:x", roomy), ("user:1", tight)])).allowed
    assert not (await limiter.acquire([("ip:x", roomy), ("user:1", tight)])).allowed
    # the refused request took nothing from the IP bucket: 9 of 10 left
    allowed = [(await limiter.acquire([("ip:x", roomy)])).allowed for _ in range(10)]
    assert allowed.count(True) == 9


async def test_concurrent_requests_get_exactly_the_burst(limiter: RateLimiter) -> None:
    limit = Limit(rate_per_s=0.01, burst=20)
    decisions = await asyncio.gather(*(limiter.acquire([("ip:c", limit)]) for _ in range(50)))
    assert sum(d.allowed for d in decisions) == 20
