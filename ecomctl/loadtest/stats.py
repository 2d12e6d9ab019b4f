"""A run's numbers, independent of how Locust was driven (library or command line)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class EndpointStats:
    method: str
    name: str
    requests: int
    failures: int
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    avg_ms: float
    max_ms: float

    @property
    def error_rate(self) -> float:
        return self.failures / self.requests if self.requests else 0.0

    def to_json(self) -> dict[str, object]:
        return {**asdict(self), "error_rate": self.error_rate}


@dataclass(frozen=True)
class Progress:
    """What the terminal shows while the load runs."""

    elapsed_s: float
    users: int
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    requests: int
    failures: int
    orders_placed: int
    orders_done: int


@dataclass
class RunStats:
    endpoints: list[EndpointStats] = field(default_factory=list)
    total: EndpointStats | None = None
    failures: list[dict[str, object]] = field(default_factory=list)  # the top failure reasons
    duration_s: float = 0.0
