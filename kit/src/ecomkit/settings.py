"""Run-time configuration of a service, read from ECOM_* environment variables.

`ecomctl up` sets these from the stack; services subclass `ServiceSettings` to add their own,
and take the groups every service of a kind declares alike from the kit: `ConsumerSettings`
(a service that consumes Kafka events), `SmtpSettings` (one that sends mail).
"""

from __future__ import annotations

from typing import Literal, Self

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from ecomkit.faults import parse_faults

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
    registry_secret: SecretStr = SecretStr("")
    """ECOM_REGISTRY_SECRET: the workspace's registration secret (`ecomctl up` generates it);
    the registry refuses every write without it."""
    zipkin_url: str = ""
    trace_sample_ratio: float = Field(default=1.0, ge=0.0, le=1.0)
    """ECOM_TRACE_SAMPLE_RATIO: the share of new traces kept (the stack's
    `tracing.sample_ratio`); a trace's spans in every service follow its first one."""
    jwks_url: str = ""
    """ECOM_JWKS_URL: user-auth's JWKS document, the public keys of user tokens. No default:
    a service without it (and without ECOM_JWKS) refuses to start."""
    jwks: str = ""
    """ECOM_JWKS: the JWKS document itself, inline (tests; a stack without user-auth)."""
    client_secret: SecretStr = SecretStr("")
    """ECOM_CLIENT_SECRET: this service's own credential at user-auth (client-credentials
    grant), generated per workspace by `ecomctl up`; only services calling others need it."""
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
        secret = self.client_secret.get_secret_value()
        if self.environment != "development" and secret and len(secret.encode()) < MIN_SECRET_BYTES:
            raise InsecureSettingsError(
                f"ECOM_CLIENT_SECRET must be at least {MIN_SECRET_BYTES} bytes outside development"
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


class SmtpSettings(ServiceSettings):
    """A service that sends mail: the same ECOM_SMTP_* and ECOM_MAIL_FROM everywhere
    (`ecomctl up` points ECOM_SMTP_HOST/PORT at the stack's SMTP sink)."""

    smtp_host: str = "127.0.0.1"
    smtp_port: int = 1025
    smtp_username: str = ""
    """ECOM_SMTP_USERNAME/ECOM_SMTP_PASSWORD: a login, for a relay that wants one."""
    smtp_password: SecretStr = SecretStr("")
    smtp_starttls: bool = False
    smtp_timeout_s: float = 10.0
    mail_from: str = "ecomctl shop <shop@ecomctl.local>"
