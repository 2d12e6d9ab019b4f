"""order settings: the kit's ECOM_* settings (consumers included) plus the saga's deadline."""

from __future__ import annotations

from ecomkit.settings import ConsumerSettings


class Settings(ConsumerSettings):
    service_name: str = "order"
    port: int = 8083
    database_url: str = "postgresql+asyncpg://ecomctl:ecomctl@127.0.0.1:5432/orders"
    saga_timeout_s: float = 60.0
    """ECOM_SAGA_TIMEOUT_S: a PENDING order older than this is cancelled ("saga timeout")."""
    saga_sweep_interval_s: float = 2.0
    projection_poll_s: float = 5.0
    """ECOM_PROJECTION_POLL_S: the read models' fallback poll when a NOTIFY was missed."""
    projection_batch: int = 200
    projection_grace_s: float = 300.0
    """ECOM_PROJECTION_GRACE_S: how long a replaced read-model generation is kept."""
