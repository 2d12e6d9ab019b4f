"""The HTTP contract: what is recommended, to whom, and 400 problems for bad input."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest
from ecomkit.testing import TestAuth
from ecomkit.testing.fixtures import api_client, problem

from recommendation.bootstrap import bootstrap
from recommendation.entrypoints.app import create_app
from recommendation.settings import Settings
from tests.fakes import FakeStore, UowFactory

pytestmark = pytest.mark.anyio

AUTH = TestAuth(Settings)
SETTINGS = AUTH.settings

bearer = AUTH.bearer


ADMIN, SHOPPER, OTHER, NEWCOMER = bearer(1, "ADMIN"), bearer(3), bearer(4), bearer(99)
# Shoppers 3-6 buy camping gear (10-13); 7-8 buy books (20-21); product 13 sold out.
BASKETS = {3: [10, 11], 4: [10, 11, 12, 13], 5: [11, 12, 13], 6: [10, 12], 7: [20, 21], 8: [20]}


@pytest.fixture
async def client(store: FakeStore, uow: UowFactory) -> AsyncIterator[httpx.AsyncClient]:
    for order, (user, basket) in enumerate(BASKETS.items(), start=100):
        store.lines.update({(order, product): user for product in basket})
        store.paid.add(order)
    store.stock[13] = (0, datetime(2026, 1, 1, tzinfo=UTC))
    bus = bootstrap(SETTINGS, uow=uow)
    async with api_client(create_app(SETTINGS, bus=bus)) as client:
        assert (await client.post("/api/admin/recommendations/train", headers=ADMIN)).is_success
        yield client


async def test_recommendations_leave_out_what_was_bought_and_what_is_sold_out(
    client: httpx.AsyncClient,
) -> None:
    answer = await client.get("/api/recommendations/3", params={"k": 3}, headers=SHOPPER)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["productIds"][0] == 12 and not {10, 11, 13} & set(body["productIds"])
    assert body["coldStart"] is False and body["trainedAt"]


async def test_a_new_user_gets_popular_products(client: httpx.AsyncClient) -> None:
    body = (await client.get("/api/recommendations/99", headers=NEWCOMER)).json()
    assert body["coldStart"] is True and body["productIds"][:2] == [10, 11]
    assert 13 not in body["productIds"]


async def test_only_the_user_or_an_admin(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/recommendations/3")).status_code == 401
    assert (await client.get("/api/recommendations/3", headers=OTHER)).status_code == 403
    assert (await client.get("/api/recommendations/3", headers=ADMIN)).status_code == 200
    train = await client.post("/api/admin/recommendations/train", headers=SHOPPER)
    assert train.status_code == 403


async def test_similar_products_for_anyone(client: httpx.AsyncClient) -> None:
    body = (await client.get("/api/products/20/similar")).json()
    assert body["productIds"][0] == 21 and body["coldStart"] is False
    assert 13 not in body["productIds"]
    unknown = (await client.get("/api/products/555/similar", params={"k": 2})).json()
    assert unknown["coldStart"] is True and unknown["productIds"] == [10, 11]


@pytest.mark.parametrize(
    "path",
    [
        "/api/recommendations/3?k=101",
        "/api/recommendations/3?k=0",
        "/api/recommendations/3?k=ten",
        "/api/recommendations/3?k=1&k=2",
        "/api/recommendations/abc",
        "/api/recommendations/-3",
        "/api/recommendations/99999999999999999999",
        "/api/products/x1/similar",
        "/api/products/1/similar?k=1000",
        "/api/products/1/similar?k=" + "9" * 5000,
        "/api/products/1/similar?k=",
        "/api/recommendations/\u0663",
    ],
)
async def test_bad_input_is_a_400_problem(client: httpx.AsyncClient, path: str) -> None:
    body = problem(await client.get(path, headers=ADMIN), 400)
    assert body["errors"][0]["field"] in ("k", "userId", "productId")
