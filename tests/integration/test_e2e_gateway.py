"""Issue 4 end to end: a client drives the platform `ecomctl up` started, via the gateway only."""

from __future__ import annotations

import json
import os
import signal
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from confluent_kafka import Consumer, TopicPartition

from tests.integration.conftest import Platform

PASSWORD = "Sturdy-pass-42!"


@pytest.fixture(scope="module")
def gateway(platform: Platform) -> httpx.Client:
    with httpx.Client(base_url=f"http://127.0.0.1:{platform.port('gateway')}", timeout=15) as c:
        yield c


@pytest.fixture(scope="module")
def admin_token(platform: Platform, gateway: httpx.Client) -> str:
    username = f"admin{uuid.uuid4().hex[:8]}"
    result = platform.ecomctl(
        "users", "create-admin", "--username", username, "--password", PASSWORD
    )
    assert result.returncode == 0, result.stderr
    return login(gateway, username)["accessToken"]


def register(gateway: httpx.Client) -> tuple[str, dict[str, Any]]:
    """A new account's username and profile (registration itself answers 202, no id)."""
    username = f"user{uuid.uuid4().hex[:10]}"
    response = gateway.post(
        "/api/auth/register",
        json={
            "username": username,
            "email": f"{username}@example.com",
            "password": PASSWORD,
        },
    )
    assert response.status_code == 202, response.text
    token = login(gateway, username)["accessToken"]
    profile = gateway.get("/api/users/profile", headers=bearer(token))
    assert profile.status_code == 200, profile.text
    return username, profile.json()


def login(gateway: httpx.Client, username: str) -> dict[str, Any]:
    response = gateway.post("/api/auth/login", json={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_register_login_refresh_and_reuse_detection(gateway: httpx.Client) -> None:
    username, _ = register(gateway)
    again = {"username": username, "email": "other@example.com", "password": PASSWORD}
    assert gateway.post("/api/auth/register", json=again).status_code == 202  # tells nothing
    weak = gateway.post(
        "/api/auth/register", json={"username": "x", "email": "nope", "password": "1"}
    )
    assert weak.status_code == 422 and weak.json()["errors"]
    first = login(gateway, username)
    rotated = gateway.post("/api/auth/refresh", json={"refreshToken": first["refreshToken"]})
    assert rotated.status_code == 200
    second = rotated.json()
    # Presenting the consumed token again revokes the whole family, the new token included.
    reuse = gateway.post("/api/auth/refresh", json={"refreshToken": first["refreshToken"]})
    assert reuse.status_code == 401
    assert (
        gateway.post("/api/auth/refresh", json={"refreshToken": second["refreshToken"]}).status_code
        == 401
    )
    profile = gateway.get("/api/users/profile", headers=bearer(second["accessToken"]))
    assert profile.status_code == 200 and profile.json()["username"] == username


def test_products_reviews_cache_and_review_event(
    platform: Platform, gateway: httpx.Client, admin_token: str, kafka_bootstrap: str
) -> None:
    username, user = register(gateway)
    user_token = login(gateway, username)["accessToken"]
    product = {
        "sku": f"SKU-{uuid.uuid4().hex[:8]}",
        "name": "Trail shoe",
        "description": "grippy",
        "price": "89.90",
        "category": "shoes",
    }
    assert (
        gateway.post("/api/products", json=product, headers=bearer(user_token)).status_code == 403
    )
    created = gateway.post("/api/products", json=product, headers=bearer(admin_token))
    assert created.status_code == 201, created.text
    product_id = created.json()["id"]

    first = gateway.get(f"/api/products/{product_id}")
    second = gateway.get(f"/api/products/{product_id}")
    assert first.status_code == second.status_code == 200
    assert "MISS" in first.headers.get_list("x-cache")
    assert any(value.startswith("HIT") for value in second.headers.get_list("x-cache"))

    consumer = _consumer_at_end(kafka_bootstrap, "review-added-events")
    try:
        review = gateway.post(
            "/api/reviews",
            headers=bearer(user_token),
            json={
                "productId": product_id,
                "rating": 4,
                "comment": "comfortable",
            },
        )
        assert review.status_code == 201, review.text
        envelope = _next_event(consumer, lambda e: e["data"].get("productId") == product_id)
    finally:
        consumer.close()
    assert envelope["type"] == "ReviewAdded" and envelope["schema_version"] == 1
    assert {"id", "type", "source", "time", "subject", "data"} <= set(envelope)
    assert envelope["data"]["userId"] == user["id"] and envelope["data"]["rating"] == 4

    rating = gateway.get(f"/api/products/{product_id}/rating")
    assert rating.json()["count"] == 1 and rating.json()["average"] == 4


def found_by_search(gateway: httpx.Client, word: str, total: int, **filters: str) -> dict[str, Any]:
    """Polls /api/search/products until `total` products match `word` (30 s at most)."""
    deadline, body = time.monotonic() + 30, {}
    while time.monotonic() < deadline:
        answer = gateway.get("/api/search/products", params={"q": word, **filters})
        if answer.status_code == 200:
            body = answer.json()
            if body["total"] == total:
                return body
        time.sleep(0.2)
    raise AssertionError(f"search for {word!r} did not find {total} in 30 s: {body}")


def test_catalog_changes_reach_search_through_kafka(
    gateway: httpx.Client, admin_token: str
) -> None:
    """Catalog API -> outbox -> Kafka -> product-search -> OpenSearch -> gateway."""
    word = "e2e" + uuid.uuid4().hex[:8]
    brand = f"Lumen {word}"
    created = gateway.post(
        "/api/products",
        json={"sku": word, "name": f"{word} desk lamp", "price": "24.50", "category": "Lighting",
              "brand": brand},
        headers=bearer(admin_token),
    )  # fmt: skip
    assert created.status_code == 201, created.text
    pid = created.json()["id"]
    body = found_by_search(gateway, word, 1)
    assert body["items"][0]["id"] == pid and body["items"][0]["name"] == f"{word} desk lamp"
    assert body["items"][0]["brand"] == brand
    assert body["facets"]["brand"] == [{"value": brand.lower(), "count": 1}]
    by_brand = gateway.get("/api/search/products", params={"brand": brand.upper()}).json()
    assert [item["id"] for item in by_brand["items"]] == [pid]
    suggested = gateway.get("/api/search/suggest", params={"q": f"{word} de"}).json()
    assert [s["id"] for s in suggested["suggestions"]] == [pid]
    renamed = gateway.put(
        f"/api/products/{pid}",
        json={"name": f"{word}x floor lamp", "brand": f"Other {word}"},
        headers=bearer(admin_token),
    )
    assert renamed.status_code == 200, renamed.text
    # By the new brand: "<word>x" alone also finds the old name (one typo away).
    moved = found_by_search(gateway, f"{word}x", 1, brand=f"Other {word}")
    assert moved["items"][0]["name"] == f"{word}x floor lamp"
    assert gateway.get("/api/search/products", params={"brand": brand}).json()["total"] == 0
    deleted = gateway.delete(f"/api/products/{pid}", headers=bearer(admin_token))
    assert deleted.status_code in (200, 204), deleted.text
    found_by_search(gateway, f"{word}x", 0)


def test_bad_tokens_are_rejected_at_the_gateway(gateway: httpx.Client, admin_token: str) -> None:
    header, payload, signature = admin_token.split(".")
    tampered = f"{header}.{payload[:-2]}xx.{signature}"
    unsigned = f"eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.{payload}."
    for token in (tampered, unsigned, "not-a-jwt"):
        response = gateway.get("/api/users/profile", headers=bearer(token))
        assert response.status_code == 401, token
        assert response.headers["content-type"].startswith("application/problem+json")


def test_rate_limit_answers_429_with_retry_after(gateway: httpx.Client) -> None:
    username, _ = register(gateway)
    token = login(gateway, username)["accessToken"]

    def one(_: int) -> httpx.Response:
        # A cheap route (the gateway's response cache answers it), so the burst can outrun
        # the per-user rate (100/s, burst 200) even on a busy 2-core machine.
        return gateway.get("/api/products", params={"page": 0}, headers=bearer(token))

    responses: list[httpx.Response] = []
    with ThreadPoolExecutor(max_workers=16) as pool:
        while len(responses) < 4000 and not any(r.status_code == 429 for r in responses):
            responses += pool.map(one, range(400))
    limited = [r for r in responses if r.status_code == 429]
    assert limited, sorted({r.status_code for r in responses})
    assert all(int(r.headers["retry-after"]) >= 1 for r in limited)
    assert limited[0].headers["content-type"].startswith("application/problem+json")
    assert all(r.status_code in (200, 429) for r in responses)


def test_breaker_opens_when_a_service_dies_and_closes_after_it_returns(
    platform: Platform, gateway: httpx.Client
) -> None:
    rows = {
        c["name"]: c for c in json.loads(platform.ecomctl("status", "--json").stdout)["components"]
    }
    os.kill(rows["product-catalog"]["pid"], signal.SIGKILL)
    fallback = None
    for _ in range(30):
        response = gateway.get("/api/products", params={"page": 0, "q": uuid.uuid4().hex})
        if response.status_code == 503 and response.json().get("fallback"):
            fallback = response
            break
    assert fallback is not None, "the breaker never served its fallback"
    assert fallback.json()["upstream"] == "product-catalog"
    assert platform.ecomctl("up", "--yes", "--port-offset", str(platform.offset)).returncode == 0
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if gateway.get("/api/products", params={"q": uuid.uuid4().hex}).status_code == 200:
            return
        time.sleep(1)
    pytest.fail("product-catalog did not come back through the gateway")


def _consumer_at_end(bootstrap: str, topic: str) -> Consumer:
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"e2e-{uuid.uuid4().hex}",
            "enable.auto.commit": False,
        }
    )
    metadata = consumer.list_topics(topic, timeout=10).topics[topic]
    partitions = []
    for pid in metadata.partitions:
        _, high = consumer.get_watermark_offsets(TopicPartition(topic, pid), timeout=10)
        partitions.append(TopicPartition(topic, pid, high))
    consumer.assign(partitions)
    return consumer


def _next_event(consumer: Consumer, wanted: Any, timeout_s: float = 30) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        message = consumer.poll(1.0)
        if message is None or message.error():
            continue
        envelope: dict[str, Any] = json.loads(message.value())
        if wanted(envelope):
            return envelope
    raise AssertionError("the event never arrived on Kafka")
