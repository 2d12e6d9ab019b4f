"""recommendation settings: the kit's ECOM_* consumer settings plus its database and how
often the model is trained."""

from __future__ import annotations

from ecomkit.settings import ConsumerSettings


class Settings(ConsumerSettings):
    service_name: str = "recommendation"
    port: int = 8088
    database_url: str = "postgresql+asyncpg://ecomctl:ecomctl@127.0.0.1:5432/recommendations"
    # The model is trained at start-up and then every so often (0: only on demand, through
    # POST /api/admin/recommendations/train or `ecomctl recommendations train`).
    train_interval_s: float = 300.0
