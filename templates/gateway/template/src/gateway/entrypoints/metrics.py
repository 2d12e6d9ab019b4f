"""Prometheus metrics of the proxy, correct with several Granian workers.

The per-request ones (request count and latency) are plain counters kept by the proxy:
prometheus_client's `labels()`, `inc()` and `observe()` take a lock and walk the buckets on
every call (~5 us a request in the hot path's profile), and a worker's event loop is
single-threaded, so no lock is needed. `flush()` moves what was counted into the
prometheus_client metrics, once a second (`flush_forever`) and before each scrape.

With more than one worker, `python -m gateway` runs prometheus_client's multiprocess mode
(`PROMETHEUS_MULTIPROC_DIR`, ecomkit.multiprocess): every worker's metrics live in files
that any worker's `/metrics` sums, so a scrape sees the whole gateway — the other workers'
counts at most one flush interval old.
"""

from __future__ import annotations

import asyncio
from bisect import bisect_left
from collections.abc import Callable, Mapping

from prometheus_client import Counter, Gauge, Histogram

BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0)
FLUSH_INTERVAL_S = 1.0

REQUESTS = Counter(
    "gateway_requests", "Requests through the gateway", ["route", "method", "status"]
)
LATENCY = Histogram(
    "gateway_request_duration_seconds",
    "Time from request to the last byte of the response, gateway included",
    ["route"],
    buckets=BUCKETS,
)
RETRIES = Counter("gateway_upstream_retries_total", "Retried upstream calls", ["route"])
FALLBACKS = Counter(
    "gateway_fallbacks_total", "Fallback answers served while a circuit was open", ["route"]
)
# The highest of the workers: a route is reported open while any worker refuses it.
BREAKER_OPEN = Gauge(
    "gateway_circuit_open",
    "1 while a route's circuit is open",
    ["route"],
    multiprocess_mode="max",
)

# Counted since the last flush: (route, method, status) -> requests;
# route -> [count per bucket (+Inf last)], [sum].
_requests: dict[tuple[str, str, int], int] = {}
_latency: dict[str, tuple[list[int], list[float]]] = {}
_breakers: dict[str, Callable[[], bool]] = {}


def observe(route: str, method: str, status: int, seconds: float) -> None:
    key = (route, method, status)
    _requests[key] = _requests.get(key, 0) + 1
    histogram = _latency.get(route)
    if histogram is None:
        histogram = _latency[route] = ([0] * (len(BUCKETS) + 1), [0.0])
    histogram[0][bisect_left(BUCKETS, seconds)] += 1
    histogram[1][0] += seconds


def watch_breakers(is_open: Mapping[str, Callable[[], bool]]) -> None:
    """Report each route's circuit at every flush."""
    _breakers.update(is_open)


def flush() -> None:
    requests, latency = dict(_requests), dict(_latency)
    _requests.clear()
    _latency.clear()
    for (route, method, status), count in requests.items():
        REQUESTS.labels(route, method, str(status)).inc(count)
    for route, (counts, total) in latency.items():
        _add_to_histogram(LATENCY.labels(route), counts, total[0])
    for route, is_open in _breakers.items():
        BREAKER_OPEN.labels(route).set(float(is_open()))


def _add_to_histogram(child: Histogram, counts: list[int], total: float) -> None:
    """Add per-bucket counts at once. prometheus_client only observes one value at a
    time; its buckets are per-bucket values (not cumulative) — the test of this module
    reads the exposition back to catch a change of that layout."""
    for bucket, count in zip(child._buckets, counts, strict=True):
        if count:
            bucket.inc(count)
    child._sum.inc(total)


async def flush_forever(interval_s: float = FLUSH_INTERVAL_S) -> None:
    while True:
        await asyncio.sleep(interval_s)
        flush()


def retry(route: str) -> None:
    RETRIES.labels(route).inc()


def fallback(route: str) -> None:
    FALLBACKS.labels(route).inc()
