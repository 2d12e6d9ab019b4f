"""The HTTP contract on fakes: RBAC, X-Cache, problems, reviews."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from ecomkit.testing import TestAuth
from ecomkit.testing.fixtures import api_client

from product_catalog.entrypoints.app import create_app
from product_catalog.service_layer.handlers import Dependencies
from product_catalog.service_layer.messagebus import MessageBus
from product_catalog.settings import Settings
from tests.fakes import FakeUserDirectory

pytestmark = pytest.mark.anyio

AUTH = TestAuth(Settings)
SETTINGS = AUTH.settings
ADMIN = AUTH.bearer(2, "ADMIN", "USER", username="boss")
USER = AUTH.bearer(1, username="ada")
WIDGET = {"sku": "W-1", "name": "Widget", "price": "9.99", "category": "tools"}


@pytest.fixture
async def client(bus: MessageBus) -> AsyncIterator[httpx.AsyncClient]:
    async with api_client(create_app(SETTINGS, bus=bus)) as client:
        yield client


async def create(client: httpx.AsyncClient) -> int:
    response = await client.post("/api/products", json=WIDGET, headers=ADMIN)
    assert response.status_code == 201, response.text
    product_id: int = response.json()["id"]
    return product_id


async def test_writes_need_admin(client: httpx.AsyncClient) -> None:
    assert (await client.post("/api/products", json=WIDGET)).status_code == 401
    assert (await client.post("/api/products", json=WIDGET, headers=USER)).status_code == 403
    product_id = await create(client)
    assert (await client.post("/api/products", json=WIDGET, headers=ADMIN)).status_code == 409
    path = f"/api/products/{product_id}"
    assert (await client.put(path, json={"name": "x"}, headers=USER)).status_code == 403
    assert (await client.delete(path, headers=USER)).status_code == 403
    assert (await client.put(path, json={"price": "5"}, headers=ADMIN)).json()["price"] == "5.00"
    assert (await client.delete(path, headers=ADMIN)).status_code == 204
    assert (await client.get(path)).status_code == 404


async def test_second_get_is_a_cache_hit(client: httpx.AsyncClient) -> None:
    product_id = await create(client)
    first = await client.get(f"/api/products/{product_id}")
    second = await client.get(f"/api/products/{product_id}")
    assert first.headers["X-Cache"] == "MISS" and second.headers["X-Cache"] == "HIT-L1"
    assert first.json() == second.json()
    assert second.json()["imageUrl"] is None and second.json()["price"] == "9.99"


@pytest.mark.parametrize(
    "body",
    [{**WIDGET, "price": "-1"}, {**WIDGET, "price": "1.999"}, {**WIDGET, "sku": "a b"},
     {**WIDGET, "currency": "usd"}, {"name": "no sku", "price": "1"},
     {**WIDGET, "brand": ""}, {**WIDGET, "brand": "  "}, {**WIDGET, "brand": "x" * 101},
     {**WIDGET, "brand": "Ac\nme"}, {**WIDGET, "brand": 7}],
)
async def test_bad_products_are_422(client: httpx.AsyncClient, body: dict[str, str]) -> None:
    response = await client.post("/api/products", json=body, headers=ADMIN)
    assert response.status_code == 422 and response.json()["errors"]


async def test_brand_is_kept_trimmed_and_updated(client: httpx.AsyncClient) -> None:
    created = await client.post("/api/products", json={**WIDGET, "brand": " Acme "}, headers=ADMIN)
    assert created.status_code == 201 and created.json()["brand"] == "Acme"
    path = f"/api/products/{created.json()['id']}"
    renamed = await client.put(path, json={"brand": "Bolt & Co"}, headers=ADMIN)
    assert renamed.json()["brand"] == "Bolt & Co"
    assert (await client.put(path, json={"brand": ""}, headers=ADMIN)).status_code == 422
    kept = await client.put(path, json={"price": "3"}, headers=ADMIN)  # absent: unchanged
    assert kept.json()["brand"] == "Bolt & Co"
    assert (await client.get(path)).json()["brand"] == "Bolt & Co"


async def test_list_and_search(client: httpx.AsyncClient) -> None:
    await create(client)
    page = (await client.get("/api/products", params={"name": "idg", "size": 5})).json()
    assert page["total"] == 1 and page["items"][0]["sku"] == "W-1"
    injected = await client.get("/api/products", params={"name": "' OR 1=1 --"})
    assert injected.status_code == 200 and injected.json()["total"] == 0


async def test_reviews_and_rating(client: httpx.AsyncClient, deps: Dependencies) -> None:
    product_id = await create(client)
    body = {"productId": product_id, "rating": 4, "comment": "good"}
    assert (await client.post("/api/reviews", json=body)).status_code == 401
    created = await client.post("/api/reviews", json=body, headers=USER)
    assert created.status_code == 201 and created.json()["userId"] == 1
    assert isinstance(deps.users, FakeUserDirectory)
    assert deps.users.calls[-1] == (1, USER["Authorization"])  # the caller's token travels
    other = await client.post("/api/reviews", json={**body, "userId": 2}, headers=USER)
    assert other.status_code == 403
    unknown = await client.post("/api/reviews", json={**body, "userId": 77}, headers=ADMIN)
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "userId"
    bad = await client.post("/api/reviews", json={**body, "rating": 6}, headers=USER)
    assert bad.status_code == 422
    rating = (await client.get(f"/api/products/{product_id}/rating")).json()
    assert rating == {"productId": product_id, "average": 4.0, "count": 1}
    listed = (await client.get(f"/api/products/{product_id}/reviews")).json()
    assert [r["comment"] for r in listed] == ["good"]
    deps.users.down = True
    down = await client.post("/api/reviews", json=body, headers=USER)
    assert down.status_code == 503 and down.headers["Retry-After"]


async def test_with_stock_when_inventory_is_missing(
    client: httpx.AsyncClient, deps: Dependencies
) -> None:
    product_id = await create(client)
    deps.stock.running = False  # type: ignore[attr-defined]
    body = (await client.get(f"/api/products/{product_id}/with-stock")).json()
    assert body["stock"] is None and body["stockStatus"] == "unavailable"


async def test_oversized_body_is_413(client: httpx.AsyncClient) -> None:
    huge = {**WIDGET, "description": "x" * (SETTINGS.max_body_bytes + 1)}
    response = await client.post("/api/products", json=huge, headers=ADMIN)
    assert response.status_code == 413
