"""What the handlers need from other services (adapters/clients.py implements these)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol


@dataclass(frozen=True)
class UserInfo:
    id: int
    email: str | None = None


@dataclass(frozen=True)
class ProductInfo:
    id: int
    price: Decimal
    currency: str
    active: bool = True


class UserDirectory(Protocol):
    async def user(self, user_id: int, *, authorization: str) -> UserInfo | None:
        """The user, None if user-auth does not know them; UpstreamUnavailable otherwise."""
        ...


class ProductCatalog(Protocol):
    async def product(self, product_id: int, *, authorization: str) -> ProductInfo | None:
        """The product and its current price, None if unknown or withdrawn."""
        ...
