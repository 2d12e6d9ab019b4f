"""inventory settings: the kit's ECOM_* settings (consumers included) plus reservations."""

from __future__ import annotations

from ecomkit.settings import ConsumerSettings


class Settings(ConsumerSettings):
    service_name: str = "inventory"
    port: int = 8085
    database_url: str = "mysql+asyncmy://ecomctl:ecomctl@127.0.0.1:3306/inventory"
    reservation_ttl_s: float = 900.0
    """ECOM_RESERVATION_TTL_S: a reservation not confirmed by then is released by itself."""
    expiry_sweep_interval_s: float = 5.0
