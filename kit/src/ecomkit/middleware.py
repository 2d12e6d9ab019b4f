"""Pure ASGI middleware of every service: request/correlation ids, metrics, body limit."""

from __future__ import annotations

import json
import time
from typing import Any

from prometheus_client import Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ecomkit.context import correlation_id_var, new_id, request_id_var
from ecomkit.problems import PROBLEM_MEDIA_TYPE

REQUEST_ID_HEADER = "x-request-id"
CORRELATION_ID_HEADER = "x-correlation-id"
_ID_HEADERS = frozenset({REQUEST_ID_HEADER.encode(), CORRELATION_ID_HEADER.encode()})

HTTP_REQUESTS = Counter(
    "http_requests_total", "HTTP requests handled", ["method", "route", "status"]
)
HTTP_LATENCY = Histogram(
    "http_request_duration_seconds", "HTTP request latency", ["method", "route"]
)


def _header(scope: Scope, name: str) -> str | None:
    raw = name.encode()
    for key, value in scope.get("headers", []):
        if key.lower() == raw:
            return str(value.decode("latin-1"))
    return None


class RequestContextMiddleware:
    """Reads or makes X-Request-ID / X-Correlation-ID, binds them for logs, outgoing calls
    and new events, and echoes them on the response (also in `scope["state"]` for the
    500 handler, which runs outside the middleware stack)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _header(scope, REQUEST_ID_HEADER) or new_id()
        correlation_id = _header(scope, CORRELATION_ID_HEADER) or request_id
        state = scope.setdefault("state", {})
        state["request_id"], state["correlation_id"] = request_id, correlation_id
        tokens = (request_id_var.set(request_id), correlation_id_var.set(correlation_id))

        async def send_with_ids(message: Message) -> None:
            if message["type"] == "http.response.start":
                # A problem response already names them (the 500 handler runs outside this
                # middleware, so it sets them itself): replace, never repeat.
                headers = [
                    (key, value)
                    for key, value in message.get("headers", [])
                    if key.lower() not in _ID_HEADERS
                ]
                headers.append((b"x-request-id", request_id.encode("latin-1")))
                headers.append((b"x-correlation-id", correlation_id.encode("latin-1")))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_ids)
        finally:
            request_id_var.reset(tokens[0])
            correlation_id_var.reset(tokens[1])


class MetricsMiddleware:
    """Counts and times requests per route template (`/orders/{id}`, not every id)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = [500]

        async def send_recording(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        started = time.perf_counter()
        try:
            await self.app(scope, receive, send_recording)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            method = scope["method"]
            HTTP_REQUESTS.labels(method, template, str(status[0])).inc()
            HTTP_LATENCY.labels(method, template).observe(time.perf_counter() - started)


class BodyTooLarge(Exception):
    pass


class BodySizeLimitMiddleware:
    """Refuses bodies above `max_bytes` with a 413 problem, by Content-Length or by counting
    a streamed body, before the route reads it into memory."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _header(scope, "content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(scope, send)
            return
        received = [0]
        started = [False]

        async def counting_receive() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                received[0] += len(message.get("body", b""))
                if received[0] > self.max_bytes:
                    raise BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                started[0] = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge:
            if started[0]:
                raise
            await self._refuse(scope, send)

    async def _refuse(self, scope: Scope, send: Send) -> None:
        detail = f"request body exceeds {self.max_bytes} bytes"
        await send_problem(send, 413, "Content Too Large", detail, instance=scope.get("path"))


async def send_problem(
    send: Send,
    status: int,
    title: str,
    detail: str,
    *,
    instance: str | None,
    headers: dict[str, str] | None = None,
) -> None:
    """A whole problem+json answer from middleware, which runs outside the app's handlers."""
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": instance,
    }
    payload = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", PROBLEM_MEDIA_TYPE.encode()),
                (b"content-length", str(len(payload)).encode()),
                *(
                    (k.lower().encode("latin-1"), v.encode("latin-1"))
                    for k, v in (headers or {}).items()
                ),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})
