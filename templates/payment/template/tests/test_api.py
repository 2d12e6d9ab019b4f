"""The HTTP contract: status codes, problem bodies, RBAC; the bus runs on fakes."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from ecomkit.testing import TestAuth
from ecomkit.testing.fixtures import api_client, problem

from payment.bootstrap import bootstrap
from payment.entrypoints.app import create_app
from payment.settings import Settings
from tests.fakes import FAKE_DECLINED, FAKE_OK, FakePaymentProvider, FakeStore, UowFactory

pytestmark = pytest.mark.anyio

AUTH = TestAuth(Settings)
ADMIN, SERVICE, OWNER, OTHER = AUTH.admin, AUTH.service, AUTH.bearer(3), AUTH.bearer(4)


@pytest.fixture
async def client(
    uow: UowFactory, provider: FakePaymentProvider
) -> AsyncIterator[httpx.AsyncClient]:
    bus = bootstrap(AUTH.settings, uow=uow, provider=provider)
    async with api_client(create_app(AUTH.settings, bus=bus)) as client:
        yield client


def body(order_id: int = 5, method: str = FAKE_OK) -> dict[str, object]:
    return {
        "orderId": order_id,
        "userId": 3,
        "amount": "42.10",
        "currency": "EUR",
        "paymentMethodId": method,
    }


async def test_direct_charge_then_read_it(client: httpx.AsyncClient) -> None:
    created = await client.post("/api/payments", json=body(), headers=SERVICE)
    assert created.status_code == 201, created.text
    payment = created.json()
    assert payment["status"] == "COMPLETED" and payment["amount"] == "42.10"
    assert created.headers["Location"] == f"/api/payments/{payment['id']}"
    for headers in (OWNER, ADMIN):
        got = await client.get(f"/api/payments/{payment['id']}", headers=headers)
        assert got.status_code == 200 and got.json()["id"] == payment["id"]
    by_order = await client.get("/api/payments/order/5", headers=OWNER)
    assert by_order.status_code == 200 and by_order.json()["id"] == payment["id"]
    forbidden = await client.get(f"/api/payments/{payment['id']}", headers=OTHER)
    problem(forbidden, 403)


async def test_direct_charge_needs_admin_or_service(client: httpx.AsyncClient) -> None:
    assert (await client.post("/api/payments", json=body())).status_code == 401
    assert (await client.post("/api/payments", json=body(), headers=OWNER)).status_code == 403
    assert (await client.post("/api/payments", json=body(), headers=ADMIN)).status_code == 201


async def test_a_second_direct_charge_returns_the_first(
    client: httpx.AsyncClient, provider: FakePaymentProvider
) -> None:
    first = await client.post("/api/payments", json=body(), headers=ADMIN)
    second = await client.post("/api/payments", json=body(), headers=ADMIN)
    assert first.json()["id"] == second.json()["id"] and len(provider.charges) == 1


async def test_declined_charge_is_recorded_with_its_code(client: httpx.AsyncClient) -> None:
    created = await client.post("/api/payments", json=body(6, FAKE_DECLINED), headers=ADMIN)
    assert created.status_code == 201
    assert created.json()["status"] == "FAILED"
    assert created.json()["declineCode"] == "card_declined"


async def test_refund_is_admin_only_and_conflicts_when_failed(client: httpx.AsyncClient) -> None:
    paid = (await client.post("/api/payments", json=body(), headers=ADMIN)).json()
    assert (
        await client.post(f"/api/payments/{paid['id']}/refund", headers=OWNER)
    ).status_code == 403
    refunded = await client.post(f"/api/payments/{paid['id']}/refund", headers=ADMIN)
    assert refunded.status_code == 200 and refunded.json()["status"] == "REFUNDED"
    assert [t["type"] for t in refunded.json()["transactions"]] == ["CHARGE", "REFUND"]
    failed = (await client.post("/api/payments", json=body(8, FAKE_DECLINED), headers=ADMIN)).json()
    conflict = await client.post(f"/api/payments/{failed['id']}/refund", headers=ADMIN)
    assert conflict.status_code == 409


async def test_unknown_payment_and_validation(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/payments/nope", headers=ADMIN)).status_code == 404
    assert (await client.get("/api/payments/order/99", headers=ADMIN)).status_code == 404
    bad = await client.post("/api/payments", json={**body(), "amount": "-1"}, headers=ADMIN)
    assert bad.status_code == 422


async def test_cancelled_order_charge_is_a_conflict(
    client: httpx.AsyncClient, store: FakeStore
) -> None:
    store.cancelled[5] = "user"
    assert (await client.post("/api/payments", json=body(), headers=ADMIN)).status_code == 409


async def test_provider_outage_is_503(uow: UowFactory) -> None:
    bus = bootstrap(AUTH.settings, uow=uow, provider=FakePaymentProvider(unavailable=True))
    async with api_client(create_app(AUTH.settings, bus=bus)) as client:
        response = await client.post("/api/payments", json=body(), headers=ADMIN)
    assert response.status_code == 503 and response.headers["Retry-After"] == "5"
