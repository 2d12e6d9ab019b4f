"""Redis for the checks a request waits on (the token denylist, the login throttle, rate
limits): short timeouts, and a blip retried before the caller fails closed."""

from __future__ import annotations

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

RETRIES = 2


def request_path_redis(url: str, *, timeout_s: float = 0.5) -> Redis:
    """A reply slower than `timeout_s`, or a dropped connection, is tried RETRIES more times
    (after 50 and 100 ms) before the caller fails closed. Without the retry, one slow reply
    on a loaded machine, just after a stack started, refused logins and left tokens
    unchecked (401/503) while Redis was up; a Redis that is down still fails in under 2 s."""
    return Redis.from_url(
        url,
        socket_timeout=timeout_s,
        socket_connect_timeout=timeout_s,
        retry=Retry(ExponentialBackoff(cap=0.2, base=0.05), RETRIES),
        retry_on_error=[RedisConnectionError, RedisTimeoutError],
    )
