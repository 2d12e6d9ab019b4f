"""The HTTP contract: status codes, problem bodies, access rules; the bus runs on fakes."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from ecomkit.testing import TestAuth
from ecomkit.testing.fixtures import api_client, problem

from order.bootstrap import bootstrap
from order.entrypoints.app import create_app
from order.settings import Settings
from tests.contracts import UowFactory
from tests.fakes import FakeProductCatalog, FakeStore, FakeUserDirectory

pytestmark = pytest.mark.anyio

AUTH = TestAuth(Settings)
SETTINGS = AUTH.settings
ADA = AUTH.bearer(1, username="ada")
BOB = AUTH.bearer(2, username="bob")
ADMIN = AUTH.bearer(9, "USER", "ADMIN", username="root")
ORDER = {"items": [{"productId": 10, "quantity": 2}], "paymentMethodId": "pm_card_visa"}


@pytest.fixture
async def client(
    store: FakeStore, uow: UowFactory, users: FakeUserDirectory, catalog: FakeProductCatalog
) -> AsyncIterator[httpx.AsyncClient]:
    bus = bootstrap(SETTINGS, uow=uow, users=users, catalog=catalog, clock=lambda: store.now)
    async with api_client(create_app(SETTINGS, bus=bus)) as client:
        yield client


async def test_place_order(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/orders", json=ORDER, headers=ADA)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == "PENDING" and body["totalAmount"] == "39.98"
    assert body["userId"] == 1 and body["sagaState"] == "STARTED"
    assert body["items"] == [
        {"productId": 10, "quantity": 2, "price": "19.99", "subtotal": "39.98"}
    ]
    assert response.headers["Location"] == f"/api/orders/{body['id']}"


async def test_order_records_the_trace_it_was_placed_in(client: httpx.AsyncClient) -> None:
    trace_id = "4bf92f3577b34da6a3ce929d0e0e4736"
    caller = {**ADA, "traceparent": f"00-{trace_id}-00f067aa0ba902b7-01"}
    placed = await client.post("/api/orders", json=ORDER, headers=caller)
    assert placed.status_code == 201, placed.text
    assert placed.json()["traceId"] == trace_id
    # Read back later (another request, another trace): still the trace it was placed in.
    again = await client.get(f"/api/orders/{placed.json()['id']}", headers=ADA)
    assert again.json()["traceId"] == trace_id


async def test_place_order_needs_a_token_and_valid_items(client: httpx.AsyncClient) -> None:
    assert (await client.post("/api/orders", json=ORDER)).status_code == 401
    empty = await client.post("/api/orders", json={"items": []}, headers=ADA)
    assert empty.status_code == 422
    unknown = await client.post(
        "/api/orders", json={"items": [{"productId": 404, "quantity": 1}]}, headers=ADA
    )
    problem(unknown, 422)


async def test_upstream_down_is_503(client: httpx.AsyncClient, catalog: FakeProductCatalog) -> None:
    catalog.down = True
    response = await client.post("/api/orders", json=ORDER, headers=ADA)
    assert response.status_code == 503 and response.headers["Retry-After"] == "5"


async def test_idempotency_key_header(client: httpx.AsyncClient, store: FakeStore) -> None:
    headers = {**ADA, "Idempotency-Key": "abc-123"}
    first = await client.post("/api/orders", json=ORDER, headers=headers)
    again = await client.post("/api/orders", json=ORDER, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"] and len(store.orders) == 1
    assert again.headers["Idempotent-Replayed"] == "true"
    other = {"items": [{"productId": 11, "quantity": 1}]}
    assert (await client.post("/api/orders", json=other, headers=headers)).status_code == 409


async def test_read_access(client: httpx.AsyncClient) -> None:
    order = (await client.post("/api/orders", json=ORDER, headers=ADA)).json()
    url = f"/api/orders/{order['id']}"
    assert (await client.get(url, headers=ADA)).json()["id"] == order["id"]
    assert (await client.get(url, headers=ADMIN)).status_code == 200
    assert (await client.get(url, headers=BOB)).status_code == 404
    assert (await client.get("/api/orders/999", headers=ADA)).status_code == 404
    mine = await client.get("/api/orders/user/1", headers=ADA)
    assert [o["id"] for o in mine.json()] == [order["id"]]
    assert (await client.get("/api/orders/user/1", headers=BOB)).status_code == 403
    assert (await client.get("/api/orders/user/1", headers=ADMIN)).status_code == 200
    history = await client.get(f"{url}/events", headers=ADA)
    assert [e["eventType"] for e in history.json()] == ["OrderCreated"]


async def test_cancel_and_ship(client: httpx.AsyncClient) -> None:
    order = (await client.post("/api/orders", json=ORDER, headers=ADA)).json()
    url = f"/api/orders/{order['id']}"
    assert (await client.put(f"{url}/cancel", headers=BOB)).status_code == 404
    assert (await client.put(f"{url}/ship", headers=ADA)).status_code == 403
    assert (await client.put(f"{url}/ship", headers=ADMIN)).status_code == 409  # not paid
    cancelled = await client.put(f"{url}/cancel", json={"reason": "oops"}, headers=ADA)
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "CANCELLED" and cancelled.json()["cancelReason"] == "oops"
    again = await client.put(f"{url}/cancel", headers=ADA)
    problem(again, 409)
