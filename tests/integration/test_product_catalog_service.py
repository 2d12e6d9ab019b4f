"""product-catalog against the real platform: MySQL products + outbox, Mongo reviews, the
Redis L2 cache and Kafka, with a real user-auth next to it for review validation."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from confluent_kafka import Consumer, Producer
from ecomkit.contracts import InventoryUpdated
from ecomkit.events import Envelope, encode
from test_user_auth_service import (
    auth,
    new_migrated_database,
    register_and_login,
    start_service,
)

WAIT_S = 45


class Stack:
    def __init__(self, tmp: Path, mysql_url: str, mongo_url: str, redis_url: str, kafka: str):
        self.tmp, self.kafka = tmp, kafka
        self.users_db = new_migrated_database(mysql_url, "user-auth")
        self.products_db = new_migrated_database(mysql_url, "product-catalog")
        self.user_auth = start_service("user-auth", {"ECOM_DATABASE_URL": self.users_db}, tmp)
        self.catalog_env = {
            "ECOM_DATABASE_URL": self.products_db,
            "ECOM_MONGO_URL": f"{mongo_url.rstrip('/')}/reviews_{uuid.uuid4().hex[:8]}",
            "ECOM_REDIS_URL": redis_url,
            "ECOM_KAFKA_BOOTSTRAP": kafka,
            # A name of its own: its cache keys and consumer group are not shared with
            # another run against the same Redis and Kafka.
            "ECOM_SERVICE_NAME": "product-catalog-" + uuid.uuid4().hex[:6],
            "ECOM_UPSTREAMS": json.dumps({"user-auth": self.user_auth.url}),
        }
        self.catalog = start_service("product-catalog", self.catalog_env, tmp)
        self.admin = register_and_login(self.user_auth.url, admin_db=self.users_db)
        self.user = register_and_login(self.user_auth.url)

    def close(self) -> None:
        self.catalog.stop()
        self.user_auth.stop()


@pytest.fixture(scope="module")
def stack(
    tmp_path_factory: pytest.TempPathFactory,
    mysql_url: str,
    mongo_url: str,
    redis_url: str,
    kafka_bootstrap: str,
) -> Iterator[Stack]:
    running = Stack(tmp_path_factory.mktemp("pc"), mysql_url, mongo_url, redis_url, kafka_bootstrap)
    yield running
    running.close()


def catalog(stack: Stack) -> httpx.Client:
    return httpx.Client(base_url=stack.catalog.url, timeout=10)


def new_product(stack: Stack, **extra: Any) -> dict[str, Any]:
    body = {
        "sku": "it-" + uuid.uuid4().hex[:10],
        "name": "Integration widget",
        "price": "19.90",
        **extra,
    }
    with catalog(stack) as client:
        created = client.post("/api/products", json=body, headers=auth(stack.admin))
    assert created.status_code == 201, created.text
    product: dict[str, Any] = created.json()
    return product


def find_event(kafka: str, topic: str, match: Any) -> tuple[dict[str, Any], dict[str, bytes]]:
    consumer = Consumer(
        {
            "bootstrap.servers": kafka,
            "group.id": "it-" + uuid.uuid4().hex,
            "auto.offset.reset": "earliest",
        }
    )
    consumer.subscribe([topic])
    try:
        deadline = time.monotonic() + WAIT_S
        while time.monotonic() < deadline:
            message = consumer.poll(1.0)
            if message is None or message.error():
                continue
            envelope = json.loads(message.value() or b"null")
            if envelope and match(envelope):
                raw: list[Any] = list(message.headers() or [])
                headers = {str(k): v for k, v in raw}
                return envelope, headers
    finally:
        consumer.close()
    raise AssertionError(f"no matching event on {topic} within {WAIT_S} s")


def test_crud_needs_admin_and_cache_shows_in_header(stack: Stack) -> None:
    body = {"sku": "it-" + uuid.uuid4().hex[:10], "name": "x", "price": "1.00"}
    with catalog(stack) as client:
        assert client.post("/api/products", json=body, headers=auth(stack.user)).status_code == 403
        product = new_product(stack)
        path = f"/api/products/{product['id']}"
        first, second = client.get(path), client.get(path)
        assert first.headers["X-Cache"] == "MISS"
        assert second.headers["X-Cache"] in {"HIT-L1", "HIT-L2"}
        assert first.json() == second.json() == product
        renamed = client.put(
            path, json={"name": "Renamed", "brand": " Acme "}, headers=auth(stack.admin)
        )
        assert renamed.status_code == 200 and renamed.json()["brand"] == "Acme"
        after = client.get(path)
        assert after.headers["X-Cache"] == "MISS" and after.json()["name"] == "Renamed"
        assert after.json()["brand"] == "Acme"  # stored in MariaDB (V6)
        blank = client.put(path, json={"brand": " "}, headers=auth(stack.admin))
        assert blank.status_code == 422 and blank.json()["errors"]
        metrics = client.get("/metrics").text
        assert 'product_cache_lookups_total{result="hit_l1"}' in metrics
        assert client.delete(path, headers=auth(stack.user)).status_code == 403
        assert client.delete(path, headers=auth(stack.admin)).status_code == 204
        assert client.get(path).status_code == 404


def test_list_search_and_injection(stack: Stack) -> None:
    marker = uuid.uuid4().hex[:8]
    new_product(stack, name=f"Lamp {marker}")
    with catalog(stack) as client:
        page = client.get("/api/products", params={"name": marker}).json()
        assert page["total"] == 1 and page["items"][0]["name"] == f"Lamp {marker}"
        sneaky = client.get("/api/products", params={"name": "' OR '1'='1"})
        assert sneaky.status_code == 200 and sneaky.json()["total"] == 0
        assert client.get("/api/products/1 OR 1=1").status_code == 422


def test_review_event_and_rating(stack: Stack) -> None:
    product = new_product(stack)
    with catalog(stack) as client:
        body = {"productId": product["id"], "rating": 4, "comment": "solid"}
        created = client.post("/api/reviews", json=body, headers=auth(stack.user))
        assert created.status_code == 201, created.text
        review = created.json()
        second = client.post("/api/reviews", json={**body, "rating": 5}, headers=auth(stack.admin))
        assert second.status_code == 201, second.text
        rating = client.get(f"/api/products/{product['id']}/rating").json()
        assert rating == {"productId": product["id"], "average": 4.5, "count": 2}
        listed = client.get(f"/api/products/{product['id']}/reviews").json()
        assert {r["id"] for r in listed} == {review["id"], second.json()["id"]}
        missing = client.post(
            "/api/reviews", json={**body, "userId": 999_999_999}, headers=auth(stack.admin)
        )
        assert missing.status_code == 422
    envelope, headers = find_event(
        stack.kafka, "review-added-events", lambda e: e["data"].get("reviewId") == review["id"]
    )
    assert envelope["type"] == "ReviewAdded" and envelope["source"] == "product-catalog"
    assert envelope["subject"] == str(product["id"]) and envelope["schema_version"] == 1
    assert set(envelope) >= {"id", "type", "source", "time", "subject", "data"}
    assert envelope["data"]["rating"] == 4 and headers["event-type"] == b"ReviewAdded"


def test_inventory_updated_evicts_the_cache(stack: Stack) -> None:
    product = new_product(stack)
    path = f"/api/products/{product['id']}"
    with catalog(stack) as client:
        client.get(path)
        assert client.get(path).headers["X-Cache"].startswith("HIT")
        # As inventory publishes it: snake_case `product_id`, which the catalog reads now
        # (it used to look for `productId` and fall back on the subject).
        event = InventoryUpdated(
            product_id=product["id"], available_stock=3, reserved_stock=0, sold_stock=0
        ).to_event()
        envelope = Envelope(type=event.type, source="inventory", data=event.data)
        producer = Producer({"bootstrap.servers": stack.kafka})
        producer.produce(
            str(InventoryUpdated.topic),
            encode(envelope),
            key=event.key.encode(),
            headers={"event-type": event.type},
        )
        producer.flush(10)
        deadline = time.monotonic() + WAIT_S
        while client.get(path).headers["X-Cache"] != "MISS":
            assert time.monotonic() < deadline, "InventoryUpdated did not evict the product"
            time.sleep(0.5)


def test_with_stock_without_inventory(stack: Stack) -> None:
    product = new_product(stack)
    with catalog(stack) as client:
        body = client.get(f"/api/products/{product['id']}/with-stock").json()
    assert body["stock"] is None and body["stockStatus"] == "unavailable"


def test_bad_tokens_and_oversized_payloads(stack: Stack) -> None:
    product = new_product(stack)
    with catalog(stack) as client:
        body = {"productId": product["id"], "rating": 3}
        for token in ("garbage", stack.user["accessToken"][:-3] + "abc"):
            bad = client.post(
                "/api/reviews", json=body, headers={"Authorization": f"Bearer {token}"}
            )
            assert bad.status_code == 401
        huge = client.post(
            "/api/products",
            content=b'{"name": "' + b"x" * 2_000_000 + b'"}',
            headers={**auth(stack.admin), "Content-Type": "application/json"},
        )
        assert huge.status_code == 413


def test_review_while_user_auth_is_down_is_503(stack: Stack) -> None:
    """Last: stops the module's user-auth."""
    product = new_product(stack)
    stack.user_auth.stop()
    with catalog(stack) as client:
        body = {"productId": product["id"], "rating": 2}
        down = client.post("/api/reviews", json=body, headers=auth(stack.user))
        assert down.status_code == 503
        assert down.headers["content-type"].startswith("application/problem+json")
        assert client.get(f"/api/products/{product['id']}").status_code == 200
