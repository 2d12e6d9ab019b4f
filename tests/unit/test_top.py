"""`ecomctl top`'s snapshot from Prometheus answers (a canned HTTP API), and its errors."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from rich.console import Console

from ecomctl.cli.top import render
from ecomctl.errors import UserError
from ecomctl.top.prometheus import PrometheusClient
from ecomctl.top.snapshot import QUERIES, take

ANSWERS: dict[str, list[tuple[dict[str, str], str]]] = {
    QUERIES["up"]: [({"service": "order"}, "1"), ({"service": "payment"}, "0")],
    QUERIES["rate"]: [({"service": "order"}, "12.5")],
    QUERIES["errors"]: [({"service": "order"}, "0.02")],
    QUERIES["p95"]: [({"service": "order"}, "0.125")],
    QUERIES["lag"]: [({"group": "notification"}, "40")],
    QUERIES["orders"]: [({"status": "PAID"}, "7"), ({"status": "CANCELLED"}, "2")],
    QUERIES["paid_per_min"]: [({}, "30")],
    QUERIES["revenue_per_min"]: [({"currency": "USD"}, "217.5")],
    QUERIES["cancelled_per_min"]: [({"reason": "payment failed"}, "NaN")],
    QUERIES["time_to_paid_p95"]: [],
}
FIRING = [
    {
        "state": "firing",
        "labels": {"alertname": "ConsumerLagGrowing", "severity": "warning"},
        "annotations": {"summary": "consumer group notification is 40 records behind"},
    },
    {"state": "pending", "labels": {"alertname": "HighErrorRate"}, "annotations": {}},
]


def prometheus(handler: Any = None) -> PrometheusClient:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/v1/alerts":
            return httpx.Response(200, json={"status": "success", "data": {"alerts": FIRING}})
        query = request.url.params["query"]
        result = [{"metric": m, "value": [0, v]} for m, v in ANSWERS[query]]
        data = {"resultType": "vector", "result": result}
        return httpx.Response(200, json={"status": "success", "data": data})

    transport = httpx.MockTransport(handler or answer)
    return PrometheusClient(
        "http://prom", client=httpx.Client(base_url="http://prom", transport=transport)
    )


def test_snapshot_of_red_lag_saga_and_firing_alerts() -> None:
    snap = take(prometheus())
    order, payment = snap.services
    assert (order.service, order.up, order.requests_per_s, order.error_ratio) == (
        "order",
        True,
        12.5,
        0.02,
    )
    assert order.p95_ms == 125.0
    assert (payment.up, payment.requests_per_s) == (False, None)
    assert snap.consumer_lag == {"notification": 40.0}
    assert snap.orders == {"PAID": 7.0, "CANCELLED": 2.0}
    assert snap.revenue_per_min == {"USD": 217.5}
    assert snap.cancelled_per_min == {}  # a rate over nothing is NaN: left out
    assert snap.time_to_paid_p95_s is None
    assert [a["alert"] for a in snap.alerts] == ["ConsumerLagGrowing"]
    json.dumps(snap.to_json())  # --json prints it as is


def test_the_live_view_renders_every_part() -> None:
    console = Console(width=120, record=True)
    console.print(render(take(prometheus())))
    text = console.export_text()
    for shown in ("order", "DOWN", "12.5", "2.0%", "125", "notification", "PAID", "217.50",
                  "ConsumerLagGrowing"):  # fmt: skip
        assert shown in text, shown


def test_prometheus_down_is_one_readable_error() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused")

    with pytest.raises(UserError, match=r"does not answer.*is the stack up"):
        take(prometheus(refuse))
