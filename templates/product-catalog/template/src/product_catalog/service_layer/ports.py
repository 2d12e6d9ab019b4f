"""What the handlers need besides the SQL unit of work (adapters implement these)."""

from __future__ import annotations

from typing import Any, Literal, Protocol

CacheLevel = Literal["l1", "l2"] | None


class ProductCache(Protocol):
    async def get(self, product_id: int) -> tuple[dict[str, Any] | None, CacheLevel]: ...

    async def set(self, product_id: int, view: dict[str, Any]) -> None: ...

    async def invalidate(self, product_id: int) -> None: ...


class UserDirectory(Protocol):
    async def exists(self, user_id: int, *, authorization: str) -> bool:
        """Whether user-auth knows the user; UpstreamUnavailable when it cannot tell."""
        ...


class StockLookup(Protocol):
    async def available(self, product_id: int) -> int | None:
        """Units in stock, or None when the inventory service cannot tell (not running)."""
        ...
