"""Prometheus metrics of the proxy (served by the kit's /metrics from the default registry).

The per-request ones (request count and latency) are plain counters kept by the proxy and
turned into metric families only when /metrics is scraped: prometheus_client's `labels()`,
`inc()` and `observe()` take a lock and walk the buckets on every call (~5 us a request in
the hot path's profile), and the gateway's event loop is single-threaded, so no lock is
needed. Each worker process has its own counts (see docs/services/gateway.md).
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterator

from prometheus_client import REGISTRY, Counter, Gauge
from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector

BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0)

RETRIES = Counter("gateway_upstream_retries_total", "Retried upstream calls", ["route"])
FALLBACKS = Counter(
    "gateway_fallbacks_total", "Fallback answers served while a circuit was open", ["route"]
)
BREAKER_OPEN = Gauge("gateway_circuit_open", "1 while a route's circuit is open", ["route"])

# (route, method, status) -> requests; route -> [count per bucket (+Inf last), sum]
_requests: dict[tuple[str, str, int], int] = {}
_latency: dict[str, tuple[list[int], list[float]]] = {}


def observe(route: str, method: str, status: int, seconds: float) -> None:
    key = (route, method, status)
    _requests[key] = _requests.get(key, 0) + 1
    histogram = _latency.get(route)
    if histogram is None:
        histogram = _latency[route] = ([0] * (len(BUCKETS) + 1), [0.0])
    histogram[0][bisect_left(BUCKETS, seconds)] += 1
    histogram[1][0] += seconds


class _HotPathCollector(Collector):
    def collect(self) -> Iterator[Metric]:
        requests = CounterMetricFamily(
            "gateway_requests", "Requests through the gateway", labels=["route", "method", "status"]
        )
        for (route, method, status), count in list(_requests.items()):
            requests.add_metric([route, method, str(status)], count)
        yield requests
        latency = HistogramMetricFamily(
            "gateway_request_duration_seconds",
            "Time from request to the last byte of the response, gateway included",
            labels=["route"],
        )
        for route, (counts, total) in list(_latency.items()):
            cumulative, buckets = 0, []
            for bound, count in zip((*map(str, BUCKETS), "+Inf"), counts, strict=True):
                cumulative += count
                buckets.append((bound, float(cumulative)))
            latency.add_metric([route], buckets, total[0])
        yield latency


REGISTRY.register(_HotPathCollector())


def retry(route: str) -> None:
    RETRIES.labels(route).inc()


def fallback(route: str) -> None:
    FALLBACKS.labels(route).inc()
