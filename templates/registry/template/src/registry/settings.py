"""Registry settings: the kit's ECOM_* settings plus how long silence is tolerated."""

from __future__ import annotations

from ecomkit.settings import ServiceSettings


class Settings(ServiceSettings):
    service_name: str = "registry"
    port: int = 8761
    # ECOM_REGISTRY_EVICT_AFTER_S: an instance silent this long is removed (3 missed beats).
    registry_evict_after_s: float = 30.0
    # How often the eviction sweep runs.
    registry_sweep_interval_s: float = 1.0
