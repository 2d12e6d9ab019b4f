"""ecomkit.ws_auth and ecomkit.live on a small app: who gets in, what is replayed and
pushed, where a reconnect resumes. (PostgreSQL's NOTIFY as the wake-up is exercised by the
order service against a real database: tests/integration/test_live_orders.py.)"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI, WebSocket
from fastapi.testclient import TestClient
from fastapi.websockets import WebSocketDisconnect

from ecomkit.auth import verifier_from_settings
from ecomkit.events import Event
from ecomkit.live import Entry, LiveHub, asyncpg_dsn, follow, follow_value, wake_on_committed
from ecomkit.settings import ServiceSettings
from ecomkit.testing import TestKeys
from ecomkit.ws_auth import (
    CLOSE_UNAUTHORIZED,
    accept_authenticated,
    token_from_message,
    token_from_protocols,
)

KEYS = TestKeys()
SETTINGS = ServiceSettings(service_name="order", **KEYS.settings())


def token() -> str:
    """A fresh access token: one made at import would expire before a long run reaches
    these tests."""
    return KEYS.issuer(SETTINGS).issue_access(7, "ann", ["USER"])


class Stream:
    def __init__(self) -> None:
        self.entries: list[Entry] = []
        self.hub = LiveHub()

    def append(self, message: dict[str, Any] | None) -> None:
        self.entries.append((len(self.entries) + 1, message))

    async def read_after(self, position: int) -> list[Entry]:
        return [entry for entry in self.entries if entry[0] > position]


@pytest.fixture
def stream() -> Stream:
    stream = Stream()
    stream.append({"n": 1})
    stream.append(None)  # a stored entry the stream does not show
    stream.append({"n": 2})
    return stream


@pytest.fixture
def client(stream: Stream) -> Iterator[TestClient]:
    app = FastAPI()
    verifier = verifier_from_settings(SETTINGS)

    @app.websocket("/ws/things/{key}")
    async def things(websocket: WebSocket, key: str, last_event: int = 0) -> None:
        claims = await accept_authenticated(websocket, verifier, first_message_timeout_s=1)
        if claims is None:
            return
        await follow(
            websocket, hub=stream.hub, key=key, after=last_event,
            read_after=stream.read_after, finished=lambda m: m.get("n") == 9,
        )  # fmt: skip

    with TestClient(app) as test_client:
        yield test_client


def test_tokens_are_read_from_the_subprotocol_or_the_first_message() -> None:
    assert token_from_protocols("bearer, abc.def") == "abc.def"
    assert token_from_protocols("Bearer,abc") == "abc"
    assert token_from_protocols("chat, abc") is None and token_from_protocols(None) is None
    assert token_from_message(json.dumps({"token": "abc"})) == "abc"
    assert token_from_message("abc") is None and token_from_message("[1]") is None


def test_replays_then_pushes_what_is_stored_later_then_ends(
    client: TestClient, stream: Stream
) -> None:
    with client.websocket_connect("/ws/things/a", subprotocols=["bearer", token()]) as socket:
        assert socket.accepted_subprotocol == "bearer"  # never the token itself
        assert [socket.receive_json(), socket.receive_json()] == [{"n": 1}, {"n": 2}]
        stream.append({"n": 3})
        client.portal.call(stream.hub.wake, "a")  # type: ignore[union-attr]
        assert socket.receive_json() == {"n": 3}
        stream.append({"n": 9})
        client.portal.call(stream.hub.wake, "a")  # type: ignore[union-attr]
        assert socket.receive_json() == {"n": 9}
        with pytest.raises(WebSocketDisconnect) as closed:
            socket.receive_json()
    assert closed.value.code == 1000
    assert stream.hub.followers == 0


def test_a_reconnect_resumes_after_its_last_position(client: TestClient) -> None:
    with client.websocket_connect("/ws/things/a?last_event=1") as socket:
        socket.send_text(json.dumps({"token": token()}))
        assert socket.receive_json() == {"n": 2}


@pytest.mark.parametrize("first", ["{}", "no json", json.dumps({"token": "x.y.z"})])
def test_no_valid_token_closes_4401(client: TestClient, first: str) -> None:
    with client.websocket_connect("/ws/things/a") as socket:
        socket.send_text(first)
        with pytest.raises(WebSocketDisconnect) as closed:
            socket.receive_json()
    assert closed.value.code == CLOSE_UNAUTHORIZED


def test_silence_instead_of_a_token_closes_4401(client: TestClient) -> None:
    with (
        client.websocket_connect("/ws/things/a") as socket,
        pytest.raises(WebSocketDisconnect) as closed,
    ):
        socket.receive_json()
    assert closed.value.code == CLOSE_UNAUTHORIZED


def test_the_listener_connects_with_a_plain_url() -> None:
    assert asyncpg_dsn("postgresql+asyncpg://u:p@h:5/db") == "postgresql://u:p@h:5/db"


def test_a_value_is_sent_now_and_again_only_when_it_changed() -> None:
    hub, stock = LiveHub(), {"available": 3}
    app = FastAPI()
    verifier = verifier_from_settings(SETTINGS)

    async def read() -> dict[str, Any]:
        return dict(stock)

    @app.websocket("/ws/stock/{key}")
    async def watch(websocket: WebSocket, key: str) -> None:
        if await accept_authenticated(websocket, verifier) is not None:
            await follow_value(websocket, hub=hub, key=key, read=read)

    with (
        TestClient(app) as client,
        client.websocket_connect("/ws/stock/5", subprotocols=["bearer", token()]) as socket,
    ):
        assert socket.receive_json() == {"available": 3}
        client.portal.call(hub.wake, "5")  # type: ignore[union-attr]  # unchanged: nothing sent
        stock["available"] = 0
        committed = [Event(type="InventoryUpdated", topic="t", key="5", data={})]
        client.portal.call(wake_on_committed(hub, "InventoryUpdated"), committed)  # type: ignore[union-attr]
        assert socket.receive_json() == {"available": 0}
