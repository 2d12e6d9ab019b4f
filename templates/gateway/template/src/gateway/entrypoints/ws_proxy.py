"""The WebSocket proxy: /ws/** to the route's upstream, frames relayed both ways.

The gateway authenticates the socket itself (the token in `Sec-WebSocket-Protocol: bearer,
<token>` or in the first message, as ecomkit.ws_auth reads it; never the URL), applies the
rate limit to the handshake and a per-user cap on open connections, then opens the same
socket to an upstream instance and hands the token on the same way, so the service checks
it again (defence in depth) and decides who may follow what (4403). Close codes pass
through in both directions; pings are answered by each hop's WebSocket implementation
(Granian towards the client, `websockets` towards the upstream), and a socket on which
nothing was sent either way for the idle timeout is closed with 1001.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass

from ecomkit.ws_auth import BEARER_PROTOCOL, token_from_message, token_from_protocols
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus
from websockets.typing import Subprotocol

from gateway.adapters.upstreams import UpstreamResolver
from gateway.domain.connections import ConnectionLimit
from gateway.domain.identity import Identity, InvalidToken
from gateway.domain.routes import RouteTable
from gateway.entrypoints.asgi import Message, Receive, Scope, Send, random_hex
from gateway.service_layer.edge import EdgePolicy, Rejected

log = logging.getLogger(__name__)

WS_PREFIX = "/ws/"
CLOSE_GOING_AWAY = 1001
CLOSE_TRY_AGAIN_LATER = 1013
CLOSE_UNAUTHORIZED = 4401
CLOSE_NOT_FOUND = 4404
CLOSE_TOO_MANY = 4429
BEARER = Subprotocol(BEARER_PROTOCOL)
# Codes an endpoint may not send itself (RFC 6455 7.4.1): relayed as a normal closure.
_RESERVED = frozenset({1005, 1006, 1015})


@dataclass
class WebSocketOptions:
    idle_timeout_s: float
    open_timeout_s: float
    first_message_timeout_s: float = 5.0
    max_frame_bytes: int = 1_048_576


@dataclass
class _Client:
    """The client side of one proxied socket (the ASGI receive/send pair)."""

    receive: Receive
    send: Send
    last_activity: float = 0.0

    async def accept(self, subprotocol: str | None) -> None:
        await self.send({"type": "websocket.accept", "subprotocol": subprotocol})

    async def close(self, code: int, reason: str = "") -> None:
        with contextlib.suppress(Exception):  # the client may be gone already
            await self.send({"type": "websocket.close", "code": code, "reason": reason[:120]})


@dataclass(kw_only=True, eq=False)
class WebSocketProxy:
    routes: RouteTable
    policy: EdgePolicy
    resolver: UpstreamResolver
    limit: ConnectionLimit
    options: WebSocketOptions

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (await receive())["type"] != "websocket.connect":
            return
        client = _Client(receive, send, time.monotonic())
        header_token = token_from_protocols(_header(scope, b"sec-websocket-protocol"))
        # Accepted before anything is checked: a refusal before the handshake reaches the
        # client as a bare HTTP 403, a close code after it says why.
        await client.accept(BEARER_PROTOCOL if header_token else None)
        route = self.routes.match(scope["path"])
        if route is None:
            return await client.close(CLOSE_NOT_FOUND, f"no route for {scope['path']}")
        first = None if header_token else await self._first_message(client)
        token = header_token or token_from_message(first)
        identity = await self._identify(client, token)
        if identity is None:
            return
        try:
            address = _client_ip(scope)
            await self.policy.throttle(route, scope["path"], address, identity)
        except Rejected as rejected:
            return await client.close(CLOSE_TOO_MANY, rejected.detail)
        if not self.limit.acquire(identity.user_id):
            detail = f"at most {self.limit.max_per_user} open connections per user"
            return await client.close(CLOSE_TOO_MANY, detail)
        try:
            await self._relay(scope, client, route.service, token or "", identity, first)
        finally:
            self.limit.release(identity.user_id)

    async def _first_message(self, client: _Client) -> str | None:
        try:
            message = await asyncio.wait_for(client.receive(), self.options.first_message_timeout_s)
        except TimeoutError:
            return None
        return message.get("text") if message["type"] == "websocket.receive" else None

    async def _identify(self, client: _Client, token: str | None) -> Identity | None:
        if token is None:
            await client.close(CLOSE_UNAUTHORIZED, "missing token")
            return None
        try:
            identity = await self.policy.verify(f"Bearer {token}")
            if self.policy.check_revoked is not None:
                await self.policy.check_revoked(identity)
        except InvalidToken as refused:
            await client.close(CLOSE_UNAUTHORIZED, str(refused))
            return None
        return identity

    async def _relay(
        self,
        scope: Scope,
        client: _Client,
        service: str,
        token: str,
        identity: Identity,
        first: str | None,
    ) -> None:
        instance = self.resolver.pick(service, avoid=None, color=_color(scope))
        if instance is None:
            return await client.close(CLOSE_TRY_AGAIN_LATER, f"no instance of {service}")
        query = scope.get("query_string", b"").decode("latin-1")
        url = (
            "ws"
            + instance.url.removeprefix("http")
            + scope["path"]
            + (f"?{query}" if query else "")
        )
        headers = [("X-Request-Id", random_hex(128)), *identity.headers()]
        try:
            upstream = await connect(
                url,
                subprotocols=None if first is not None else [BEARER, Subprotocol(token)],
                additional_headers=headers,
                open_timeout=self.options.open_timeout_s,
                max_size=self.options.max_frame_bytes,
                compression=None,
            )
        except (OSError, TimeoutError, InvalidHandshake) as exc:
            status = exc.response.status_code if isinstance(exc, InvalidStatus) else "-"
            log.warning("websocket upstream %s failed (%s): %r", service, status, exc)
            return await client.close(CLOSE_TRY_AGAIN_LATER, f"{service} unavailable")
        async with upstream:
            if first is not None:
                await upstream.send(first)
            await _pump(client, upstream, self.options.idle_timeout_s)


Close = tuple[int, str]  # a close frame the client is still owed: code, reason


async def _pump(client: _Client, upstream: ClientConnection, idle_timeout_s: float) -> None:
    """Frames both ways until one side closes (its code passed to the other) or idleness.

    The client's close is sent only after the task reading from the client is cancelled:
    Granian (2.8) sends no close frame while a `receive()` of the socket is pending."""
    tasks = [  # the first two return the close the client is owed; the idle one first
        asyncio.create_task(_idle_watch(client, upstream, idle_timeout_s)),
        asyncio.create_task(_upstream_to_client(client, upstream)),
        asyncio.create_task(_client_to_upstream(client, upstream)),
    ]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    owed = next((t.result() for t in tasks[:2] if t.done() and not t.cancelled()), None)
    if owed is not None and not isinstance(owed, BaseException):
        await client.close(*owed)


async def _client_to_upstream(client: _Client, upstream: ClientConnection) -> None:
    while True:
        message: Message = await client.receive()
        if message["type"] == "websocket.disconnect":
            code = message.get("code", 1000)
            await upstream.close(1000 if code in _RESERVED else code, message.get("reason") or "")
            return
        client.last_activity = time.monotonic()
        text, data = message.get("text"), message.get("bytes")
        await upstream.send(text if text is not None else data or b"")


async def _upstream_to_client(client: _Client, upstream: ClientConnection) -> Close:
    """Relays the upstream's frames; returns its close, for the client."""
    try:
        async for frame in upstream:
            client.last_activity = time.monotonic()
            key = "text" if isinstance(frame, str) else "bytes"
            await client.send({"type": "websocket.send", key: frame})
    except ConnectionClosed:
        pass
    code = upstream.close_code or 1000
    return (1000 if code in _RESERVED else code), upstream.close_reason or ""


async def _idle_watch(client: _Client, upstream: ClientConnection, idle_timeout_s: float) -> Close:
    while True:
        idle = time.monotonic() - client.last_activity
        if idle >= idle_timeout_s:
            await upstream.close(CLOSE_GOING_AWAY, "idle timeout")
            return CLOSE_GOING_AWAY, "idle timeout"
        await asyncio.sleep(idle_timeout_s - idle)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None


def _color(scope: Scope) -> str | None:
    return (_header(scope, b"x-color") or "").strip().lower() or None


def _client_ip(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else "unknown"
