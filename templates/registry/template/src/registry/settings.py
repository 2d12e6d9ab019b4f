"""Registry settings: the kit's ECOM_* settings plus how long silence is tolerated and who
may register (docs/security.md)."""

from __future__ import annotations

from ecomkit.settings import ServiceSettings
from pydantic import Field

from registry.domain.admission import DEFAULT_ALLOWED_HOSTS


class Settings(ServiceSettings):
    service_name: str = "registry"
    port: int = 8761
    # ECOM_REGISTRY_EVICT_AFTER_S: an instance silent this long is removed (3 missed beats).
    registry_evict_after_s: float = 30.0
    # How often the eviction sweep runs.
    registry_sweep_interval_s: float = 1.0
    # ECOM_REGISTRY_SERVICES (JSON list): the stack's service names; empty = any name.
    registry_services: list[str] = Field(default_factory=list)
    # ECOM_REGISTRY_ALLOWED_HOSTS (JSON list): the hosts an instance URL may name.
    registry_allowed_hosts: list[str] = Field(default_factory=lambda: [*DEFAULT_ALLOWED_HOSTS])
