"""An instance's /metrics page as prometheus_client writes it, for the rollout tests."""

from __future__ import annotations

import bisect
import math
import random
from collections.abc import Iterable

from prometheus_client import CollectorRegistry, Counter, generate_latest
from prometheus_client import Histogram as PromHistogram

from ecomctl.rollout.figures import DEFAULT_BOUNDS, Figures, Histogram, figures, parse_metrics


class Instance:
    """The kit's metrics (same names and labels) in a registry of their own."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "http_requests_total", "HTTP requests handled", ["method", "route", "status"],
            registry=self.registry,
        )  # fmt: skip
        self.latency = PromHistogram(
            "http_request_duration_seconds", "HTTP request latency", ["method", "route"],
            registry=self.registry,
        )  # fmt: skip
        self.consumed = Counter(
            "ecom_events_consumed_total", "Events consumed", ["consumer", "topic", "outcome"],
            registry=self.registry,
        )  # fmt: skip
        self.failures = Counter(
            "ecom_event_failures_total", "Event handling failures", ["consumer", "topic"],
            registry=self.registry,
        )  # fmt: skip

    def serve(
        self, seconds: Iterable[float], *, status: int = 200, route: str = "/orders",
        method: str = "GET",
    ) -> None:  # fmt: skip
        """One request per latency in `seconds`."""
        for latency in seconds:
            self.requests.labels(method, route, str(status)).inc()
            self.latency.labels(method, route).observe(latency)

    def consume(self, outcome: str, count: int = 1, *, topic: str = "orders") -> None:
        self.consumed.labels("inventory", topic, outcome).inc(count)

    def scrape(self) -> str:
        return generate_latest(self.registry).decode()


def window(
    latencies: Iterable[float], *, errors: int = 0, error_latency: float = 0.01,
    window_s: float = 10.0,
) -> Figures:  # fmt: skip
    """Figures of a fresh instance that served `latencies` with 200 and `errors` 500s."""
    instance = Instance()
    instance.serve(latencies)
    instance.serve([error_latency] * errors, status=500)
    return figures(parse_metrics(instance.scrape()), window_s)


def binned(seconds: list[float], bounds: tuple[float, ...] = DEFAULT_BOUNDS) -> Histogram:
    """The histogram Prometheus keeps of `seconds` (bucket i holds bounds[i-1] < v <= bounds[i])."""
    counts = [0] * len(bounds)
    for value in seconds:
        counts[bisect.bisect_left(bounds, value)] += 1
    return Histogram(bounds, tuple(counts))


def latencies(seed: int, n: int, *, median_s: float = 0.03, shift_s: float = 0.0) -> list[float]:
    rng = random.Random(seed)
    return [rng.lognormvariate(math.log(median_s), 0.5) + shift_s for _ in range(n)]
