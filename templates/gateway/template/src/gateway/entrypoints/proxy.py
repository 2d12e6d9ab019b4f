"""The proxy: a bare ASGI app on the request path of every /api/** call.

Per request: match the route, verify the token (protected routes), take a rate-limit token,
answer from the response cache (public GETs), else forward to an upstream instance chosen by
weight (or of the color an `x-color` preview asks for), through the route's circuit breaker,
retrying idempotent requests on connect errors, 502 and 503. Bodies stream both ways unless
small; a small one is kept so it can be replayed.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from ecomkit.tracing import Leaf, call_span, mark_failed, server_span
from ecomkit.upstream_pool import (
    Origin,
    UpstreamError,
    UpstreamPool,
    UpstreamResponse,
    UpstreamTimeout,
)

from gateway.adapters.response_cache import ResponseCache, normalised_query
from gateway.adapters.upstreams import UpstreamResolver
from gateway.domain.breaker import CircuitBreaker
from gateway.domain.routes import Route, RouteTable
from gateway.entrypoints import metrics
from gateway.entrypoints.asgi import (
    TRACEPARENT_RE,
    Receive,
    Scope,
    Send,
    random_hex,
    send_problem,
    send_whole,
)
from gateway.entrypoints.asgi import valid_traceparent as traceparent_of
from gateway.service_layer.edge import EdgePolicy, Rejected

log = logging.getLogger(__name__)

HOP_BY_HOP = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"proxy-authenticate",
        b"proxy-authorization",
        b"te",
        b"trailer",
        b"transfer-encoding",
        b"upgrade",
        b"host",
        b"content-length",
        # The gateway reads the whole body or streams it; it never waits for a 100 Continue.
        b"expect",
    }
)
IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
RETRY_STATUSES = frozenset({502, 503})
BREAKER_FAILURES = frozenset({502, 503, 504})
# Bodies up to this size are read whole (one send, replayable); larger ones stream.
SMALL_BODY = 65_536
NO_STORE = (b"no-store", b"no-cache", b"private")
NO_STORE_REPLY = (b"cache-control", b"no-store")
# The gateway's server writes its own date and server; the gateway names the request id
# it forwarded (a service echoes the same one: two copies otherwise).
RESPONSE_DROP = HOP_BY_HOP.union({b"date", b"server", b"x-request-id"}) - {b"content-length"}

_CACHE_HEADERS = frozenset({b"x-cache", b"x-gateway-cache"})


class BodyTooLarge(Exception):
    pass


@dataclass(slots=True)
class _Exchange:
    """One request on its way upstream: the ASGI channel, the matched route, the request's
    headers, what every answer to it carries (`reply`) and its cache key (None: uncached)."""

    scope: Scope
    receive: Receive
    send: Send
    route: Route
    request: _RequestHeaders
    reply: list[tuple[bytes, bytes]]
    cache_key: str | None


@dataclass
class ProxyOptions:
    max_body_bytes: int
    retries: int
    retry_backoff_s: float
    cache_max_body_bytes: int


@dataclass(kw_only=True, eq=False)
class Proxy:
    routes: RouteTable
    policy: EdgePolicy
    resolver: UpstreamResolver
    breakers: dict[str, CircuitBreaker]
    cache: ResponseCache
    options: ProxyOptions
    # Opened at startup in the worker's own event loop (app.py: open_pool).
    pool: UpstreamPool | None = field(default=None, init=False)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        path: str = scope["path"]
        route = self.routes.match(path)
        route_id = route.id if route else "none"
        request = _RequestHeaders(scope)
        # The root of an order's trace (or a child of the caller's traceparent): the
        # gateway's server span, with one client span per upstream attempt under it.
        with server_span(
            f"{scope['method']} {route_id}",
            traceparent=request.valid_traceparent(),
            **{"http.request.method": scope["method"], "url.path": path},
        ) as span:
            status = await self._handle(scope, receive, send, route, request)
            span.set_attribute("http.response.status_code", status)
            if status >= 500:
                mark_failed(span, f"HTTP {status}")
        metrics.observe(route_id, scope["method"], status, time.perf_counter() - started)

    async def _handle(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        route: Route | None,
        request: _RequestHeaders,
    ) -> int:
        method: str = scope["method"]
        path: str = scope["path"]
        reply = [(b"x-request-id", request.request_id.encode())]
        if route is not None and route.sensitive.matches(path):
            reply.append(NO_STORE_REPLY)  # tokens and passwords: never stored on the way
        if route is None:
            await send_problem(
                send, 404, "Not Found", f"no route for {path}", instance=path, headers=reply
            )
            return 404
        if request.content_length is not None and (
            request.content_length > self.options.max_body_bytes
        ):
            return await self._too_large(send, path, reply)
        try:
            identity = await self.policy.identify(route, method, path, request.authorization)
            client = scope.get("client")
            client_ip = client[0] if client else "unknown"
            await self.policy.throttle(route, path, client_ip, identity)
        except Rejected as rejected:
            return await send_rejected(send, rejected, instance=path, headers=reply)
        if identity is not None:
            request.forward += [(k.encode(), v.encode()) for k, v in identity.headers()]

        cache_key = self._cache_key(scope, route, request) if identity is None else None
        if cache_key is not None:
            hit = self.cache.get(cache_key)
            if hit is not None:
                # The stored upstream answer carries its own X-Cache (e.g. MISS): replace it.
                headers = [
                    *(h for h in hit.headers if h[0].lower() not in _CACHE_HEADERS),
                    *reply,
                    (b"x-cache", b"HIT-GATEWAY"),
                    (b"x-gateway-cache", b"HIT"),
                ]
                await send_whole(send, hit.status, headers, hit.body)
                return hit.status
        return await self._forward(
            _Exchange(scope, receive, send, route, request, reply, cache_key)
        )

    def _cache_key(self, scope: Scope, route: Route, request: _RequestHeaders) -> str | None:
        if not (route.cache_public_get and self.cache.enabled and scope["method"] == "GET"):
            return None
        if request.no_store or not route.is_public("GET", scope["path"]):
            return None
        if route.sensitive.matches(scope["path"]):
            return None
        if request.color is not None:
            return None  # a preview neither sees nor fills what the other color answered
        return f"{route.id}|{scope['path']}?{normalised_query(scope.get('query_string', b''))}"

    async def _forward(self, exchange: _Exchange) -> int:
        breaker = self.breakers[exchange.route.id]
        if not breaker.allow():
            metrics.fallback(exchange.route.id)
            return await _fallback(exchange, breaker.retry_after_s())
        trial = breaker.trial
        try:
            return await self._send_upstream(exchange)
        finally:
            if trial is not None:
                breaker.abandon(trial)

    async def _send_upstream(self, exchange: _Exchange) -> int:
        """Attempts at the route's instances; records each outcome on the route's breaker."""
        scope, send, route = exchange.scope, exchange.send, exchange.route
        request, reply = exchange.request, exchange.reply
        method: str = scope["method"]
        path: str = scope["path"]
        breaker = self.breakers[route.id]
        try:
            body = await self._request_body(exchange.receive, request)
        except BodyTooLarge:
            return await self._too_large(send, path, reply)
        replayable = body is None or isinstance(body, bytes)
        attempts = 1 + (self.options.retries if method in IDEMPOTENT and replayable else 0)
        target = _target(scope)
        tried: str | None = None
        assert self.pool is not None, "the proxy is used before startup"
        for attempt in range(attempts):
            instance = self.resolver.pick(route.service, avoid=tried, color=request.color)
            if instance is None:
                breaker.record_failure()
                return await _fallback(
                    exchange,
                    breaker.retry_after_s(),
                    detail=f"no instance of {route.service} is registered",
                )
            tried = instance.url
            last = attempt == attempts - 1
            try:
                with call_span(
                    f"proxy {route.service}",
                    **{"peer.service": route.service, "server.address": instance.url},
                ) as span:
                    response = await self.pool.request(
                        method,
                        Origin.parse(instance.url),
                        target,
                        [*request.forward, request.traceparent_for(span)],
                        body,
                    )
                    span.set_attribute("http.response.status_code", response.status)
                    if response.status >= 500:
                        span.fail(f"HTTP {response.status}")
            except BodyTooLarge:
                return await self._too_large(send, path, reply)
            except (UpstreamError, UpstreamTimeout) as exc:
                if not last:
                    metrics.retry(route.id)
                    await asyncio.sleep(self.options.retry_backoff_s * (attempt + 1))
                    continue
                breaker.record_failure()
                log.warning("upstream %s failed: %r", route.service, exc)
                status = 504 if isinstance(exc, UpstreamTimeout) else 502
                return await _fallback(
                    exchange,
                    breaker.retry_after_s(),
                    status=status,
                    # Never the exception: it names internal hosts and ports.
                    detail=f"{route.service} {'timed out' if status == 504 else 'failed'}",
                )
            if response.status in RETRY_STATUSES and not last:
                response.release()
                metrics.retry(route.id)
                await asyncio.sleep(self.options.retry_backoff_s * (attempt + 1))
                continue
            if response.status in BREAKER_FAILURES:
                breaker.record_failure()
            else:
                breaker.record_success()
            if 200 <= response.status < 300 and method not in ("GET", "HEAD", "OPTIONS"):
                self.cache.invalidate_route(route.id)
            return await self._relay(send, response, reply, exchange.cache_key)
        raise AssertionError("unreachable: the last attempt always returns")

    async def _request_body(
        self, receive: Receive, request: _RequestHeaders
    ) -> bytes | AsyncIterator[bytes] | None:
        length = request.content_length
        if length == 0 or (length is None and not request.chunked):
            return None
        if length is not None and length <= SMALL_BODY:
            return await _read_whole(receive, self.options.max_body_bytes)
        return _stream(receive, self.options.max_body_bytes)

    async def _relay(
        self,
        send: Send,
        response: UpstreamResponse,
        reply: list[tuple[bytes, bytes]],
        cache_key: str | None,
    ) -> int:
        try:
            headers = [(k, v) for k, v in response.headers if k not in RESPONSE_DROP]
            if NO_STORE_REPLY in reply:  # ours replaces whatever the upstream said
                headers = [(k, v) for k, v in headers if k != b"cache-control"]
            length = response.content_length
            if length is not None and length <= SMALL_BODY:
                body = await response.read()
                cacheable = cache_key is not None and _storable(
                    response.status, headers, len(body), self.options.cache_max_body_bytes
                )
                if cacheable:
                    assert cache_key is not None
                    self.cache.put(cache_key, response.status, headers, body)
                headers += reply
                if cache_key is not None:
                    headers.append((b"x-gateway-cache", b"MISS"))
                # Inline rather than send_whole(): one coroutine level less per request.
                await send(
                    {"type": "http.response.start", "status": response.status, "headers": headers}
                )
                await send({"type": "http.response.body", "body": body})
                return response.status
            await send(
                {
                    "type": "http.response.start",
                    "status": response.status,
                    "headers": headers + reply,
                }
            )
            async for chunk in response.chunks():
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b""})
            return response.status
        finally:
            response.release()

    async def _too_large(self, send: Send, path: str, reply: list[tuple[bytes, bytes]]) -> int:
        limit = self.options.max_body_bytes
        await send_problem(
            send,
            413,
            "Content Too Large",
            f"the request body exceeds {limit} bytes",
            instance=path,
            headers=[*reply, (b"connection", b"close")],
        )
        return 413


class _RequestHeaders:
    """One pass over the request headers: what to forward and what the gateway needs."""

    __slots__ = (
        "authorization",
        "chunked",
        "color",
        "content_length",
        "forward",
        "no_store",
        "request_id",
        "traceparent",
    )

    def __init__(self, scope: Scope) -> None:
        self.authorization: str | None = None
        self.content_length: int | None = None
        self.chunked = False
        self.no_store = False
        # `x-color: green` previews a color (forwarded too): docs/services/gateway.md.
        self.color: str | None = None
        request_id = traceparent = None
        forward: list[tuple[bytes, bytes]] = []
        for key, value in scope["headers"]:
            if key in HOP_BY_HOP or key.startswith(b"x-user-"):
                # Identity headers come only from the gateway; a client's are dropped.
                if key == b"content-length":
                    self.content_length = _int_or_none(value)
                elif key == b"transfer-encoding":
                    self.chunked = True
                continue
            if key == b"x-request-id":
                request_id = value.decode("latin-1")
                continue
            if key == b"traceparent":
                traceparent = value.decode("latin-1")
                continue
            if key == b"authorization":
                self.authorization = value.decode("latin-1")
            elif key == b"cache-control":
                self.no_store = any(token in value for token in NO_STORE)
            elif key == b"x-color":
                self.color = value.decode("latin-1").strip().lower() or None
            forward.append((key, value))
        self.request_id = request_id or random_hex(128)
        forward.append((b"x-request-id", self.request_id.encode()))
        self.traceparent: str | None = traceparent
        client = scope.get("client")
        if client:
            forward.append((b"x-forwarded-for", client[0].encode()))
        forward.append((b"x-forwarded-proto", scope.get("scheme", "http").encode()))
        self.forward = forward

    def valid_traceparent(self) -> str | None:
        """The caller's traceparent when well formed (its trace is continued), else None."""
        if self.traceparent is None or not TRACEPARENT_RE.match(self.traceparent):
            return None
        return self.traceparent

    def traceparent_for(self, span: Leaf) -> tuple[bytes, bytes]:
        """The upstream's parent is the attempt's client span; without a recording tracer
        (tests, tracing off) the caller's traceparent, or a new one, still goes out."""
        value = span.traceparent() or traceparent_of(self.traceparent)
        return (b"traceparent", value.encode())


def _int_or_none(value: bytes) -> int | None:
    try:
        return int(value)
    except ValueError:
        return None


def _target(scope: Scope) -> str:
    raw: bytes = scope.get("raw_path") or scope["path"].encode()
    query: bytes = scope.get("query_string", b"")
    return (raw + b"?" + query if query else raw).decode("latin-1")


def _storable(status: int, headers: list[tuple[bytes, bytes]], size: int, max_size: int) -> bool:
    if status != 200 or size > max_size:
        return False
    for key, value in headers:
        if key == b"set-cookie" or (key == b"cache-control" and any(t in value for t in NO_STORE)):
            return False
    return True


async def _read_whole(receive: Receive, limit: int) -> bytes:
    """A small body read whole, so that a retry can send it again."""
    return b"".join([chunk async for chunk in _stream(receive, limit)])


async def _stream(receive: Receive, limit: int) -> AsyncIterator[bytes]:
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ConnectionResetError("the client went away")
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        if chunk:
            yield chunk
        if not message.get("more_body", False):
            return


async def send_rejected(
    send: Send, rejected: Rejected, *, instance: str, headers: list[tuple[bytes, bytes]]
) -> int:
    """A refusal at the edge as problem+json, with its own headers (Retry-After, ...)."""
    own = [(k.lower().encode(), v.encode()) for k, v in rejected.headers.items()]
    await send_problem(
        send,
        rejected.status,
        rejected.title,
        rejected.detail,
        instance=instance,
        headers=[*headers, *own],
    )
    return rejected.status


async def _fallback(
    exchange: _Exchange, retry_after_s: int, *, status: int = 503, detail: str | None = None
) -> int:
    """The JSON answer when an upstream cannot serve: it names the upstream and says when."""
    titles = {502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout"}
    route = exchange.route
    await send_problem(
        exchange.send,
        status,
        titles[status],
        detail or f"{route.service} is unavailable (circuit open); retry later",
        instance=exchange.scope["path"],
        headers=[*exchange.reply, (b"retry-after", str(retry_after_s).encode())],
        extra={"upstream": route.service, "route": route.id, "fallback": True},
    )
    return status
