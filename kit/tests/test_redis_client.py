"""A request-path Redis client retries a blip (a slow reply, a dropped connection)."""

import socket
import threading

import pytest
from redis.exceptions import TimeoutError as RedisTimeoutError

from ecomkit.redis_client import RETRIES, request_path_redis

pytestmark = pytest.mark.anyio


async def test_a_stalled_redis_is_asked_again_before_the_caller_fails() -> None:
    # A server that accepts and never answers: every attempt times out.
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    accepted: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                connection, _ = server.accept()
            except OSError:
                return
            accepted.append(connection)

    threading.Thread(target=accept, daemon=True).start()
    client = request_path_redis(f"redis://127.0.0.1:{server.getsockname()[1]}/0", timeout_s=0.2)
    with pytest.raises(RedisTimeoutError):
        await client.get("k")
    server.close()
    await client.aclose()
    # A timed-out connection is dropped and a new one opened for the next try: one first
    # try and RETRIES more before the caller saw the error.
    assert len(accepted) == 1 + RETRIES
