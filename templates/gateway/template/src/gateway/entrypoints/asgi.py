"""Small ASGI helpers for the proxy's hot path (no framework: measured, it costs ~25 %)."""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, MutableMapping
from random import getrandbits
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

PROBLEM_JSON = b"application/problem+json"
TRACEPARENT_RE = re.compile(r"^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$")


def random_hex(bits: int) -> str:
    """Random ids for requests and traces. Not secrets, so the Mersenne Twister will do (as
    OpenTelemetry's id generator): os.urandom is a system call per id."""
    return f"{getrandbits(bits):0{bits // 4}x}"


def new_traceparent() -> str:
    return f"00-{random_hex(128)}-{random_hex(64)}-01"


def valid_traceparent(value: str | None) -> str:
    """The caller's W3C traceparent when well formed, else the start of a new trace."""
    if value and TRACEPARENT_RE.match(value) and not value.startswith("ff"):
        return value
    return new_traceparent()


async def send_problem(
    send: Send,
    status: int,
    title: str,
    detail: str,
    *,
    instance: str,
    headers: list[tuple[bytes, bytes]],
    extra: dict[str, Any] | None = None,
) -> None:
    body = json.dumps(
        {
            "type": "about:blank",
            "title": title,
            "status": status,
            "detail": detail,
            "instance": instance,
            **(extra or {}),
        }
    ).encode()
    await send_whole(
        send,
        status,
        [*headers, (b"content-type", PROBLEM_JSON), (b"content-length", str(len(body)).encode())],
        body,
    )


async def send_whole(
    send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes
) -> None:
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
