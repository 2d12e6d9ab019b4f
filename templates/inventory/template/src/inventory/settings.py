"""inventory settings: the kit's ECOM_* settings plus the reservations' lifetime."""

from __future__ import annotations

from typing import Literal

from ecomkit.settings import ServiceSettings


class Settings(ServiceSettings):
    service_name: str = "inventory"
    port: int = 8085
    database_url: str = "mysql+asyncmy://ecomctl:ecomctl@127.0.0.1:3306/inventory"
    reservation_ttl_s: float = 900.0
    """ECOM_RESERVATION_TTL_S: a reservation not confirmed by then is released by itself."""
    expiry_sweep_interval_s: float = 5.0
    consume_events: bool = True
    consumer_offset_reset: Literal["earliest", "latest"] = "earliest"
    """Where a new consumer group starts: "latest" lets a test stack ignore old events."""
