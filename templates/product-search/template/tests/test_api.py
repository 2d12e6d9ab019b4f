"""The HTTP surface with the fake index: answers, 400 problem bodies, 503 when down."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from ecomkit.testing.fixtures import problem
from fastapi.testclient import TestClient

from product_search.bootstrap import bootstrap
from product_search.entrypoints.app import create_app
from product_search.settings import Settings
from tests.contracts import product
from tests.fakes import FakeSearchIndex


@pytest.fixture
def index() -> FakeSearchIndex:
    return FakeSearchIndex()


@pytest.fixture
def client(index: FakeSearchIndex) -> Iterator[TestClient]:
    settings = Settings(consume_events=False)
    with TestClient(create_app(settings, bus=bootstrap(settings, index=index))) as client:
        yield client


def test_search_answers_items_and_facets(client: TestClient, index: FakeSearchIndex) -> None:
    change = product(1, name="Red kettle", category="Kitchen")
    index.docs[change.product_id] = {**change.fields, "product_version": 1}
    answer = client.get("/api/search/products", params={"q": "kettle"})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["total"] == 1 and body["items"][0]["name"] == "Red kettle"
    assert body["facets"]["category"] == [{"value": "kitchen", "count": 1}]
    assert body["didYouMean"] is None and "tookMs" in body


@pytest.mark.parametrize(
    "query",
    [
        "price_min=10&price_max=5",
        "size=101",
        "sort=cheapest",
        "q=" + "x" * 10_000,
        "page=abc",
        "size=5&size=6",
    ],
)
def test_bad_input_is_a_400_problem(client: TestClient, query: str) -> None:
    assert problem(client.get(f"/api/search/products?{query}"), 400)["status"] == 400


def test_suggest(client: TestClient, index: FakeSearchIndex) -> None:
    change = product(1, name="Kettle black")
    index.docs[change.product_id] = dict(change.fields)
    answer = client.get("/api/search/suggest", params={"q": "ket"})
    assert answer.status_code == 200
    assert answer.json()["suggestions"] == [{"id": change.product_id, "name": "Kettle black"}]
    assert client.get("/api/search/suggest").status_code == 400


def test_index_down_is_a_503_problem(client: TestClient, index: FakeSearchIndex) -> None:
    index.available = False
    answer = client.get("/api/search/products", params={"q": "kettle"})
    assert answer.status_code == 503
    assert answer.json()["title"] == "Service Unavailable"
    assert "Retry-After" in answer.headers
