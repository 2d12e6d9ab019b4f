"""A client of `GET /ws/orders/{id}`: each pushed step, resuming after a dropped connection.

The token travels as the `bearer, <token>` subprotocol (never in the URL). A connection that
drops without a close frame (a gateway restart, a network blip) is opened again with
`last_event` set to the last step seen, so nothing is missed and nothing is repeated.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus, InvalidURI
from websockets.sync.client import ClientConnection, connect
from websockets.typing import Subprotocol

from ecomctl.errors import UserError

RECONNECTS = 5
LIVED_S = 30.0
STOP_POLL_S = 0.25  # how often a wait for the next frame looks at the timeout and `stop`
# Close codes the order service and the gateway use (docs/services/order.md).
REFUSALS = {
    4401: "the token was refused (4401): log in again or pass --token",
    4403: "order {order} belongs to another user (4403)",
    4404: "no order {order} (4404)",
    4429: "too many open connections or requests for this user (4429)",
    1013: "the platform cannot serve this now (1013): try again shortly",
}
ENDED = 1000  # the order reached a final step (cancelled, shipped)


@dataclass(frozen=True)
class Step:
    """One pushed frame, with when it arrived (time.time())."""

    order_id: int
    event: int
    step: str
    type: str
    at: str | None
    reason: str | None
    received_at: float

    @classmethod
    def of(cls, frame: dict[str, Any], received_at: float) -> Step:
        return cls(
            order_id=int(frame["orderId"]),
            event=int(frame["event"]),
            step=str(frame["step"]),
            type=str(frame.get("type", "")),
            at=frame.get("at"),
            reason=frame.get("reason"),
            received_at=received_at,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "orderId": self.order_id,
            "event": self.event,
            "step": self.step,
            "type": self.type,
            "at": self.at,
            "reason": self.reason,
            "receivedAt": self.received_at,
        }


class WatchRefused(UserError):
    """The platform closed the socket with a refusal (4401, 4403, ...)."""

    def __init__(self, code: int, order_id: int) -> None:
        text = REFUSALS.get(code, "the connection was closed with code {code}")
        super().__init__(text.format(order=order_id, code=code))
        self.code = code


def ws_url(gateway_url: str, order_id: int, last_event: int) -> str:
    base = "ws" + gateway_url.removeprefix("http")
    return f"{base}/ws/orders/{order_id}?last_event={last_event}"


def follow_order(
    *,
    gateway_url: str,
    order_id: int,
    token: str,
    last_event: int = 0,
    until: frozenset[str] = frozenset(),
    timeout_s: float | None = None,
    reconnects: int = RECONNECTS,
    stop: threading.Event | None = None,
) -> Iterator[Step]:
    """The order's steps after `last_event`, as they are pushed, until the server ends the
    stream, a step in `until` arrives, `timeout_s` passes without one, or `stop` is set
    (another thread's way to end it)."""
    drops = 0
    quiet = _Quiet(timeout_s, stop or threading.Event())
    while True:
        opened = time.monotonic()
        try:
            with _open(gateway_url, order_id, token, last_event) as socket:
                for step in _steps(socket, order_id, quiet):
                    drops, last_event = 0, step.event
                    yield step
                    if step.step in until:
                        return
                return
        except _Dropped as dropped:
            # A connection that lived a while (the gateway closes idle ones: 1001) is not
            # one of a run of failures.
            drops = 1 if time.monotonic() - opened > LIVED_S else drops + 1
            if drops > reconnects:
                raise UserError(f"the connection keeps dropping: {dropped}") from None
            time.sleep(min(0.2 * 2**drops, 5))


class _Dropped(Exception):
    """The connection was lost without a close frame of the platform's."""


def _open(gateway_url: str, order_id: int, token: str, last_event: int) -> ClientConnection:
    try:
        return connect(
            ws_url(gateway_url, order_id, last_event),
            subprotocols=[Subprotocol("bearer"), Subprotocol(token)],
            open_timeout=10,
            compression=None,
        )
    except InvalidURI as exc:
        raise UserError(f"not a gateway address: {gateway_url}") from exc
    except InvalidStatus as exc:  # an answer, not a drop: asking again changes nothing
        status = exc.response.status_code
        raise UserError(
            f"{gateway_url} refused the WebSocket (HTTP {status}): is the stack up "
            "(ecomctl status) and its gateway generated with WebSockets (ecomctl generate update)?"
        ) from exc
    except (OSError, TimeoutError, InvalidHandshake) as exc:
        raise _Dropped(f"cannot open {gateway_url}: {exc}") from exc


@dataclass
class _Quiet:
    """When to stop waiting for the next frame: after `timeout_s` of silence, or `stop`."""

    timeout_s: float | None
    stop: threading.Event
    since: float = 0.0

    def over(self) -> bool:
        if self.stop.is_set():
            return True
        return self.timeout_s is not None and time.monotonic() - self.since >= self.timeout_s


def _steps(socket: ClientConnection, order_id: int, quiet: _Quiet) -> Iterator[Step]:
    quiet.since = time.monotonic()
    while not quiet.over():
        try:
            text = socket.recv(timeout=STOP_POLL_S)
        except TimeoutError:
            continue
        except ConnectionClosed:
            _closed(socket, order_id)
            return
        quiet.since = time.monotonic()
        yield Step.of(json.loads(text), time.time())


def _closed(socket: ClientConnection, order_id: int) -> None:
    """Returns on a normal end; raises a refusal, or _Dropped to reconnect."""
    code = socket.close_code
    if code == ENDED:
        return
    if code is not None and (code in REFUSALS or code >= 4000):
        raise WatchRefused(code, order_id)
    raise _Dropped(f"closed with {code or 'no close frame'}")
