"""The contract every LoginThrottle passes: the in-memory one always, the Redis adapter
when ECOM_TEST_REDIS_URL points at a Redis (tests/integration/test_user_auth_service.py
runs this file against the platform's Redis)."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator

import pytest

from user_auth.service_layer.login_throttle import (
    Backoff,
    InMemoryLoginThrottle,
    LoginThrottle,
    TooManyAttempts,
)

pytestmark = pytest.mark.anyio
REDIS_URL = os.environ.get("ECOM_TEST_REDIS_URL", "")
FREE = {"user": 2, "ip": 4}


@pytest.fixture(params=["memory", "redis"])
async def make(request: pytest.FixtureRequest) -> AsyncIterator[object]:
    """Throttles with FREE failures and the given base wait; Redis ones share one store."""
    if request.param == "memory":
        yield lambda base_s=1.0, forget_after_s=900.0: InMemoryLoginThrottle(
            Backoff(FREE, base_s, forget_after_s=forget_after_s)
        )
        return
    if not REDIS_URL:
        pytest.skip("ECOM_TEST_REDIS_URL is not set")
    from redis.asyncio import Redis

    from user_auth.adapters.redis_login_throttle import RedisLoginThrottle

    redis = Redis.from_url(REDIS_URL)
    prefix = f"test-throttle:{uuid.uuid4().hex}:"
    yield lambda base_s=1.0, forget_after_s=900.0: RedisLoginThrottle(
        redis, Backoff(FREE, base_s, forget_after_s=forget_after_s), prefix=prefix
    )
    await redis.aclose()


async def _refused(throttle: LoginThrottle, keys: list[str]) -> int:
    """The Retry-After of a refused attempt, 0 if it was admitted."""
    try:
        await throttle.attempt(keys)
    except TooManyAttempts as exc:
        return exc.retry_after_s
    return 0


async def test_free_failures_then_a_wait_that_doubles(make) -> None:  # type: ignore[no-untyped-def]
    throttle = make(base_s=1.0)
    assert [await _refused(throttle, ["user:ada"]) for _ in range(2)] == [0, 0]
    assert await _refused(throttle, ["user:ada"]) == 1
    await asyncio.sleep(1.1)
    assert await _refused(throttle, ["user:ada"]) == 0  # the third failure...
    assert await _refused(throttle, ["user:ada"]) == 2  # ...doubled the wait
    assert await _refused(throttle, ["user:bob"]) == 0  # other usernames are free


async def test_a_burst_is_counted_before_any_verdict(make) -> None:  # type: ignore[no-untyped-def]
    throttle = make()
    waits = await asyncio.gather(*(_refused(throttle, ["user:ada", "ip:a"]) for _ in range(20)))
    assert waits.count(0) == 2


async def test_a_refusal_names_the_keys_in_their_backoff(make) -> None:  # type: ignore[no-untyped-def]
    throttle = make(base_s=1.0)
    for name in ("u1", "u2", "u3", "u4"):
        await throttle.attempt([f"user:{name}", "ip:a"])
    with pytest.raises(TooManyAttempts) as refused:
        await throttle.attempt(["user:u5", "ip:a"])
    assert refused.value.blocked == {"ip:a": 1} and refused.value.retry_after_s == 1


async def test_success_clears_the_username_not_the_ip(make) -> None:  # type: ignore[no-untyped-def]
    throttle = make()
    for name in ("u1", "u2", "u3", "u4"):
        assert await _refused(throttle, [f"user:{name}", "ip:a"]) == 0
    assert await _refused(throttle, ["user:ada", "ip:a"]) >= 1  # the IP used its 4
    await throttle.succeeded("user:u4", "ip:a")  # gives the IP one attempt back
    assert await _refused(throttle, ["user:u4", "ip:a"]) == 0
    await throttle.succeeded("user:u4", "ip:a")
    await throttle.attempt(["user:u4"])  # the username starts afresh


async def test_the_wait_runs_from_the_verdict(make) -> None:  # type: ignore[no-untyped-def]
    throttle = make(base_s=1.0)
    for _ in range(2):
        await throttle.attempt(["user:ada"])  # the second locks for 1 s from now...
    await asyncio.sleep(0.8)  # ...but checking the password took 0.8 s
    await throttle.confirm_failure(["user:ada"])
    await asyncio.sleep(0.5)
    assert await _refused(throttle, ["user:ada"]) == 1  # still waiting: 1 s from the verdict


async def test_a_quiet_key_starts_afresh(make) -> None:  # type: ignore[no-untyped-def]
    throttle = make(base_s=0.2, forget_after_s=0.5)
    for _ in range(2):
        await throttle.attempt(["user:ada"])
    await asyncio.sleep(0.7)
    assert [await _refused(throttle, ["user:ada"]) for _ in range(2)] == [0, 0]


async def test_instances_sharing_a_store_hold_one_limit(make) -> None:  # type: ignore[no-untyped-def]
    """Two user-auth processes: with Redis they count together (the reason it exists)."""
    first, second = make(), make()
    if isinstance(first, InMemoryLoginThrottle):
        pytest.skip("one process's own counts: shared only through Redis")
    await first.attempt(["user:ada"])
    await second.attempt(["user:ada"])
    assert await _refused(first, ["user:ada"]) >= 1
    assert await _refused(second, ["user:ada"]) >= 1
