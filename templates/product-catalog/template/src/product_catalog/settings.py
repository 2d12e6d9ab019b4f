"""product-catalog settings: the kit's ECOM_* settings plus the cache's TTLs and review copy."""

from __future__ import annotations

from ecomkit.settings import ConsumerSettings


class Settings(ConsumerSettings):
    service_name: str = "product-catalog"
    port: int = 8082
    database_url: str = "mysql+asyncmy://ecomctl:ecomctl@127.0.0.1:3306/products"
    mongo_url: str = "mongodb://127.0.0.1:27017/reviews"
    cache_l1_ttl_s: float = 5.0
    cache_l2_ttl_s: int = 300
    review_copy_interval_s: float = 10.0
    """How often reviews a crash left out of Mongo are copied there (docs: reviews)."""
