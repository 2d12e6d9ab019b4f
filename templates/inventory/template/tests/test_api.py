"""The HTTP contract: status codes, problem bodies, roles; the bus runs on fakes."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from ecomkit.testing import TestAuth
from ecomkit.testing.fixtures import api_client, problem

from inventory.bootstrap import bootstrap
from inventory.entrypoints.app import create_app
from inventory.settings import Settings
from tests.contracts import UowFactory
from tests.fakes import FakeStore

pytestmark = pytest.mark.anyio

AUTH = TestAuth(Settings)
SETTINGS = AUTH.settings
USER = AUTH.bearer(1, username="ada")
ADMIN = AUTH.bearer(9, "ADMIN", username="root")
SERVICE = AUTH.bearer(0, "SERVICE", username="order")


@pytest.fixture
async def client(store: FakeStore, uow: UowFactory) -> AsyncIterator[httpx.AsyncClient]:
    bus = bootstrap(SETTINGS, uow=uow, clock=lambda: store.now)
    async with api_client(create_app(SETTINGS, bus=bus)) as client:
        yield client


async def test_stock_levels(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/inventory/1")).status_code == 404
    assert (await client.put("/api/inventory/1/stock", json={"availableStock": 5},
                             headers=USER)).status_code == 403
    bad = await client.put("/api/inventory/1/stock", json={"availableStock": -1}, headers=ADMIN)
    assert bad.status_code == 422
    put = await client.put("/api/inventory/1/stock", json={"quantity": 5}, headers=ADMIN)
    assert put.status_code == 200, put.text
    body = (await client.get("/api/inventory/1")).json()
    assert body == {"productId": 1, "availableStock": 5, "reservedStock": 0, "soldStock": 0,
                    "stocked": 5, "available": 5}


async def test_reserve_and_release(client: httpx.AsyncClient) -> None:
    await client.put("/api/inventory/1/stock", json={"availableStock": 2}, headers=ADMIN)
    order = {"orderId": 50, "items": [{"productId": 1, "quantity": 2}]}
    assert (await client.post("/api/inventory/reserve", json=order,
                              headers=USER)).status_code == 403
    reserved = await client.post("/api/inventory/reserve", json=order, headers=SERVICE)
    assert reserved.status_code == 200, reserved.text
    assert reserved.json()["status"] == "RESERVED" and not reserved.json()["replayed"]
    again = await client.post("/api/inventory/reserve", json=order, headers=SERVICE)
    assert again.json()["replayed"] is True
    other = await client.post(
        "/api/inventory/reserve", json={**order, "orderId": 51}, headers=ADMIN
    )
    assert problem(other, 409)["errors"] == [{"productId": 1, "requested": 2, "available": 0}]
    held = await client.get("/api/inventory/reservations/50", headers=SERVICE)
    assert [r["status"] for r in held.json()] == ["RESERVED"]
    released = await client.post("/api/inventory/release", json={"orderId": 50}, headers=SERVICE)
    assert released.status_code == 200 and len(released.json()["released"]) == 1
    assert (await client.get("/api/inventory/1")).json()["availableStock"] == 2
