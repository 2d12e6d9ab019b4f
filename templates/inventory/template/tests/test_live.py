"""GET /ws/products/{id}/stock on fakes: the stock now, then each change; who gets in.
(The wake-up on a real commit: tests/integration/test_live_orders.py, through the gateway.)"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from ecomkit.testing import TestAuth
from fastapi.testclient import TestClient
from fastapi.websockets import WebSocketDisconnect

from inventory.bootstrap import bootstrap
from inventory.domain import commands
from inventory.entrypoints.app import create_app
from inventory.entrypoints.live import HUB
from inventory.service_layer.messagebus import MessageBus
from inventory.settings import Settings
from tests.contracts import UowFactory
from tests.fakes import FakeStore

AUTH = TestAuth(Settings)
SETTINGS = AUTH.settings
TOKEN = AUTH.token(1, username="ada")


@pytest.fixture
def app_bus(store: FakeStore, uow: UowFactory) -> MessageBus:
    return bootstrap(SETTINGS, uow=uow, clock=lambda: store.now)


@pytest.fixture
def client(app_bus: MessageBus) -> Iterator[TestClient]:
    with TestClient(create_app(SETTINGS, bus=app_bus)) as test_client:
        test_client.portal.call(app_bus.handle, commands.SetStock(7, 2))  # type: ignore[union-attr]
        yield test_client


def test_the_stock_now_then_each_change(client: TestClient, app_bus: MessageBus) -> None:
    bus = app_bus
    with client.websocket_connect("/ws/products/7/stock", subprotocols=["bearer", TOKEN]) as ws:
        assert ws.receive_json() == {
            "productId": 7, "available": 2, "reserved": 0, "sold": 0, "inStock": True,
        }  # fmt: skip
        client.portal.call(bus.handle, commands.SetStock(7, 0))  # type: ignore[union-attr]
        client.portal.call(HUB.wake, "7")  # type: ignore[union-attr]  # what a commit does
        assert ws.receive_json()["inStock"] is False


def test_an_unstocked_product_is_4404_and_no_token_4401(client: TestClient) -> None:
    for path, protocols, code in [
        ("/ws/products/8/stock", ["bearer", TOKEN], 4404),
        ("/ws/products/7/stock", ["bearer", "forged"], 4401),
    ]:
        with client.websocket_connect(path, subprotocols=protocols) as ws:
            with pytest.raises(WebSocketDisconnect) as closed:
                ws.receive_json()
            assert closed.value.code == code
    with client.websocket_connect("/ws/products/7/stock") as ws:
        ws.send_text(json.dumps({"token": TOKEN}))
        assert ws.receive_json()["available"] == 2
