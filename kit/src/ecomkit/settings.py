"""Run-time configuration of a service, read from ECOM_* environment variables.

`ecomctl up` sets these from the stack; services subclass `ServiceSettings` to add their own.
"""

from __future__ import annotations

from typing import Literal, Self

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from ecomkit.faults import parse_faults

# Only ever acceptable on a developer's machine; refused everywhere else (see below).
DEFAULT_JWT_SECRET = "dev-only-jwt-secret-change-me-0123456789"
MIN_SECRET_BYTES = 32

Environment = Literal["development", "test", "production"]


class InsecureSettingsError(ValueError):
    """The configuration would run a non-development service with a guessable secret."""


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ECOM_", extra="ignore")

    service_name: str = "service"
    host: str = "127.0.0.1"
    port: int = 8080
    environment: Environment = "development"
    database_url: str = ""
    kafka_bootstrap: str = "127.0.0.1:9092"
    redis_url: str = "redis://127.0.0.1:6379/0"
    mongo_url: str = ""
    registry_url: str = ""
    zipkin_url: str = ""
    trace_sample_ratio: float = Field(default=1.0, ge=0.0, le=1.0)
    """ECOM_TRACE_SAMPLE_RATIO: the share of new traces kept (the stack's
    `tracing.sample_ratio`); a trace's spans in every service follow its first one."""
    jwt_secret: SecretStr = SecretStr(DEFAULT_JWT_SECRET)
    jwt_issuer: str = "ecomctl-user-auth"
    jwt_audience: str = "ecommerce"
    access_token_ttl_s: int = 900
    refresh_token_ttl_s: int = 1_209_600
    max_body_bytes: int = 1_048_576
    upstreams: dict[str, str] = Field(default_factory=dict)
    log_level: str = "INFO"
    color: str = Field(default="blue", pattern=r"^[a-z0-9-]{1,20}$")
    """ECOM_COLOR: which release this instance belongs to (blue, green, a canary's name);
    registered as metadata, so the gateway can route a preview (`x-color`) to it."""
    version: str = Field(default="", max_length=64)
    """ECOM_VERSION: free text shown next to the color (a tag, a commit)."""
    registry_weight: int = Field(default=100, ge=0, le=1000)
    """ECOM_REGISTRY_WEIGHT: the weight the instance first registers with. A green
    instance starts at 0 (no traffic until promoted); later the registry's weight wins."""
    metrics_interval_s: float = Field(default=5.0, gt=0, le=300)
    """ECOM_METRICS_INTERVAL_S: how often consumer lag, DLQ sizes and the outbox backlog
    are sampled (each sample is a few queries to Kafka or the database)."""
    faults: str = ""
    """ECOM_FAULTS: injected errors and latency, e.g. "error_rate=0.3,latency_ms=300"
    (ecomkit.faults), to prove that a bad release is caught and rolled back."""

    @field_validator("faults")
    @classmethod
    def _faults_parse(cls, value: str) -> str:
        parse_faults(value)  # a typo fails the start-up, naming the key
        return value

    @model_validator(mode="after")
    def _refuse_weak_secret_outside_development(self) -> Self:
        if self.environment == "development":
            return self
        secret = self.jwt_secret.get_secret_value()
        if secret == DEFAULT_JWT_SECRET:
            raise InsecureSettingsError(
                f"ECOM_JWT_SECRET is the built-in development default; set a random secret "
                f"(ECOM_ENVIRONMENT={self.environment})"
            )
        if len(secret.encode()) < MIN_SECRET_BYTES:
            raise InsecureSettingsError(
                f"ECOM_JWT_SECRET must be at least {MIN_SECRET_BYTES} bytes outside development"
            )
        return self

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"


class ConsumerSettings(ServiceSettings):
    """A service that consumes Kafka events: the same ECOM_CONSUMER_* knobs everywhere."""

    consume_events: bool = True
    """ECOM_CONSUME_EVENTS=false runs the API alone (no consumer in the background)."""
    consumer_offset_reset: Literal["earliest", "latest"] = "earliest"
    """Where a new consumer group starts: "latest" lets a test stack ignore old events."""
    consumer_max_attempts: int = 5
    """Attempts at a transiently failing event before it goes to <topic>.DLQ."""
    consumer_backoff_initial_s: float = 0.2
    consumer_backoff_max_s: float = 5.0
    consumer_concurrency: int = 8
    """Events handled at once (one partition's events stay in order); keep under the pool."""
