"""The read models' routes: access rules, the queries refused with 400 problem bodies, and
the shapes returned (the bus runs on fakes; the projections' SQL runs in
tests/integration/test_order_projections.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from decimal import Decimal

import httpx
import pytest
from ecomkit.testing.fixtures import api_client, problem

from order.bootstrap import bootstrap
from order.entrypoints.app import create_app
from order.service_layer.ports import OrderQuery
from tests.contracts import UowFactory
from tests.fakes import FakeProductCatalog, FakeReadModels, FakeUserDirectory
from tests.test_api import ADA, ADMIN, BOB, SETTINGS

pytestmark = pytest.mark.anyio

AT = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
ADAS_ORDER = {
    "order_id": 5, "order_number": "ORD-5", "user_id": 1, "status": "PAID",
    "total_amount": Decimal("39.98"), "currency": "USD",
    "lines": [{"productId": 10, "quantity": 2, "price": "19.99"}],
    "timeline": [
        {"event": "OrderCreated", "version": 1, "at": AT.isoformat(), "status": "PENDING"},
        {"event": "InventoryReserved", "version": 2, "at": AT.isoformat()},
        {"event": "OrderPaid", "version": 3, "at": AT.isoformat(), "status": "PAID"},
    ],
    "cancel_reason": None, "created_at": AT, "updated_at": AT,
}  # fmt: skip


@pytest.fixture
def read_models() -> FakeReadModels:
    models = FakeReadModels(history_rows=[ADAS_ORDER])
    models.sales_rows = [
        {"day": date(2026, 12, 1), "product_id": 10, "currency": "USD", "quantity": 2,
         "revenue": Decimal("39.98"), "orders": 1},
    ]  # fmt: skip
    models.search_rows = [{k: v for k, v in ADAS_ORDER.items() if k not in
                           ("lines", "timeline", "cancel_reason")}]  # fmt: skip
    return models


@pytest.fixture
async def client(
    uow: UowFactory, users: FakeUserDirectory, catalog: FakeProductCatalog,
    read_models: FakeReadModels,
) -> AsyncIterator[httpx.AsyncClient]:  # fmt: skip
    bus = bootstrap(
        SETTINGS, uow=uow, users=users, catalog=catalog,
        read_models=read_models,
    )  # fmt: skip
    async with api_client(create_app(SETTINGS, bus=bus)) as client:
        yield client


async def test_a_user_reads_their_history_with_lines_and_timeline(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/api/orders/history", headers=ADA)
    assert response.status_code == 200, response.text
    [order] = response.json()["orders"]
    assert order["totalAmount"] == "39.98" and order["lines"][0]["productId"] == 10
    assert [e["event"] for e in order["timeline"]] == [
        "OrderCreated", "InventoryReserved", "OrderPaid"
    ]  # fmt: skip
    assert (await client.get("/api/orders/history", headers=BOB)).json()["orders"] == []


async def test_only_admin_reads_another_users_history(
    client: httpx.AsyncClient, read_models: FakeReadModels
) -> None:
    refused = await client.get("/api/orders/history?userId=1", headers=BOB)
    assert refused.status_code == 403
    allowed = await client.get("/api/orders/history?userId=1&offset=0&limit=5", headers=ADMIN)
    assert allowed.status_code == 200 and allowed.json()["userId"] == 1
    assert read_models.asked[-1] == ("history", (1, 0, 5))


@pytest.mark.parametrize(
    "path",
    [
        "/api/orders/history?offset=-1",
        "/api/orders/history?limit=101",
        "/api/orders/history?limit=0",
        "/api/admin/sales?from=2026-12-02&to=2026-12-01",
        "/api/admin/sales?from=2025-01-01&to=2026-01-02",
        "/api/admin/sales?from=2026-12-01",
        "/api/admin/orders?from=2026-12-02&to=2026-12-01",
        "/api/admin/orders?minAmount=10&maxAmount=5",
        "/api/admin/orders?minAmount=-1",
        "/api/admin/orders?limit=500",
    ],
)
async def test_bad_ranges_and_pages_are_400_problems(client: httpx.AsyncClient, path: str) -> None:
    body = problem(await client.get(path, headers=ADMIN), 400)
    assert body["status"] == 400 and body["detail"]


async def test_sales_and_search_are_for_admin(
    client: httpx.AsyncClient, read_models: FakeReadModels
) -> None:
    sales = "/api/admin/sales?from=2026-01-01&to=2026-12-31&productId=10"
    assert (await client.get(sales, headers=ADA)).status_code == 403
    response = await client.get(sales, headers=ADMIN)
    assert response.status_code == 200, response.text
    assert response.json()["rows"] == [
        {"day": "2026-12-01", "productId": 10, "currency": "USD", "quantity": 2,
         "revenue": "39.98", "orders": 1}
    ]  # fmt: skip
    assert read_models.asked[-1] == ("sales", (date(2026, 1, 1), date(2026, 12, 31), 10))
    search = "/api/admin/orders?status=PAID&from=2026-12-01&to=2026-12-01&minAmount=1"
    assert (await client.get(search, headers=ADA)).status_code == 403
    found = await client.get(search, headers=ADMIN)
    assert found.status_code == 200 and found.json()["orders"][0]["orderId"] == 5
    asked = read_models.asked[-1][1]
    assert isinstance(asked, OrderQuery)
    assert (asked.status, asked.created_from, asked.min_amount) == (
        "PAID", date(2026, 12, 1), Decimal("1")
    )  # fmt: skip


async def test_projection_admin_routes_need_a_runner_and_an_operator(
    client: httpx.AsyncClient,
) -> None:
    assert (await client.get("/admin/projections", headers=ADA)).status_code == 403
    answer = await client.post("/admin/projections/order_history/rebuild", headers=ADMIN)
    assert answer.status_code == 503  # this bus has no runner
