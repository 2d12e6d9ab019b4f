"""order settings: the kit's ECOM_* settings plus the saga's deadline."""

from __future__ import annotations

from typing import Literal

from ecomkit.settings import ServiceSettings


class Settings(ServiceSettings):
    service_name: str = "order"
    port: int = 8083
    database_url: str = "postgresql+asyncpg://ecomctl:ecomctl@127.0.0.1:5432/orders"
    saga_timeout_s: float = 60.0
    """ECOM_SAGA_TIMEOUT_S: a PENDING order older than this is cancelled ("saga timeout")."""
    saga_sweep_interval_s: float = 2.0
    consume_events: bool = True
    consumer_offset_reset: Literal["earliest", "latest"] = "earliest"
    """Where a new consumer group starts: "latest" lets a test stack ignore old events."""
