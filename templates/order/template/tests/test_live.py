"""GET /ws/orders/{id} on fakes: who may follow, what is replayed, where a reconnect resumes.
(Pushes as steps are committed need PostgreSQL's NOTIFY: tests/integration/test_live_orders.py.)"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from ecomkit.testing import TestAuth
from fastapi.testclient import TestClient
from fastapi.websockets import WebSocketDisconnect

from order.bootstrap import bootstrap
from order.domain import commands
from order.entrypoints.app import create_app
from order.settings import Settings
from tests.contracts import UowFactory
from tests.fakes import FakeProductCatalog, FakeStore, FakeUserDirectory

AUTH = TestAuth(Settings)
SETTINGS = AUTH.settings
ADA = AUTH.token(1, username="ada")
BOB = AUTH.token(2, username="bob")
ADMIN = AUTH.token(9, "USER", "ADMIN", username="root")


@pytest.fixture
def client(
    store: FakeStore, uow: UowFactory, users: FakeUserDirectory, catalog: FakeProductCatalog
) -> Iterator[TestClient]:
    """Ada's order 1: created, reserved, then cancelled (a note in between is not a step)."""
    bus = bootstrap(
        SETTINGS, uow=uow, users=users, catalog=catalog,
        clock=lambda: store.now,
    )  # fmt: skip
    with TestClient(create_app(SETTINGS, bus=bus)) as test_client:
        place = commands.PlaceOrder(
            user_id=1, items=(commands.ItemRequest(10, 1),), authorization="Bearer x",
            payment_method_id="pm_card_visa", shipping_address=None, idempotency_key=None,
            trace_id=None,
        )  # fmt: skip
        test_client.portal.call(bus.handle, place)  # type: ignore[union-attr]
        store.history.extend(
            [
                (1, "InventoryReserved", {}, store.now),
                (1, "PaymentIgnored", {"status": "PENDING"}, store.now),
                (1, "OrderCancelled", {"reason": "payment failed: declined"}, store.now),
            ]
        )
        yield test_client


def frames(client: TestClient, path: str, *, protocols: list[str] | None = None,
           first: str | None = None) -> list[dict[str, Any]]:  # fmt: skip
    """Every frame until the server closes; the close code is the last entry."""
    received: list[dict[str, Any]] = []
    with client.websocket_connect(path, subprotocols=protocols) as socket:
        if first is not None:
            socket.send_text(first)
        try:
            while True:
                received.append(socket.receive_json())
        except WebSocketDisconnect as closed:
            received.append({"closed": closed.code})
    return received


def test_the_owner_gets_the_steps_then_the_stream_ends(client: TestClient) -> None:
    got = frames(client, "/ws/orders/1", protocols=["bearer", ADA])
    assert [f.get("step") for f in got[:-1]] == ["created", "reserved", "cancelled"]
    assert got[2]["reason"] == "payment failed: declined" and got[-1] == {"closed": 1000}
    positions = [f["event"] for f in got[:-1]]
    assert positions == sorted(positions) and got[0]["orderId"] == 1


def test_the_token_may_come_as_the_first_message(client: TestClient) -> None:
    got = frames(client, "/ws/orders/1", first=json.dumps({"token": ADMIN}))
    assert [f.get("step") for f in got[:-1]] == ["created", "reserved", "cancelled"]


def test_a_reconnect_resumes_after_the_last_event(client: TestClient) -> None:
    first = frames(client, "/ws/orders/1", protocols=["bearer", ADA])
    resumed = frames(client, f"/ws/orders/1?last_event={first[0]['event']}",
                     protocols=["bearer", ADA])  # fmt: skip
    assert resumed[:-1] == first[1:-1]


@pytest.mark.parametrize(
    ("protocols", "first", "code"),
    [
        (None, "{}", 4401),
        (None, "not json", 4401),
        (["bearer", "not-a-jwt"], None, 4401),
        (["bearer", BOB], None, 4403),
    ],
)
def test_refusals_are_close_codes(
    client: TestClient, protocols: list[str] | None, first: str | None, code: int
) -> None:
    assert frames(client, "/ws/orders/1", protocols=protocols, first=first) == [{"closed": code}]


def test_an_unknown_order_is_4404(client: TestClient) -> None:
    assert frames(client, "/ws/orders/999", protocols=["bearer", ADMIN]) == [{"closed": 4404}]
