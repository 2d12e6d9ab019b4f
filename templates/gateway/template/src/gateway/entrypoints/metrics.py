"""Prometheus metrics of the proxy (served by the kit's /metrics from the default registry)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

REQUESTS = Counter(
    "gateway_requests_total", "Requests through the gateway", ["route", "method", "status"]
)
LATENCY = Histogram(
    "gateway_request_duration_seconds",
    "Time from request to the last byte of the response, gateway included",
    ["route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0),
)
RETRIES = Counter("gateway_upstream_retries_total", "Retried upstream calls", ["route"])
FALLBACKS = Counter(
    "gateway_fallbacks_total", "Fallback answers served while a circuit was open", ["route"]
)
BREAKER_OPEN = Gauge("gateway_circuit_open", "1 while a route's circuit is open", ["route"])


def observe(route: str, method: str, status: int, seconds: float) -> None:
    REQUESTS.labels(route, method, str(status)).inc()
    LATENCY.labels(route).observe(seconds)


def retry(route: str) -> None:
    RETRIES.labels(route).inc()


def fallback(route: str) -> None:
    FALLBACKS.labels(route).inc()
