"""The payment service on the real platform: PostgreSQL, Kafka and the Stripe emulator.

InventoryReserved → one real charge in the emulator → PaymentCompleted; a declined card →
PaymentFailed with its code; the same event twice → one charge; a cancelled order is not
charged, or refunded; a provider outage → retried, then the DLQ.
"""

from __future__ import annotations

import asyncio
import random
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
import stripe
from ecomkit.consumer import Backoff, RecordProcessor
from ecomkit.contracts import Contract, InventoryReserved, OrderCancelled, ReservedItem, Topic
from ecomkit.db import create_engine, create_session_factory
from ecomkit.events import Envelope, encode
from ecomkit.inbox import SqlInbox
from ecomkit.kafka import create_producer, ensure_topics

from tests.integration.conftest import Platform, use_infra_only_platform
from tests.integration.test_payment_support import (
    Kafka,
    RunningService,
    bearer,
    generate,
    new_postgres_database,
    start_service,
)

# This module runs its own copies of saga services: keep the platform's copies away from
# its events (tests/integration/conftest.py, infra_only_platform).
platform, postgres_url, mysql_url, kafka_bootstrap, mongo_url, redis_url = use_infra_only_platform()

API_KEY = "sk_test_ecomctl"
CARD_OK, CARD_DECLINED = "4242424242424242", "4000000000000341"
ADMIN = bearer(1, "ADMIN")


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = generate("payment", tmp_path_factory.mktemp("payment-ws"))
    sys.path.insert(0, str(path / "src"))
    sys.path.insert(0, str(path))
    yield path
    sys.path.remove(str(path / "src"))
    sys.path.remove(str(path))


@pytest.fixture(scope="module")
def stripe_base(platform: Platform) -> str:
    return f"http://127.0.0.1:{platform.port('stripe')}"


@pytest.fixture(scope="module")
def database(folder: Path, postgres_url: str) -> str:
    return new_postgres_database(postgres_url, folder / "db" / "migration")


@pytest.fixture(scope="module")
def service(
    folder: Path, database: str, stripe_base: str, kafka_bootstrap: str
) -> Iterator[RunningService]:
    env = {
        "ECOM_SERVICE_NAME": "payment-it-" + uuid.uuid4().hex[:8],
        "ECOM_DATABASE_URL": database,
        "ECOM_KAFKA_BOOTSTRAP": kafka_bootstrap,
        "ECOM_STRIPE_API_BASE": stripe_base,
        "ECOM_STRIPE_API_KEY": API_KEY,
    }
    running = start_service(folder, "payment.entrypoints.app:app", env)
    yield running
    running.stop()


@pytest.fixture(scope="module")
def kafka(kafka_bootstrap: str) -> Kafka:
    return Kafka(kafka_bootstrap)


def stripe_client(base: str) -> stripe.StripeClient:
    return stripe.StripeClient(API_KEY, base_addresses={"api": base})


def payment_method(base: str, card: str) -> str:
    card_data = {"number": card, "exp_month": 12, "exp_year": 2034, "cvc": "123"}
    method = stripe_client(base).v1.payment_methods.create(
        params={"type": "card", "card": card_data}  # type: ignore[typeddict-item]
    )
    return str(method.id)


def intents_of(base: str, order_id: int) -> list[Any]:
    intents = stripe_client(base).v1.payment_intents.list(params={"limit": 100})
    wanted = str(order_id)
    return [
        i
        for i in intents.auto_paging_iter()
        if i.metadata and i.metadata.to_dict().get("order_id") == wanted
    ]


def arriving(event: Contract, source: str) -> Envelope:
    published = event.to_event()
    return Envelope(type=published.type, source=source, subject=published.key, data=published.data)


def reserved(order_id: int, method: str, amount: str = "19.99") -> Envelope:
    event = InventoryReserved(
        order_id=order_id,
        user_id=77,
        items=[ReservedItem(product_id=1, quantity=1, price=Decimal(amount))],
        total_amount=Decimal(amount),
        currency="USD",
        payment_method_id=method,
        expires_at=datetime(2030, 1, 1, tzinfo=UTC),
    )
    return arriving(event, "inventory")


def cancelled(order_id: int) -> Envelope:
    event = OrderCancelled(order_id=order_id, user_id=77, reason="user", previous_status="PENDING")
    return arriving(event, "order")


def an_order() -> int:
    return random.randint(10**9, 10**12)


OUTCOMES: list[str] = [Topic.PAYMENT_COMPLETED, Topic.PAYMENT_FAILED, Topic.REFUND_COMPLETED]


def test_reserved_order_is_charged_once_in_stripe(
    service: RunningService, kafka: Kafka, stripe_base: str
) -> None:
    order = an_order()
    kafka.publish(
        Topic.INVENTORY_RESERVED,
        reserved(order, payment_method(stripe_base, CARD_OK)),
        str(order),
    )
    found = kafka.collect(OUTCOMES, key=str(order), until=bool, settle_s=2)
    assert [e["type"] for e in found] == ["PaymentCompleted"], service.tail()
    data = found[0]["data"]
    assert data["order_id"] == order and data["amount"] == "19.99" and data["provider"] == "stripe"
    (intent,) = intents_of(stripe_base, order)
    assert intent.id == data["provider_ref"] and intent.status == "succeeded"
    assert intent.amount == 1999
    got = httpx.get(f"{service.url}/api/payments/order/{order}", headers=ADMIN, timeout=10)
    assert got.status_code == 200 and got.json()["status"] == "COMPLETED"


def test_declined_card_fails_the_payment_with_its_code(
    service: RunningService, kafka: Kafka, stripe_base: str
) -> None:
    order = an_order()
    method = payment_method(stripe_base, CARD_DECLINED)
    kafka.publish(Topic.INVENTORY_RESERVED, reserved(order, method), str(order))
    (failed,) = kafka.collect(OUTCOMES, key=str(order), until=bool)
    assert failed["type"] == "PaymentFailed", service.tail()
    assert failed["data"]["decline_code"] == "card_declined" and failed["data"]["reason"]
    got = httpx.get(f"{service.url}/api/payments/order/{order}", headers=ADMIN, timeout=10)
    assert got.json()["status"] == "FAILED" and got.json()["declineCode"] == "card_declined"


def test_the_same_event_twice_charges_once(
    service: RunningService, kafka: Kafka, stripe_base: str
) -> None:
    order = an_order()
    event = reserved(order, payment_method(stripe_base, CARD_OK))
    kafka.publish(Topic.INVENTORY_RESERVED, event, str(order))
    kafka.publish(Topic.INVENTORY_RESERVED, event, str(order))  # redelivered
    copy = reserved(order, event.data["payment_method_id"])  # re-published: new event id
    kafka.publish(Topic.INVENTORY_RESERVED, copy, str(order))
    found = kafka.collect(OUTCOMES, key=str(order), until=bool, settle_s=5)
    assert [e["type"] for e in found] == ["PaymentCompleted"], service.tail()
    assert len(intents_of(stripe_base, order)) == 1


def test_cancelled_before_reserved_is_not_charged(
    service: RunningService, kafka: Kafka, stripe_base: str, database: str
) -> None:
    order = an_order()
    kafka.publish(Topic.ORDER_CANCELLED, cancelled(order), str(order))
    _wait_for_row(database, "SELECT 1 FROM order_cancellations WHERE order_id = %s", order)
    event = reserved(order, payment_method(stripe_base, CARD_OK))
    kafka.publish(Topic.INVENTORY_RESERVED, event, str(order))
    _wait_for_row(database, "SELECT 1 FROM inbox WHERE event_id = %s", str(event.id))
    assert kafka.collect(OUTCOMES, key=str(order), until=bool, timeout_s=3) == []
    assert intents_of(stripe_base, order) == []


def test_cancelled_after_charge_is_refunded(
    service: RunningService, kafka: Kafka, stripe_base: str
) -> None:
    order = an_order()
    kafka.publish(
        Topic.INVENTORY_RESERVED,
        reserved(order, payment_method(stripe_base, CARD_OK)),
        str(order),
    )
    kafka.collect(OUTCOMES, key=str(order), until=bool)
    kafka.publish(Topic.ORDER_CANCELLED, cancelled(order), str(order))
    found = kafka.collect(OUTCOMES, key=str(order), until=lambda f: len(f) >= 2, settle_s=2)
    # Two topics: arrival order between them is not defined, the events' own times are.
    in_time_order = sorted(found, key=lambda e: e["time"])
    assert [e["type"] for e in in_time_order] == ["PaymentCompleted", "RefundCompleted"], (
        service.tail()
    )
    got = httpx.get(f"{service.url}/api/payments/order/{order}", headers=ADMIN, timeout=10)
    assert got.json()["status"] == "REFUNDED"
    assert [t["type"] for t in got.json()["transactions"]] == ["CHARGE", "REFUND"]


def test_direct_charge_and_admin_refund(service: RunningService, stripe_base: str) -> None:
    order = an_order()
    body = {
        "orderId": order,
        "userId": 5,
        "amount": "3.50",
        "currency": "EUR",
        "paymentMethodId": payment_method(stripe_base, CARD_OK),
    }
    created = httpx.post(f"{service.url}/api/payments", json=body, headers=ADMIN, timeout=20)
    assert created.status_code == 201 and created.json()["status"] == "COMPLETED"
    payment_id = created.json()["id"]
    own = httpx.get(f"{service.url}/api/payments/{payment_id}", headers=bearer(5), timeout=10)
    assert own.status_code == 200
    refund = httpx.post(
        f"{service.url}/api/payments/{payment_id}/refund", headers=ADMIN, timeout=20
    )
    assert refund.status_code == 200 and refund.json()["status"] == "REFUNDED"


def _wait_for_row(database: str, query: str, value: object, timeout_s: float = 60) -> None:
    import time

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with psycopg.connect(database) as conn:
            if conn.execute(query, (value,)).fetchone():
                return
        time.sleep(0.3)
    raise AssertionError(f"no row for {query} {value}")


@pytest.mark.anyio
async def test_a_provider_outage_is_retried_then_dead_lettered(
    folder: Path, database: str, kafka: Kafka, kafka_bootstrap: str, stripe_base: str
) -> None:
    """The real consumer chain (inbox on PostgreSQL, Stripe adapter, kit retries, DLQ on
    Kafka), on a topic of its own, with the emulator unreachable."""
    from payment.bootstrap import bootstrap
    from payment.entrypoints.consumers import saga_handler
    from payment.service_layer.unit_of_work import PostgresUnitOfWork
    from payment.settings import Settings

    settings = Settings(
        database_url=database, stripe_api_base="http://127.0.0.1:9", stripe_timeout_s=2
    )
    engine = create_engine(database)
    bus = bootstrap(settings, engine=engine)
    producer = create_producer(kafka_bootstrap)
    await producer.start()
    topic = "it-payment-" + uuid.uuid4().hex[:8]
    # The broker does not auto-create topics (as in production): the DLQ must exist.
    await ensure_topics(kafka_bootstrap, [topic, topic + ".DLQ"], partitions=1)
    order = an_order()
    event = reserved(order, payment_method(stripe_base, CARD_OK))
    try:
        processor = RecordProcessor(
            "payment-it",
            saga_handler(bus, PostgresUnitOfWork.joining),
            inbox=SqlInbox(create_session_factory(engine), source="payment"),
            dlq_producer=producer,
            max_attempts=3,
            backoff=Backoff(0.05, 0.2),
        )
        record = _Record(topic, str(order).encode(), encode(event))
        assert await processor.process(record) == "dead-lettered"
    finally:
        await producer.stop()
        await engine.dispose()
    (dead,) = await asyncio.to_thread(kafka.collect, [topic + ".DLQ"], key=str(order), until=bool)
    assert dead["id"] == str(event.id)
    assert dead["headers"]["dlq-attempts"] == "3"
    assert "ProviderUnavailable" in dead["headers"]["dlq-error"]
    with psycopg.connect(database) as conn:
        assert (
            conn.execute("SELECT 1 FROM payments WHERE order_id = %s", (order,)).fetchone() is None
        )


class _Record:
    def __init__(self, topic: str, key: bytes, value: bytes) -> None:
        self.topic, self.partition, self.offset = topic, 0, 0
        self.key, self.value = key, value
        self.headers: list[tuple[str, bytes]] = []


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
