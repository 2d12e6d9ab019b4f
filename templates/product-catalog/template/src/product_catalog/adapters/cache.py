"""The product view in the kit's two-level cache (in-process L1 + Redis L2)."""

from __future__ import annotations

from typing import Any

from ecomkit.cache import TwoLevelCache
from prometheus_client import Counter

from product_catalog.service_layer.ports import CacheLevel

CACHE_LOOKUPS = Counter(
    "product_cache_lookups_total",
    "Product-by-id lookups by where the answer came from",
    ["result"],
)


class TwoLevelProductCache:
    def __init__(self, cache: TwoLevelCache) -> None:
        self.cache = cache

    async def get(self, product_id: int) -> tuple[dict[str, Any] | None, CacheLevel]:
        value, level = await self.cache.get(str(product_id))
        CACHE_LOOKUPS.labels(result=f"hit_{level}" if level else "miss").inc()
        return value, level

    async def set(self, product_id: int, view: dict[str, Any]) -> None:
        await self.cache.set(str(product_id), view)

    async def invalidate(self, product_id: int) -> None:
        await self.cache.invalidate(str(product_id))
