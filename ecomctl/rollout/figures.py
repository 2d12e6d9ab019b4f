"""What one color of a service did over a window, from the instances' Prometheus counters.

A scrape is a `Snapshot` of cumulative counters; the difference of two scrapes of one
instance is what it did in between, and the sum over a color's instances is what the color
did. Figures are derived only at the end, from the summed counts, because rates and
percentiles of instances cannot be averaged.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

REQUESTS = "http_requests_total"
LATENCY_BUCKET = "http_request_duration_seconds_bucket"
EVENTS_CONSUMED = "ecom_events_consumed_total"
EVENT_FAILURES = "ecom_event_failures_total"
# Probes, scrapes and fault switching are not the traffic a release is judged on.
EXCLUDED_ROUTES = frozenset({"/health/live", "/health/ready", "/metrics", "/admin/faults"})
# prometheus_client's default buckets, the ones the kit's histogram uses.
DEFAULT_BOUNDS = (.005, .01, .025, .05, .075, .1, .25, .5, .75, 1.0, 2.5, 5.0, 7.5, 10.0,
                  math.inf)  # fmt: skip


@dataclass(frozen=True)
class Histogram:
    """Latency observations per bucket: `counts[i]` fell in (bounds[i-1], bounds[i]].

    Counts are per bucket (not Prometheus' cumulative `le` counts) so that sums,
    differences and the rank statistics of `compare` are plain element-wise arithmetic.
    """

    bounds: tuple[float, ...] = DEFAULT_BOUNDS
    counts: tuple[int, ...] = (0,) * len(DEFAULT_BOUNDS)

    def __post_init__(self) -> None:
        if len(self.bounds) != len(self.counts):
            raise ValueError("a histogram needs one count per bucket")
        if not self.bounds or self.bounds[-1] != math.inf:
            raise ValueError("the last bucket of a histogram must be +Inf")
        if any(a >= b for a, b in zip(self.bounds, self.bounds[1:], strict=False)):
            raise ValueError("histogram bounds must increase")

    @classmethod
    def from_cumulative(cls, buckets: Mapping[float, float]) -> Histogram:
        """From Prometheus' `le` -> cumulative count pairs of one series."""
        bounds = tuple(sorted(buckets))
        counts, below = [], 0
        for bound in bounds:
            cumulative = int(buckets[bound])
            counts.append(max(0, cumulative - below))
            below = max(below, cumulative)
        return cls(bounds, tuple(counts))

    @property
    def count(self) -> int:
        return sum(self.counts)

    def __add__(self, other: Histogram) -> Histogram:
        if self.bounds != other.bounds:
            # An empty side carries no observations, whatever its buckets.
            if not other.count:
                return self
            if not self.count:
                return other
            raise ValueError("cannot add histograms with different buckets")
        return Histogram(
            self.bounds, tuple(a + b for a, b in zip(self.counts, other.counts, strict=True))
        )

    def __sub__(self, earlier: Histogram) -> Histogram:
        """Observations since `earlier`; all of them when a bucket went down (a restart)."""
        if self.went_down_since(earlier):
            return self
        return Histogram(
            self.bounds, tuple(a - b for a, b in zip(self.counts, earlier.counts, strict=True))
        )

    def went_down_since(self, earlier: Histogram) -> bool:
        """True when `earlier` cannot be an earlier state of this series (a restart)."""
        if self.bounds != earlier.bounds:
            return earlier.count > 0
        return any(a < b for a, b in zip(self.counts, earlier.counts, strict=True))

    def quantile(self, q: float) -> float | None:
        """The q-quantile in the bounds' unit, interpolated within its bucket as PromQL's
        `histogram_quantile` does (a quantile in the +Inf bucket is the highest finite
        bound); None without observations."""
        if not 0 <= q <= 1:
            raise ValueError(f"quantile {q} is not between 0 and 1")
        total = self.count
        if not total:
            return None
        rank = q * total
        below = 0
        for i, (bound, count) in enumerate(zip(self.bounds, self.counts, strict=True)):
            if below + count >= rank:
                if bound == math.inf:
                    return self.bounds[-2] if len(self.bounds) > 1 else 0.0
                start = self.bounds[i - 1] if i else 0.0
                if not count:
                    return start
                return start + (bound - start) * (rank - below) / count
            below += count
        return self.bounds[-2] if len(self.bounds) > 1 else 0.0


@dataclass(frozen=True)
class Snapshot:
    """Cumulative counters of one instance at one scrape, or a delta / sum of them."""

    requests: Mapping[int, int] = field(default_factory=dict)  # by HTTP status code
    latency: Histogram = field(default_factory=Histogram)
    events_handled: int = 0
    events_duplicate: int = 0
    dead_lettered: int = 0
    event_failures: int = 0

    @classmethod
    def empty(cls) -> Snapshot:
        return cls()

    def _scalars(self) -> tuple[int, int, int, int]:
        return (self.events_handled, self.events_duplicate, self.dead_lettered,
                self.event_failures)  # fmt: skip

    def __add__(self, other: Snapshot) -> Snapshot:
        requests = dict(self.requests)
        for status, count in other.requests.items():
            requests[status] = requests.get(status, 0) + count
        handled, duplicate, dead, failures = (
            a + b for a, b in zip(self._scalars(), other._scalars(), strict=True)
        )
        return Snapshot(requests, self.latency + other.latency, handled, duplicate, dead,
                        failures)  # fmt: skip

    def __sub__(self, earlier: Snapshot) -> Snapshot:
        """What the instance did since `earlier`.

        Counters only go up while a process lives, so any counter lower than before means
        the instance restarted in between: then everything it counted is new, and the
        later scrape is the delta (what ran before the restart and was not scraped is lost).
        """
        if self._restarted_since(earlier):
            return self
        requests = {s: c - earlier.requests.get(s, 0) for s, c in self.requests.items()}
        handled, duplicate, dead, failures = (
            a - b for a, b in zip(self._scalars(), earlier._scalars(), strict=True)
        )
        return Snapshot({s: c for s, c in requests.items() if c}, self.latency - earlier.latency,
                        handled, duplicate, dead, failures)  # fmt: skip

    def _restarted_since(self, earlier: Snapshot) -> bool:
        if any(self.requests.get(s, 0) < c for s, c in earlier.requests.items()):
            return True
        if any(a < b for a, b in zip(self._scalars(), earlier._scalars(), strict=True)):
            return True
        return self.latency.went_down_since(earlier.latency)


def parse_metrics(text: str) -> Snapshot:
    """The counters a release is judged on, from one instance's `/metrics` page.

    Requests and latencies are summed over methods and routes, leaving out EXCLUDED_ROUTES;
    events over consumers and topics. Metrics the page lacks (a service without consumers)
    count as zero.
    """
    requests: dict[int, int] = {}
    series: dict[tuple[tuple[str, str], ...], dict[float, float]] = {}
    events = {"handled": 0, "duplicate": 0, "dead-lettered": 0}
    failures = 0
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = sample.labels
            if sample.name == REQUESTS and labels.get("route") not in EXCLUDED_ROUTES:
                status = _status(labels.get("status", ""))
                if status is not None:
                    requests[status] = requests.get(status, 0) + int(sample.value)
            elif sample.name == LATENCY_BUCKET and labels.get("route") not in EXCLUDED_ROUTES:
                key = tuple(sorted((k, v) for k, v in labels.items() if k != "le"))
                series.setdefault(key, {})[float(labels["le"])] = sample.value
            elif sample.name == EVENTS_CONSUMED and labels.get("outcome") in events:
                events[labels["outcome"]] += int(sample.value)
            elif sample.name == EVENT_FAILURES:
                failures += int(sample.value)
    return Snapshot(
        requests={s: c for s, c in requests.items() if c},
        latency=_sum(Histogram.from_cumulative(buckets) for buckets in series.values()),
        events_handled=events["handled"],
        events_duplicate=events["duplicate"],
        dead_lettered=events["dead-lettered"],
        event_failures=failures,
    )


def _status(label: str) -> int | None:
    return int(label) if label.isdigit() else None


def _sum(histograms: Iterable[Histogram]) -> Histogram:
    total = Histogram()
    for histogram in histograms:
        total = total + histogram
    return total


@dataclass(frozen=True)
class Figures:
    """One color over one window, as the gates and the terminal show it.

    Percentages and percentiles are None without requests: 100 % of nothing would pass
    a gate that no traffic tested.
    """

    window_s: float
    requests: int
    errors: int
    success_pct: float | None
    error_pct: float | None
    rps: float
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None
    events_handled: int
    events_duplicate: int
    event_failures: int
    dead_lettered: int
    latency: Histogram = field(default_factory=Histogram, repr=False)

    def to_dict(self) -> dict[str, Any]:
        """The figures for --json (the latency buckets stay out: the percentiles say it)."""
        return {
            "window_s": self.window_s,
            "requests": self.requests,
            "errors": self.errors,
            "success_pct": _round(self.success_pct, 3),
            "error_pct": _round(self.error_pct, 3),
            "rps": round(self.rps, 3),
            "p50_ms": _round(self.p50_ms, 1),
            "p95_ms": _round(self.p95_ms, 1),
            "p99_ms": _round(self.p99_ms, 1),
            "events_handled": self.events_handled,
            "events_duplicate": self.events_duplicate,
            "event_failures": self.event_failures,
            "dead_lettered": self.dead_lettered,
        }


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def figures(snapshot: Snapshot, window_s: float) -> Figures:
    """The figures of a delta `snapshot` that covered `window_s` seconds."""
    requests = sum(snapshot.requests.values())
    errors = sum(c for s, c in snapshot.requests.items() if s >= 500)
    error_pct = 100.0 * errors / requests if requests else None

    def ms(q: float) -> float | None:
        seconds = snapshot.latency.quantile(q)
        return None if seconds is None else 1000.0 * seconds

    return Figures(
        window_s=window_s,
        requests=requests,
        errors=errors,
        success_pct=None if error_pct is None else 100.0 - error_pct,
        error_pct=error_pct,
        rps=requests / window_s if window_s > 0 else 0.0,
        p50_ms=ms(0.5),
        p95_ms=ms(0.95),
        p99_ms=ms(0.99),
        events_handled=snapshot.events_handled,
        events_duplicate=snapshot.events_duplicate,
        event_failures=snapshot.event_failures,
        dead_lettered=snapshot.dead_lettered,
        latency=snapshot.latency,
    )
