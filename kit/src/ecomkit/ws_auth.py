"""Who is on the other end of a WebSocket: the token in the handshake or in the first message.

A browser cannot set `Authorization` on a WebSocket, and a token in the URL ends up in
access logs and browser history, so a token travels one of two ways:

- as a subprotocol: `Sec-WebSocket-Protocol: bearer, <token>`; the server answers with
  `bearer` (never echoing the token back);
- as the first message, `{"token": "<token>"}`, within a few seconds of the handshake.

Refusals are close codes in the range RFC 6455 leaves to applications, named after the
HTTP statuses they mirror: 4401 no or bad token, 4403 not yours, 4404 not found; 1013
(try again later) when the revocation store cannot be asked.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from starlette.websockets import WebSocket, WebSocketDisconnect

from ecomkit.auth import Claims, TokenVerifier
from ecomkit.problems import ServiceUnavailable, Unauthorized

BEARER_PROTOCOL = "bearer"
CLOSE_UNAUTHORIZED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_NOT_FOUND = 4404
CLOSE_TRY_AGAIN_LATER = 1013
FIRST_MESSAGE_TIMEOUT_S = 5.0
# A close frame's reason is at most 123 bytes.
_REASON_BYTES = 120


def token_from_protocols(header: str | None) -> str | None:
    """The token of `Sec-WebSocket-Protocol: bearer, <token>`, else None."""
    offered = [part.strip() for part in (header or "").split(",")]
    if len(offered) >= 2 and offered[0].lower() == BEARER_PROTOCOL and offered[1]:
        return offered[1]
    return None


def token_from_message(text: str | None) -> str | None:
    """The token of a first message `{"token": "<token>"}`, else None."""
    try:
        message: Any = json.loads(text or "")
    except ValueError:
        return None
    token = message.get("token") if isinstance(message, dict) else None
    return token if isinstance(token, str) and token else None


async def close(websocket: WebSocket, code: int, reason: str) -> None:
    await websocket.close(code, reason.encode()[:_REASON_BYTES].decode(errors="ignore"))


async def accept_authenticated(
    websocket: WebSocket,
    verifier: TokenVerifier,
    *,
    first_message_timeout_s: float = FIRST_MESSAGE_TIMEOUT_S,
) -> Claims | None:
    """Accept the socket and return the caller's claims; None once it is closed (4401)."""
    token = token_from_protocols(websocket.headers.get("sec-websocket-protocol"))
    # Accepted first in every case: a close before the handshake is an HTTP 403 to the
    # client, and the caller should learn the reason from the close code.
    await websocket.accept(subprotocol=BEARER_PROTOCOL if token else None)
    if token is None:
        token = await _first_message_token(websocket, first_message_timeout_s)
    if token is None:
        await close(websocket, CLOSE_UNAUTHORIZED, "missing token")
        return None
    try:
        return await verifier.verify(token)
    except Unauthorized as refused:
        await close(websocket, CLOSE_UNAUTHORIZED, refused.detail or "invalid token")
    except ServiceUnavailable as unavailable:
        await close(websocket, CLOSE_TRY_AGAIN_LATER, unavailable.detail or "try again later")
    return None


async def _first_message_token(websocket: WebSocket, timeout_s: float) -> str | None:
    try:
        text = await asyncio.wait_for(websocket.receive_text(), timeout_s)
    except (TimeoutError, WebSocketDisconnect, KeyError, RuntimeError):
        return None  # KeyError/RuntimeError: a binary frame or a closed socket
    return token_from_message(text)
