"""inventory against real MariaDB and Kafka: no oversell under concurrent reservations of
the last units, all-or-nothing reservations, release/confirm/expiry driven by events, no
second effect for a redelivered event, and the template's storage contract on MariaDB."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pymysql
import pytest
from ecomkit.contracts import (
    OrderCancelled,
    OrderCreated,
    OrderLineItem,
    OrderPaid,
    PaymentFailed,
)
from saga_support import (
    bearer,
    event_for,
    high_id,
    publish_contract,
    service_env,
    template_contracts,
    wait_for,
    wait_group_stable,
)
from test_kit_support import anyio_backend
from test_user_auth_service import RunningService, new_migrated_database, start_service

from ecomctl.migrate import parse_url
from tests.integration.conftest import use_infra_only_platform

# This module runs its own copies of saga services: keep the platform's copies away from
# its events (tests/integration/conftest.py, infra_only_platform).
platform, postgres_url, mysql_url, kafka_bootstrap, mongo_url, redis_url = use_infra_only_platform()

__all__ = ["anyio_backend"]

ADMIN = bearer(1, "ADMIN", name="it-admin")
SERVICE = bearer(2, "SERVICE", name="it-order")


class Inventory:
    def __init__(self, tmp: Path, mysql_url: str, kafka: str) -> None:
        self.kafka = kafka
        self.db = new_migrated_database(mysql_url, "inventory")
        self.env = service_env("inventory", self.db, kafka)
        self.service: RunningService = start_service("inventory", self.env, tmp)
        wait_group_stable(kafka, self.env["ECOM_SERVICE_NAME"])

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.service.url, timeout=30)

    def stock(self, product_id: int, available: int) -> None:
        with self.client() as client:
            put = client.put(
                f"/api/inventory/{product_id}/stock",
                json={"availableStock": available},
                headers=ADMIN,
            )
        assert put.status_code == 200, put.text

    def level(self, product_id: int) -> dict[str, Any]:
        with self.client() as client:
            body: dict[str, Any] = client.get(f"/api/inventory/{product_id}").json()
        return body

    def sql(self, statement: str, *args: Any) -> list[tuple[Any, ...]]:
        url = parse_url(self.db)
        conn = pymysql.connect(
            host=url.host,
            port=url.port,
            user=url.user,
            password=url.password,
            database=url.database,
            autocommit=True,
        )
        try:
            with conn.cursor() as cursor:
                cursor.execute(statement, args)
                return list(cursor.fetchall())
        finally:
            conn.close()


@pytest.fixture(scope="module")
def inventory(
    tmp_path_factory: pytest.TempPathFactory, mysql_url: str, kafka_bootstrap: str
) -> Iterator[Inventory]:
    running = Inventory(tmp_path_factory.mktemp("inv"), mysql_url, kafka_bootstrap)
    yield running
    running.service.stop()


def conserved(inventory: Inventory, product_id: int, stocked: int) -> None:
    level = inventory.level(product_id)
    total = level["availableStock"] + level["reservedStock"] + level["soldStock"]
    assert total == stocked == level["stocked"], level


async def _reserve_all(base: str, orders: list[dict[str, Any]]) -> list[int]:
    limits = httpx.Limits(max_connections=len(orders))
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as client:
        responses = await asyncio.gather(
            *(client.post("/api/inventory/reserve", json=o, headers=SERVICE) for o in orders)
        )
    return [r.status_code for r in responses]


def test_no_oversell_when_many_orders_race_for_the_last_units(inventory: Inventory) -> None:
    product = high_id()
    inventory.stock(product, 5)
    orders = [
        {"orderId": high_id(), "items": [{"productId": product, "quantity": 1}]} for _ in range(40)
    ]
    codes = asyncio.run(_reserve_all(inventory.service.url, orders))
    assert sorted(set(codes)) == [200, 409], (codes, inventory.service.log.read_text()[-3000:])
    assert codes.count(200) == 5
    level = inventory.level(product)
    assert (level["availableStock"], level["reservedStock"]) == (0, 5)
    rows = inventory.sql(
        "SELECT COUNT(*), SUM(quantity) FROM reservations WHERE product_id = %s "
        "AND status = 'RESERVED'",
        product,
    )
    assert rows[0][0] == 5 and int(rows[0][1]) == 5


def test_multi_item_orders_race_all_or_nothing_without_deadlock(inventory: Inventory) -> None:
    a, b = high_id(), high_id()
    inventory.stock(a, 3)
    inventory.stock(b, 3)

    def items() -> list[dict[str, int]]:
        pair = [{"productId": a, "quantity": 1}, {"productId": b, "quantity": 1}]
        random.shuffle(pair)  # listed in any order; locks are taken in product order
        return pair

    orders = [{"orderId": high_id(), "items": items()} for _ in range(24)]
    codes = asyncio.run(_reserve_all(inventory.service.url, orders))
    assert codes.count(200) == 3 and codes.count(409) == 21, (
        codes,
        inventory.service.log.read_text()[-3000:],
    )
    for product in (a, b):
        level = inventory.level(product)
        assert (level["availableStock"], level["reservedStock"]) == (0, 3)


async def _reserve_and_cancel_at_once(base: str, product: int, orders: list[int]) -> None:
    """Each order's reservation and its cancellation sent together, in either order: what
    two instances consuming OrderCreated and OrderCancelled at once do (a release)."""
    limits = httpx.Limits(max_connections=2 * len(orders))
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as client:
        calls = []
        for order_id in orders:
            reserve = client.post(
                "/api/inventory/reserve",
                headers=SERVICE,
                json={"orderId": order_id, "items": [{"productId": product, "quantity": 1}]},
            )
            cancel = client.post(
                "/api/inventory/release",
                headers=SERVICE,
                json={"orderId": order_id, "reason": "cancelled by the user"},
            )
            calls += [reserve, cancel] if order_id % 2 else [cancel, reserve]
        answers = await asyncio.gather(*calls)
    assert all(a.status_code in (200, 409) for a in answers), [a.text for a in answers]


def test_a_cancellation_racing_its_reservation_never_leaves_stock_held(
    inventory: Inventory,
) -> None:
    product = high_id()
    inventory.stock(product, 100)
    orders = [high_id() for _ in range(40)]
    asyncio.run(_reserve_and_cancel_at_once(inventory.service.url, product, orders))
    level = inventory.level(product)
    held = inventory.sql(
        "SELECT order_id FROM reservations WHERE product_id = %s AND status = 'RESERVED'",
        product,
    )
    # Every order was cancelled: whichever came first, nothing may stay reserved.
    assert (level["availableStock"], level["reservedStock"]) == (100, 0), (level, held)
    conserved(inventory, product, 100)


def order_created(order_id: int, user_id: int, *lines: tuple[int, int, str]) -> OrderCreated:
    items = [OrderLineItem(product_id=p, quantity=q, price=Decimal(price)) for p, q, price in lines]
    return OrderCreated(
        order_id=order_id,
        user_id=user_id,
        order_number=f"IT-{order_id}",
        items=items,
        total_amount=sum((i.price * i.quantity for i in items), Decimal(0)),
        currency="USD",
        payment_method_id="pm_card_visa",
        email=None,
        created_at=datetime.now(UTC),
    )


def test_order_created_reserves_then_order_paid_confirms(inventory: Inventory) -> None:
    product, order_id = high_id(), high_id()
    inventory.stock(product, 10)
    order = order_created(order_id, 7, (product, 3, "10.00"))
    created = publish_contract(inventory.kafka, order)
    envelope, headers = event_for(inventory.kafka, "inventory-reserved-events", order_id)
    assert envelope["type"] == "InventoryReserved" and envelope["source"] == "inventory"
    assert envelope["schema_version"] == 1 and envelope["subject"] == str(order_id)
    data = envelope["data"]
    assert data["user_id"] == 7 and data["total_amount"] == "30.00"
    assert data["items"] == [{"product_id": product, "quantity": 3, "price": "10.00"}]
    assert data["payment_method_id"] == "pm_card_visa" and data["expires_at"].endswith("Z")
    assert headers["event-type"] == b"InventoryReserved"
    assert inventory.level(product)["reservedStock"] == 3
    # The same event again, and the same order under a new event id: no second reservation.
    publish_contract(inventory.kafka, order, created)
    publish_contract(inventory.kafka, order)
    paid = OrderPaid(order_id=order_id, user_id=7, total_amount=Decimal("30.00"), currency="USD")
    publish_contract(inventory.kafka, paid)
    wait_for(lambda: inventory.level(product)["soldStock"] == 3, "confirmed")
    level = inventory.level(product)
    assert (level["availableStock"], level["reservedStock"], level["soldStock"]) == (7, 0, 3)
    handled = inventory.sql("SELECT COUNT(*) FROM inbox WHERE event_id = %s", str(created.id))
    assert handled[0][0] == 1
    conserved(inventory, product, 10)


def test_out_of_stock_fails_with_per_item_availability(inventory: Inventory) -> None:
    plenty, scarce, order_id = high_id(), high_id(), high_id()
    inventory.stock(plenty, 10)
    inventory.stock(scarce, 1)
    publish_contract(
        inventory.kafka, order_created(order_id, 8, (plenty, 1, "1.00"), (scarce, 2, "1.00"))
    )
    envelope, _ = event_for(inventory.kafka, "inventory-reservation-failed-events", order_id)
    assert envelope["data"]["items"] == [{"product_id": scarce, "requested": 2, "available": 1}]
    assert "insufficient stock" in envelope["data"]["reason"]
    assert inventory.level(plenty)["reservedStock"] == 0  # all or nothing


def test_payment_failed_then_order_cancelled_releases_once(inventory: Inventory) -> None:
    product, order_id = high_id(), high_id()
    inventory.stock(product, 4)
    publish_contract(inventory.kafka, order_created(order_id, 9, (product, 4, "2.00")))
    wait_for(lambda: inventory.level(product)["reservedStock"] == 4, "reserved")
    declined = PaymentFailed(
        order_id=order_id,
        user_id=9,
        payment_id=f"pay-{order_id}",
        amount=Decimal("8.00"),
        currency="USD",
        reason="card_declined",
        decline_code="generic_decline",
    )
    failed = publish_contract(inventory.kafka, declined)
    publish_contract(inventory.kafka, declined, failed)  # redelivered
    cancel = OrderCancelled(
        order_id=order_id, user_id=9, reason="payment failed", previous_status="PENDING"
    )
    cancelled = publish_contract(inventory.kafka, cancel)
    wait_for(
        lambda: (
            inventory.sql("SELECT COUNT(*) FROM inbox WHERE event_id = %s", str(cancelled.id))[0][0]
            == 1
        ),
        "OrderCancelled handled",
    )
    level = inventory.level(product)
    assert (level["availableStock"], level["reservedStock"]) == (4, 0)
    conserved(inventory, product, 4)


def test_two_instances_racing_created_and_cancelled_events_never_hold_stock(
    inventory: Inventory, tmp_path: Path
) -> None:
    """Two instances in one group (a release's two colors): OrderCreated and OrderCancelled
    of one order travel on different topics, so each may be handled by a different
    instance at the same moment; every order is cancelled, so nothing may stay held."""
    second = start_service("inventory", inventory.env, tmp_path)
    try:
        wait_group_stable(inventory.kafka, inventory.env["ECOM_SERVICE_NAME"])
        product = high_id()
        inventory.stock(product, 100)
        sent = []
        for order_id in (high_id() for _ in range(40)):
            created = order_created(order_id, 9, (product, 1, "2.00"))
            cancel = OrderCancelled(
                order_id=order_id, user_id=9, reason="cancelled by the user",
                previous_status="PENDING",
            )  # fmt: skip
            for contract in (created, cancel) if order_id % 2 else (cancel, created):
                sent.append(str(publish_contract(inventory.kafka, contract).id))
        marks = ", ".join(["%s"] * len(sent))
        wait_for(
            lambda: inventory.sql(
                f"SELECT COUNT(*) FROM inbox WHERE event_id IN ({marks})", *sent
            )[0][0] == len(sent),
            "every event handled",
        )  # fmt: skip
    finally:
        second.stop()
    level = inventory.level(product)
    assert (level["availableStock"], level["reservedStock"]) == (100, 0), level
    conserved(inventory, product, 100)


def test_expired_reservations_are_released_by_the_service(inventory: Inventory) -> None:
    product, order_id = high_id(), high_id()
    inventory.stock(product, 2)
    with inventory.client() as client:
        held = client.post(
            "/api/inventory/reserve",
            headers=SERVICE,
            json={"orderId": order_id, "items": [{"productId": product, "quantity": 2}]},
        )
    assert held.status_code == 200
    inventory.sql(
        "UPDATE reservations SET expires_at = '2001-01-01 00:00:00' WHERE order_id = %s", order_id
    )
    wait_for(lambda: inventory.level(product)["availableStock"] == 2, "expiry release")
    with inventory.client() as client:
        statuses = client.get(f"/api/inventory/reservations/{order_id}", headers=SERVICE)
    assert [r["status"] for r in statuses.json()] == ["RELEASED"]

    def updated(envelope: dict[str, Any]) -> bool:
        data = envelope.get("data") or {}
        return (
            data.get("product_id") == product
            and data.get("available_stock") == 2
            and envelope.get("type") == "InventoryUpdated"
        )

    from saga_support import find_event

    find_event(inventory.kafka, "inventory-updated-events", updated)


# --- the template's storage contract on MariaDB ---------------------------------------

_contracts = template_contracts("inventory")


@pytest.fixture(scope="module")
def contract_db(mysql_url: str) -> str:
    return new_migrated_database(mysql_url, "inventory")


class TestMysqlUnitOfWork(_contracts.UnitOfWorkContract):  # type: ignore[misc,name-defined]
    pytestmark = pytest.mark.anyio

    @pytest.fixture
    async def uow(self, contract_db: str) -> Any:
        from ecomkit.db import create_engine, create_session_factory
        from inventory.service_layer.unit_of_work import MysqlUnitOfWork

        engine = create_engine(contract_db)
        sessions = create_session_factory(engine)
        factory: Callable[[], MysqlUnitOfWork] = lambda: MysqlUnitOfWork(sessions)  # noqa: E731
        yield factory
        await engine.dispose()
