"""What the handlers need from other services (adapters/clients.py implements these)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Protocol


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


@dataclass(frozen=True)
class OrderQuery:
    """The admin search: every given bound must hold (dates inclusive, UTC days)."""

    status: str | None = None
    created_from: date | None = None
    created_to: date | None = None
    min_amount: Decimal | None = None
    max_amount: Decimal | None = None
    offset: int = 0
    limit: int = 20


Row = dict[str, Any]


class ReadModels(Protocol):
    """The asynchronous read models (adapters/projections.py), read from the generation
    that serves; ReadModelUnavailable before the first one exists."""

    async def history(self, user_id: int, *, offset: int, limit: int) -> list[Row]: ...

    async def sales(self, start: date, end: date, product_id: int | None) -> list[Row]: ...

    async def search(self, query: OrderQuery) -> list[Row]: ...
