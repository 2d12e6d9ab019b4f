"""One look at the stack through Prometheus: what `ecomctl top` shows and `--json` prints."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

from ecomctl.top.prometheus import PrometheusClient, Vector

QUERIES = {
    "rate": "service:http_requests:rate1m",
    "errors": "service:http_errors:ratio_rate1m",
    "p95": "service:http_latency_seconds:p95_1m",
    "up": 'up{service!=""}',
    "lag": "group:ecom_kafka_consumer_lag:sum",
    "orders": "max by (status) (ecom_orders)",
    "paid_per_min": "sum(rate(ecom_orders_paid_total[1m])) * 60",
    "revenue_per_min": "sum by (currency) (rate(ecom_order_revenue_total[1m])) * 60",
    "cancelled_per_min": "sum by (reason) (rate(ecom_orders_cancelled_total[1m])) * 60",
    "time_to_paid_p95": "histogram_quantile(0.95,"
    " sum by (le) (rate(ecom_order_time_to_paid_seconds_bucket[5m])))",
}


@dataclass
class ServiceRow:
    service: str
    up: bool
    requests_per_s: float | None = None
    error_ratio: float | None = None
    p95_ms: float | None = None


@dataclass
class Snapshot:
    services: list[ServiceRow] = field(default_factory=list)
    consumer_lag: dict[str, float] = field(default_factory=dict)
    orders: dict[str, float] = field(default_factory=dict)
    paid_per_min: float | None = None
    revenue_per_min: dict[str, float] = field(default_factory=dict)
    cancelled_per_min: dict[str, float] = field(default_factory=dict)
    time_to_paid_p95_s: float | None = None
    alerts: list[dict[str, str]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None  # a rate over no requests is NaN


def _by(vector: Vector, label: str) -> dict[str, float]:
    return {labels.get(label, ""): value for labels, value in vector if math.isfinite(value)}


def _single(vector: Vector) -> float | None:
    return _finite(vector[0][1]) if vector else None


def take(prometheus: PrometheusClient) -> Snapshot:
    got = {name: prometheus.vector(query) for name, query in QUERIES.items()}
    rate, errors, p95 = (_by(got[k], "service") for k in ("rate", "errors", "p95"))
    services = [
        ServiceRow(
            service=name,
            up=value == 1,
            requests_per_s=rate.get(name),
            error_ratio=errors.get(name),
            p95_ms=None if p95.get(name) is None else p95[name] * 1000,
        )
        for name, value in sorted(_by(got["up"], "service").items())
    ]
    alerts = [
        {
            "alert": a["labels"].get("alertname", "?"),
            "severity": a["labels"].get("severity", ""),
            "summary": a.get("annotations", {}).get("summary", ""),
        }
        for a in prometheus.firing()
    ]
    return Snapshot(
        services=services,
        consumer_lag=_by(got["lag"], "group"),
        orders=_by(got["orders"], "status"),
        paid_per_min=_single(got["paid_per_min"]),
        revenue_per_min=_by(got["revenue_per_min"], "currency"),
        cancelled_per_min=_by(got["cancelled_per_min"], "reason"),
        time_to_paid_p95_s=_single(got["time_to_paid_p95"]),
        alerts=alerts,
    )
