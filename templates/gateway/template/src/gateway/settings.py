"""Gateway settings: the kit's ECOM_* settings plus the edge policies (ECOM_GATEWAY_*)."""

from __future__ import annotations

from pathlib import Path
from typing import Self

from ecomkit.settings import InsecureSettingsError, ServiceSettings
from pydantic import SecretStr, model_validator


class Settings(ServiceSettings):
    service_name: str = "gateway"
    port: int = 8080

    # Worker processes of `python -m gateway` (0 = one per CPU). Each has its own breakers,
    # response cache and metrics; rate limits stay shared through Redis.
    gateway_workers: int = 0
    # Route table (JSON); empty = the one shipped in the package.
    gateway_routes_file: Path | None = None
    # Rate limits: token buckets in Redis, one per IP and one per authenticated user.
    gateway_rate_limit_enabled: bool = True
    gateway_rate_per_ip_per_s: float = 50.0
    gateway_burst_per_ip: int = 100
    gateway_rate_per_user_per_s: float = 100.0
    gateway_burst_per_user: int = 200
    # Stricter, per IP, on the routes' sensitive paths (/api/auth/*: login, register,
    # refresh, password reset): guessing and sign-up floods hit this long before the above.
    gateway_auth_rate_per_ip_per_s: float = 5.0
    gateway_auth_burst_per_ip: int = 20
    # ECOM_GATEWAY_REVOCATION_CHECK: ask the Redis denylist about every token on a
    # protected route (a logout takes effect at the edge at once). false only to show that
    # this check, not the services' own, refuses a revoked token (tests/security); refused
    # outside development.
    gateway_revocation_check: bool = True
    # Upstream calls.
    gateway_connect_timeout_s: float = 1.0
    gateway_read_timeout_s: float = 30.0
    gateway_retries: int = 2
    gateway_retry_backoff_s: float = 0.05
    gateway_pool_per_upstream: int = 256
    # Circuit breaker, one per route.
    gateway_breaker_failures: int = 5
    gateway_breaker_reset_s: float = 10.0
    # Response cache for public GETs (in-process; 0 disables it).
    gateway_cache_ttl_s: float = 2.0
    gateway_cache_max_entries: int = 10_000
    gateway_cache_max_body_bytes: int = 262_144
    # All cached entries together (bodies and headers), whatever their number.
    gateway_cache_max_bytes: int = 33_554_432
    # ECOM_GATEWAY_METRICS_TOKEN: the bearer token Prometheus scrapes /metrics with (the
    # gateway's operator pages need ADMIN otherwise); empty = ADMIN only.
    gateway_metrics_token: SecretStr = SecretStr("")
    # How often upstream instances are re-read from the registry.
    gateway_registry_refresh_s: float = 5.0
    # WebSockets (/ws/**) in Granian (false: the upgrade is refused; plain HTTP measured in
    # docs/services/gateway.md); closed (1001) after this long without a frame either way;
    # at most this many open per user (per worker process); upstream handshake timeout.
    gateway_websockets: bool = True
    gateway_ws_idle_timeout_s: float = 300.0
    gateway_ws_max_per_user: int = 20
    gateway_ws_open_timeout_s: float = 5.0
    # How long a client without a token in the handshake has to send it as its first message.
    gateway_ws_auth_timeout_s: float = 5.0

    @model_validator(mode="after")
    def _revocation_checked_outside_development(self) -> Self:
        if self.environment != "development" and not self.gateway_revocation_check:
            raise InsecureSettingsError(
                "ECOM_GATEWAY_REVOCATION_CHECK=false is refused outside development"
            )
        return self
