"""order against the real platform: PostgreSQL + outbox + Kafka, with real user-auth and
product-catalog next to it (user and prices validated over HTTP). OrderCreated leaves with
the envelope; saga events drive the state machine; a redelivered event has no second
effect; an order past its deadline is cancelled; the storage contract holds on PostgreSQL."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pymysql
import pytest
from ecomkit.contracts import (
    InventoryReservationFailed,
    InventoryReserved,
    PaymentCompleted,
    PaymentFailed,
    ReservedItem,
    Shortage,
    Topic,
)
from saga_support import (
    contract_event,
    event_for,
    high_id,
    new_migrated_postgres,
    publish_event,
    service_env,
    template_contracts,
    wait_for,
    wait_group_stable,
)
from test_kit_support import anyio_backend
from test_product_catalog_service import Stack, new_product
from test_user_auth_service import RunningService, auth, start_service

from ecomctl.migrate import parse_url
from tests.integration.conftest import use_infra_only_platform

# This module runs its own copies of saga services: keep the platform's copies away from
# its events (tests/integration/conftest.py, infra_only_platform).
platform, postgres_url, mysql_url, kafka_bootstrap, mongo_url, redis_url = use_infra_only_platform()

__all__ = ["anyio_backend"]


class Orders:
    def __init__(self, tmp: Path, stack: Stack, postgres_url: str, kafka: str) -> None:
        self.stack, self.kafka = stack, kafka
        _sql_mysql(stack.products_db, f"ALTER TABLE products AUTO_INCREMENT = {high_id()}")
        self.db = new_migrated_postgres(postgres_url, "order")
        self.sql(f"ALTER SEQUENCE orders_id_seq RESTART WITH {high_id()}")
        upstreams = {"user-auth": stack.user_auth.url, "product-catalog": stack.catalog.url}
        self.env = service_env(
            "order",
            self.db,
            kafka,
            ECOM_UPSTREAMS=json.dumps(upstreams),
            ECOM_SAGA_SWEEP_INTERVAL_S="0.5",
        )
        self.service: RunningService = start_service("order", self.env, tmp)
        wait_group_stable(kafka, self.env["ECOM_SERVICE_NAME"])

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.service.url, timeout=30)

    def sql(self, statement: str, *args: Any) -> list[tuple[Any, ...]]:
        url = parse_url(self.db)
        with psycopg.connect(
            host=url.host,
            port=url.port,
            user=url.user,
            password=url.password or None,
            dbname=url.database,
            autocommit=True,
        ) as conn:
            cursor = conn.execute(statement.encode(), args or None)
            return list(cursor.fetchall()) if cursor.description else []

    def place(self, *, quantity: int = 2, headers: dict[str, str] | None = None) -> dict[str, Any]:
        product = new_product(self.stack, price="19.90")
        body = {
            "items": [{"productId": product["id"], "quantity": quantity}],
            "paymentMethodId": "pm_card_visa",
        }
        with self.client() as client:
            created = client.post(
                "/api/orders", json=body, headers={**auth(self.stack.user), **(headers or {})}
            )
        assert created.status_code == 201, created.text
        order: dict[str, Any] = created.json()
        return order

    def get(self, order_id: int) -> dict[str, Any]:
        with self.client() as client:
            found = client.get(f"/api/orders/{order_id}", headers=auth(self.stack.user))
        assert found.status_code == 200, found.text
        body: dict[str, Any] = found.json()
        return body

    def history(self, order_id: int) -> list[str]:
        rows = self.sql(
            "SELECT event_type FROM order_events WHERE order_id = %s ORDER BY id", order_id
        )
        return [r[0] for r in rows]


def _sql_mysql(url_text: str, statement: str) -> None:
    url = parse_url(url_text)
    conn = pymysql.connect(
        host=url.host,
        port=url.port,
        user=url.user,
        password=url.password,
        database=url.database,
        autocommit=True,
    )
    try:
        conn.cursor().execute(statement)
    finally:
        conn.close()


@pytest.fixture(scope="module")
def orders(
    tmp_path_factory: pytest.TempPathFactory,
    mysql_url: str,
    mongo_url: str,
    redis_url: str,
    postgres_url: str,
    kafka_bootstrap: str,
) -> Iterator[Orders]:
    tmp = tmp_path_factory.mktemp("order")
    stack = Stack(tmp, mysql_url, mongo_url, redis_url, kafka_bootstrap)
    try:
        running = Orders(tmp, stack, postgres_url, kafka_bootstrap)
        yield running
        running.service.stop()
    finally:
        stack.close()


def status_is(orders: Orders, order_id: int, status: str) -> Callable[[], bool]:
    return lambda: orders.get(order_id)["status"] == status


# The saga's events as inventory and payment send them (their contracts), for an order the
# API returned.


def reserved(order: dict[str, Any]) -> InventoryReserved:
    items = [
        ReservedItem(product_id=i["productId"], quantity=i["quantity"], price=Decimal(i["price"]))
        for i in order["items"]
    ]
    return InventoryReserved(
        order_id=order["id"],
        user_id=order["userId"],
        items=items,
        total_amount=Decimal(order["totalAmount"]),
        currency=order["currency"],
        payment_method_id=order["paymentMethodId"],
        expires_at=datetime.now(UTC) + timedelta(minutes=15),
    )


def reservation_failed(order: dict[str, Any], reason: str) -> InventoryReservationFailed:
    short = Shortage(product_id=order["items"][0]["productId"], requested=2, available=0)
    return InventoryReservationFailed(
        order_id=order["id"], user_id=order["userId"], reason=reason, items=[short]
    )


def payment_completed(order: dict[str, Any], payment_id: str) -> PaymentCompleted:
    return PaymentCompleted(
        order_id=order["id"],
        user_id=order["userId"],
        payment_id=payment_id,
        amount=Decimal(order["totalAmount"]),
        currency=order["currency"],
        provider="stripe",
        provider_ref="pi_" + payment_id,
    )


def payment_failed(order: dict[str, Any], reason: str) -> PaymentFailed:
    return PaymentFailed(
        order_id=order["id"],
        user_id=order["userId"],
        payment_id="pay-" + uuid.uuid4().hex[:8],
        amount=Decimal(order["totalAmount"]),
        currency=order["currency"],
        reason=reason,
        decline_code="generic_decline",
    )


def test_order_created_leaves_with_the_envelope(orders: Orders) -> None:
    correlation = "it-" + uuid.uuid4().hex
    order = orders.place(headers={"X-Correlation-ID": correlation})
    assert order["status"] == "PENDING" and order["totalAmount"] == "39.80"
    assert order["items"][0]["price"] == "19.90" and order["sagaState"] == "STARTED"
    envelope, headers = event_for(orders.kafka, Topic.ORDER_CREATED, order["id"])
    assert envelope["type"] == "OrderCreated" and envelope["source"] == "order"
    assert envelope["subject"] == str(order["id"]) and envelope["schema_version"] == 1
    uuid.UUID(envelope["id"])
    data = envelope["data"]
    assert data["total_amount"] == "39.80" and data["currency"] == "USD"
    assert data["user_id"] == order["userId"] and data["email"] == orders.stack.user["email"]
    assert data["items"] == [
        {"product_id": order["items"][0]["productId"], "quantity": 2, "price": "19.90"}
    ]
    assert data["payment_method_id"] == "pm_card_visa"
    assert headers["event-type"] == b"OrderCreated"
    assert headers["correlation-id"] == correlation.encode()
    assert orders.history(order["id"]) == ["OrderCreated"]


def test_idempotency_key_returns_the_first_order(orders: Orders) -> None:
    product = new_product(orders.stack)
    body = {"items": [{"productId": product["id"], "quantity": 1}]}
    headers = {**auth(orders.stack.user), "Idempotency-Key": uuid.uuid4().hex}
    with orders.client() as client:
        first = client.post("/api/orders", json=body, headers=headers)
        again = client.post("/api/orders", json=body, headers=headers)
        other = client.post(
            "/api/orders",
            json={"items": [{"productId": product["id"], "quantity": 3}]},
            headers=headers,
        )
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"] and again.headers["Idempotent-Replayed"]
    assert other.status_code == 409
    keys = orders.sql(
        "SELECT COUNT(*) FROM idempotency_keys WHERE order_id = %s", first.json()["id"]
    )
    assert keys == [(1,)]


def test_unknown_product_is_refused(orders: Orders) -> None:
    with orders.client() as client:
        refused = client.post(
            "/api/orders",
            headers=auth(orders.stack.user),
            json={"items": [{"productId": high_id(), "quantity": 1}]},
        )
    assert refused.status_code == 422
    assert refused.headers["content-type"].startswith("application/problem+json")


def test_saga_events_pay_then_ship_and_redelivery_has_no_second_effect(orders: Orders) -> None:
    order = orders.place()
    oid = order["id"]
    reservation = contract_event(reserved(order))
    publish_event(orders.kafka, reservation)
    wait_for(lambda: orders.get(oid)["sagaState"] == "RESERVED", "reserved")
    paid = contract_event(payment_completed(order, "pay-" + uuid.uuid4().hex[:8]))
    publish_event(orders.kafka, paid)
    publish_event(orders.kafka, paid)  # redelivered
    publish_event(orders.kafka, reservation)
    wait_for(status_is(orders, oid, "PAID"), "paid")
    wait_for(
        lambda: (
            orders.sql("SELECT COUNT(*) FROM inbox WHERE event_id = %s", str(reservation.id))
            == [(1,)]
        ),
        "redelivery consumed",
    )
    envelope, _ = event_for(orders.kafka, Topic.ORDER_PAID, oid)
    assert envelope["data"] == {
        "order_id": oid,
        "user_id": order["userId"],
        "total_amount": "39.80",
        "currency": "USD",
    }
    with orders.client() as client:
        shipped = client.put(f"/api/orders/{oid}/ship", headers=auth(orders.stack.admin))
        refused = client.put(f"/api/orders/{oid}/cancel", headers=auth(orders.stack.user))
    assert shipped.status_code == 200 and shipped.json()["status"] == "SHIPPED"
    assert refused.status_code == 409
    assert orders.history(oid) == ["OrderCreated", "InventoryReserved", "OrderPaid", "OrderShipped"]
    event_for(orders.kafka, Topic.ORDER_SHIPPED, oid)


def test_payment_failure_cancels_and_a_late_payment_is_ignored(orders: Orders) -> None:
    order = orders.place()
    oid = order["id"]
    publish_event(orders.kafka, contract_event(payment_failed(order, "card_declined")))
    wait_for(status_is(orders, oid, "CANCELLED"), "cancelled")
    assert orders.get(oid)["cancelReason"] == "payment failed: card_declined"
    envelope, _ = event_for(orders.kafka, Topic.ORDER_CANCELLED, oid)
    assert envelope["data"]["previous_status"] == "PENDING"
    publish_event(orders.kafka, contract_event(payment_completed(order, "pay-late")))
    wait_for(lambda: "PaymentIgnored" in orders.history(oid), "late payment noted")
    assert orders.get(oid)["status"] == "CANCELLED"


def test_reservation_failure_cancels_with_the_reason(orders: Orders) -> None:
    order = orders.place()
    oid = order["id"]
    failed = reservation_failed(order, "insufficient stock for product(s) 1")
    publish_event(orders.kafka, contract_event(failed))
    wait_for(status_is(orders, oid, "CANCELLED"), "cancelled")
    assert "insufficient stock" in orders.get(oid)["cancelReason"]


def test_user_cancel_then_cancel_again_is_409(orders: Orders) -> None:
    order = orders.place()
    with orders.client() as client:
        path = f"/api/orders/{order['id']}/cancel"
        first = client.put(path, headers=auth(orders.stack.user))
        again = client.put(path, headers=auth(orders.stack.user))
    assert first.status_code == 200 and first.json()["status"] == "CANCELLED"
    assert again.status_code == 409
    envelope, _ = event_for(orders.kafka, Topic.ORDER_CANCELLED, order["id"])
    assert envelope["data"]["reason"] == "cancelled by user"


def test_an_order_past_its_deadline_is_cancelled(orders: Orders) -> None:
    order = orders.place()
    oid = order["id"]
    orders.sql("UPDATE orders SET saga_deadline = now() - interval '1 hour' WHERE id = %s", oid)
    wait_for(status_is(orders, oid, "CANCELLED"), "deadline cancel")
    assert orders.get(oid)["cancelReason"] == "saga timeout"
    envelope, _ = event_for(orders.kafka, Topic.ORDER_CANCELLED, oid, reason="saga timeout")
    assert envelope["data"]["previous_status"] == "PENDING"
    assert orders.history(oid) == ["OrderCreated", "OrderCancelled"]


# --- the template's storage contract on PostgreSQL ------------------------------------

_contracts = template_contracts("order")


@pytest.fixture(scope="module")
def contract_db(postgres_url: str) -> str:
    return new_migrated_postgres(postgres_url, "order")


class TestPostgresUnitOfWork(_contracts.UnitOfWorkContract):  # type: ignore[misc,name-defined]
    pytestmark = pytest.mark.anyio

    @pytest.fixture
    async def uow(self, contract_db: str) -> Any:
        from ecomkit.db import create_engine, create_session_factory
        from order.service_layer.unit_of_work import PostgresUnitOfWork

        engine = create_engine(contract_db)
        sessions = create_session_factory(engine)
        factory: Callable[[], PostgresUnitOfWork] = lambda: PostgresUnitOfWork(sessions)  # noqa: E731
        yield factory
        await engine.dispose()
