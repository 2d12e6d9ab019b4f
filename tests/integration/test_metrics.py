"""Metrics and alerts that tell the truth (issue 14), on a real stack with Prometheus.

After a load test (and a declined card and a stock-out placed on purpose), every metric of
docs/observability.md is in Prometheus and agrees with the order service's database: PAID
orders, revenue. Then faults are injected and the stack's own alert rules fire, read back
from Prometheus' API: a paused consumer -> ConsumerLagGrowing; an event no handler can
read -> DeadLettersArriving.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import httpx
import psycopg
import pytest
from aiokafka import AIOKafkaProducer

from ecomctl.scenarios.client import Gateway, StripeEmulator
from ecomctl.scenarios.endpoints import Endpoints, for_workspace
from ecomctl.scenarios.live import WorkspaceAdmin
from tests.integration.conftest import OFFSET
from tests.integration.saga_stack import SagaStack, own_workspace

METRICS_OFFSET = OFFSET + int(os.environ.get("ECOMCTL_TEST_METRICS_SHIFT", "3800"))
GOOD, DECLINED = "4242424242424242", "4000000000000341"
# Seconds, not minutes: scrapes and samples every second, alerts judged over 20 s.
OBSERVABILITY = {
    "scrape_interval": "1s",
    "metrics_interval_s": 1,
    "alerts": {"consumer_lag": 3, "window": "20s", "hold": "0s"},
}
EVERY_METRIC = (
    "http_requests_total", "http_request_duration_seconds_bucket", "gateway_requests_total",
    "gateway_request_duration_seconds_bucket", "ecom_events_consumed_total",
    "ecom_kafka_consumer_lag", "ecom_outbox_unpublished",
    "ecom_outbox_oldest_unpublished_age_seconds", "ecom_inbox_events", "ecom_dlq_messages",
    "ecom_orders", "ecom_orders_placed_total", "ecom_orders_paid_total",
    "ecom_order_revenue_total", "ecom_orders_cancelled_total",
    "ecom_order_time_to_paid_seconds_bucket", "ecom_payments_completed_total",
    "ecom_payment_failures_total", "ecom_stock_outs_total", "ecom_reservations_failed_total",
)  # fmt: skip


@dataclass
class Stack:
    saga: SagaStack
    ends: Endpoints
    prometheus: str
    admin_token: str

    def query(self, promql: str) -> list[dict[str, Any]]:
        answer = httpx.get(f"{self.prometheus}/api/v1/query", params={"query": promql}, timeout=10)
        answer.raise_for_status()
        result: list[dict[str, Any]] = answer.json()["data"]["result"]
        return result

    def scalar(self, promql: str) -> float | None:
        result = self.query(promql)
        return float(result[0]["value"][1]) if result else None

    def firing(self, alert: str) -> list[dict[str, Any]]:
        answer = httpx.get(f"{self.prometheus}/api/v1/alerts", timeout=10).json()
        return [
            a for a in answer["data"]["alerts"]
            if a["labels"]["alertname"] == alert and a["state"] == "firing"
        ]  # fmt: skip

    def orders_db(self, sql: str) -> list[tuple[Any, ...]]:
        port = 5432 + self.ends.port_offset
        with psycopg.connect(
            host="127.0.0.1", port=port, user="ecomctl", password="ecomctl", dbname="orders"
        ) as conn:
            return conn.execute(sql).fetchall()


def wait_for(what: str, check: Any, timeout_s: float = 90) -> Any:
    deadline = time.monotonic() + timeout_s
    last = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(1)
    pytest.fail(f"{what}: not within {timeout_s} s (last: {last!r})")


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    root = tmp_path_factory.mktemp("metrics-ws")
    overrides = {"observability": OBSERVABILITY}
    for saga in own_workspace(root, METRICS_OFFSET, extra=("prometheus",), overrides=overrides):
        tgt = saga.target()
        ends = for_workspace(tgt.stack, tgt.workspace)
        api = Gateway(ends.gateway)
        try:
            admin = api.login(*WorkspaceAdmin(tgt, ends.port_offset).credentials())
            prometheus = f"http://127.0.0.1:{9090 + ends.port_offset}"
            yield Stack(saga, ends, prometheus, admin)
        finally:
            api.close()


def _place_and_settle(api: Gateway, token: str, product: int, card: str, quantity: int) -> None:
    order = api.create_order(
        token, items=[{"productId": product, "quantity": quantity}], payment_method_id=card
    )
    wait_for(
        f"order {order['id']} decided",
        lambda: api.order(token, int(order["id"]))["status"] in {"PAID", "CANCELLED"},
        timeout_s=60,
    )


def test_every_metric_agrees_with_the_database_after_a_load_test(stack: Stack) -> None:
    run = stack.saga.ecomctl(
        "loadtest", "--profile", "checkout", "--users", "4", "--spawn-rate", "4",
        "--duration", "10s", "--seed", "11", "--slo", "p95=30s,errors=50%,completion=10%",
        "--json", timeout=300,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-3000:]
    report = json.loads(run.stdout)
    assert report["orders"]["placed"] > 0
    # Every request went through the gateway, whichever of its workers took it: the
    # scrape (which reaches one worker) counts them all.
    wait_for(
        "the gateway's count covers the load test's requests",
        lambda: (stack.scalar("sum(gateway_requests_total)") or 0) >= report["total"]["requests"],
        timeout_s=30,
    )
    # A declined card and a stock-out, so the failure metrics have something to count.
    api = Gateway(stack.ends.gateway)
    try:
        tag = f"m{random.randrange(16**6):06x}"
        product = api.create_product(
            stack.admin_token, sku=tag, name=f"{tag} lamp", price="3.10", currency="USD"
        )
        api.set_stock(stack.admin_token, product, 1)
        api.register(tag, "Metrics-pass-1", email=f"{tag}@example.com", language="en")
        token = api.login(tag, "Metrics-pass-1")
        stripe = StripeEmulator(stack.ends.stripe)
        declined = stripe.create_payment_method(DECLINED)
        good = stripe.create_payment_method(GOOD)
        stripe.close()
        _place_and_settle(api, token, product, good, quantity=2)  # only 1 in stock
        _place_and_settle(api, token, product, declined, quantity=1)
    finally:
        api.close()
    wait_for(
        "no order left PENDING",
        lambda: not stack.orders_db("SELECT 1 FROM orders WHERE status = 'PENDING'"),
    )

    for name in EVERY_METRIC:
        wait_for(f"{name} in Prometheus", lambda n=name: stack.query(n), timeout_s=30)

    (paid,), (revenue,) = (
        stack.orders_db("SELECT count(*) FROM orders WHERE status = 'PAID'")[0],
        stack.orders_db("SELECT coalesce(sum(total_amount), 0) FROM orders WHERE status = 'PAID'")[
            0
        ],
    )
    assert paid > 0
    # The gauge is read from the database, the counters count committed events: both agree.
    wait_for(
        "PAID in Prometheus = PAID in the database",
        lambda: (
            stack.scalar('max(ecom_orders{status="PAID"})') == paid
            and stack.scalar("sum(ecom_orders_paid_total)") == paid
        ),
        timeout_s=30,
    )
    assert Decimal(str(stack.scalar("sum(ecom_order_revenue_total)"))).quantize(
        Decimal("0.01")
    ) == Decimal(revenue).quantize(Decimal("0.01"))
    (cancelled,) = stack.orders_db("SELECT count(*) FROM orders WHERE status = 'CANCELLED'")[0]
    assert stack.scalar("sum(ecom_orders_cancelled_total)") == cancelled
    assert (stack.scalar("sum(ecom_stock_outs_total)") or 0) >= 1
    assert (stack.scalar("sum(ecom_payment_failures_total)") or 0) >= 1
    assert stack.scalar("sum(ecom_order_time_to_paid_seconds_count)") == paid
    # The recording rules the release gates read have figures for the services.
    wait_for("RED recording rules", lambda: stack.query("service:http_requests:rate1m"), 30)


def _pause_consumers(stack: Stack, service: str, paused: bool) -> None:
    url = stack.ends.service(service)
    answer = httpx.put(
        f"{url}/admin/consumers",
        json={"paused": paused},
        headers={"Authorization": f"Bearer {stack.admin_token}"},
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    assert answer.json() and all(c["paused"] is paused for c in answer.json())


def test_a_paused_consumer_fires_the_lag_alert(stack: Stack) -> None:
    _pause_consumers(stack, "notification", True)
    try:
        run = stack.saga.ecomctl(
            "loadtest", "--profile", "checkout", "--users", "4", "--spawn-rate", "4",
            "--duration", "8s", "--seed", "12", "--slo", "p95=30s,errors=50%,completion=10%",
            timeout=300,
        )  # fmt: skip
        assert run.returncode == 0, run.stderr[-3000:]
        alerts = wait_for(
            "ConsumerLagGrowing firing", lambda: stack.firing("ConsumerLagGrowing"), 60
        )
        assert {a["labels"]["group"] for a in alerts} == {"notification"}
        assert alerts[0]["annotations"]["runbook"].endswith("#consumerlaggrowing")
    finally:
        _pause_consumers(stack, "notification", False)
    wait_for(
        "the lag caught up after resuming",
        lambda: stack.scalar('sum(ecom_kafka_consumer_lag{group="notification"})') == 0,
    )


async def _publish_garbage(bootstrap: str, topic: str) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        await producer.send_and_wait(topic, b"{not an event", key=b"metrics-test")
    finally:
        await producer.stop()


def test_an_event_no_handler_can_read_fires_the_dead_letter_alert(stack: Stack) -> None:
    assert not stack.firing("DeadLettersArriving")
    asyncio.run(_publish_garbage(stack.ends.kafka, "order-paid-events"))
    alerts = wait_for("DeadLettersArriving firing", lambda: stack.firing("DeadLettersArriving"), 60)
    assert {a["labels"]["topic"] for a in alerts} == {"order-paid-events.DLQ"}
