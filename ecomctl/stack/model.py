"""The stack file's schema (stacks/default.yaml), validated with pydantic.

Every model forbids unknown keys so a typo in a stack file is an error with a
line number rather than a silently ignored setting.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

INFRA_NAMES = (
    "kafka",
    "postgres",
    "mysql",
    "mongo",
    "redis",
    "search",
    "zipkin",
    "prometheus",
    "smtp",
    "stripe",
)

Port = int


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class InfraSpec(_Strict):
    """One infrastructure component as the stack configures it."""

    port: Port = Field(ge=1, le=65535)
    extra_ports: dict[str, Port] = Field(default_factory=dict)
    version: str | None = None
    image: str | None = None  # docker runtime image; each component has a default
    heap_mb: int | None = Field(default=None, ge=64, le=8192)
    databases: list[str] = Field(default_factory=list)
    user: str = "ecomctl"
    password: str = "ecomctl"
    ready_timeout_s: float | None = Field(default=None, gt=0, le=900)
    enabled: bool = True

    @field_validator("extra_ports")
    @classmethod
    def _ports_in_range(cls, value: dict[str, int]) -> dict[str, int]:
        for name, port in value.items():
            if not 1 <= port <= 65535:
                raise ValueError(f"port {name}={port} is outside 1-65535")
        return value

    @field_validator("databases")
    @classmethod
    def _database_names(cls, value: list[str]) -> list[str]:
        for db in value:
            if not db.replace("_", "").isalnum() or not db[0].isalpha():
                raise ValueError(f"database name {db!r} must be letters, digits and _")
        return value


class TopicSpec(_Strict):
    name: str = Field(pattern=r"^[A-Za-z0-9._-]{1,249}$")
    partitions: int = Field(default=3, ge=1, le=1000)
    # One broker locally: the plan's replication factor 2 applies to real clusters only.
    replication_factor: int = Field(default=1, ge=1, le=5)
    dlq: bool = True


class ServiceSpec(_Strict):
    """A generated service (templates arrive with the services issue)."""

    port: Port = Field(ge=1, le=65535)
    template: str
    uses: list[str] = Field(default_factory=list)  # infra components it needs
    database: str | None = None
    publishes: list[str] = Field(default_factory=list)
    consumes: list[str] = Field(default_factory=list)
    enabled: bool = True
    # Extra ECOM_* settings for this service; they win over what ecomctl derives.
    env: dict[str, str] = Field(default_factory=dict)

    @field_validator("env")
    @classmethod
    def _ecom_names(cls, value: dict[str, str]) -> dict[str, str]:
        wrong = [key for key in value if not key.startswith("ECOM_")]
        if wrong:
            raise ValueError(f"env names must start with ECOM_: {', '.join(wrong)}")
        return value


Duration = Annotated[str, Field(pattern=r"^[0-9]+(ms|s|m|h)$")]


class AlertThresholds(_Strict):
    """When the stack's alert rules fire (ecomctl.alerts; docs/observability.md runbooks)."""

    error_ratio: float = Field(default=0.05, gt=0, le=1)
    latency_p95_s: float = Field(default=0.5, gt=0, le=600)
    consumer_lag: int = Field(default=100, ge=0)
    outbox_oldest_s: float = Field(default=60.0, gt=0)
    window: Duration = "5m"  # rates, lag growth and new dead letters are judged over this
    hold: Duration = "2m"  # how long a condition lasts before its alert fires


class Observability(_Strict):
    """Scraping and sampling: seconds in tests, the defaults on a laptop."""

    scrape_interval: Duration = "10s"
    metrics_interval_s: float = Field(default=5.0, gt=0, le=300)
    alerts: AlertThresholds = Field(default_factory=AlertThresholds)


class TracingSpec(_Strict):
    sample_ratio: float = Field(default=1.0, ge=0.0, le=1.0)
    """The share of new traces the services keep (ECOM_TRACE_SAMPLE_RATIO). The first
    span of a trace decides for all of its spans, so an order is traced whole or not at
    all; every one in development (1.0), fewer under a load test that must not feed Zipkin."""


class Stack(_Strict):
    version: Literal[1] = 1
    name: str = Field(pattern=r"^[a-z][a-z0-9-]{0,40}$")
    infra: dict[str, InfraSpec]
    topics: list[TopicSpec] = Field(default_factory=list)
    services: dict[str, ServiceSpec] = Field(default_factory=dict)
    observability: Observability = Field(default_factory=Observability)

    tracing: TracingSpec = Field(default_factory=TracingSpec)

    @field_validator("infra")
    @classmethod
    def _known_components(cls, value: dict[str, InfraSpec]) -> dict[str, InfraSpec]:
        unknown = sorted(set(value) - set(INFRA_NAMES))
        if unknown:
            raise ValueError(
                f"unknown component(s) {', '.join(unknown)}; known: {', '.join(INFRA_NAMES)}"
            )
        return value

    @model_validator(mode="after")
    def _checks_across_sections(self) -> Stack:
        self._no_port_used_twice()
        topic_names = [t.name for t in self.topics]
        duplicates = sorted({n for n in topic_names if topic_names.count(n) > 1})
        if duplicates:
            raise ValueError(f"topic(s) declared twice: {', '.join(duplicates)}")
        for service_name, service in self.services.items():
            missing = [u for u in service.uses if u not in self.infra]
            if missing:
                raise ValueError(f"service {service_name} uses {', '.join(missing)}, not in infra")
        return self

    def _no_port_used_twice(self) -> None:
        seen: dict[int, str] = {}
        for owner, port in self.all_ports():
            if port in seen:
                raise ValueError(f"port {port} is used by both {seen[port]} and {owner}")
            seen[port] = owner

    def all_ports(self) -> list[tuple[str, int]]:
        """Every (owner, port) pair the stack binds, before any port offset."""
        ports: list[tuple[str, int]] = []
        for name, spec in self.infra.items():
            ports.append((name, spec.port))
            ports.extend((f"{name}.{key}", port) for key, port in spec.extra_ports.items())
        ports.extend((name, svc.port) for name, svc in self.services.items())
        return ports

    def enabled_infra(self) -> dict[str, InfraSpec]:
        return {name: spec for name, spec in self.infra.items() if spec.enabled}
