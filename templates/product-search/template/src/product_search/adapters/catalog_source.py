"""The catalog's database, read once by a reindex: every product (inactive ones too, as
tombstones) at its version, and every review's rating.

This is the only place the search service reads another service's tables; it reads the
columns the catalog's ProductChanged and ReviewAdded carry, in one snapshot (one REPEATABLE
READ transaction), and turns each row into the event it stands for, so a row and an event
become the same index change.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

from ecomkit.contracts import ProductChanged, ReviewAdded
from ecomkit.db import async_url
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from product_search.domain.documents import IndexChange, product_change, review_change

PRODUCTS = text(
    "SELECT id, sku, name, description, category, brand, price, currency, image_url, active,"
    " created_at, updated_at, version FROM products ORDER BY id"
)
REVIEWS = text("SELECT id, product_id, user_id, rating, comment, created_at FROM reviews")


class CatalogDatabase:
    def __init__(self, url: str) -> None:
        self._engine = create_async_engine(
            async_url(url), pool_size=1, isolation_level="REPEATABLE READ"
        )

    async def changes(self) -> AsyncIterator[IndexChange]:
        """Products first, then reviews, from one snapshot."""
        async with self._engine.connect() as conn, conn.begin():
            for row in (await conn.execute(PRODUCTS)).mappings():
                yield product_change(product_event(dict(row)))
            for row in (await conn.execute(REVIEWS)).mappings():
                yield review_change(review_event(dict(row)))

    async def close(self) -> None:
        await self._engine.dispose()


def product_event(row: dict[str, Any]) -> ProductChanged:
    return ProductChanged(
        product_id=row["id"], change="updated", id=row["id"], sku=row["sku"], name=row["name"],
        description=row["description"], category=row["category"], brand=row["brand"],
        price=row["price"],
        currency=row["currency"], image_url=row["image_url"], active=bool(row["active"]),
        created_at=_utc(row["created_at"]), updated_at=_utc(row["updated_at"]),
        version=row["version"],
    )  # fmt: skip


def review_event(row: dict[str, Any]) -> ReviewAdded:
    return ReviewAdded(
        review_id=row["id"], product_id=row["product_id"], user_id=row["user_id"],
        rating=row["rating"], comment=row["comment"],
        created_at=_utc(row["created_at"]) or datetime.now(UTC),
    )  # fmt: skip


def _utc(moment: datetime | None) -> datetime | None:
    """The catalog stores naive UTC."""
    return moment.replace(tzinfo=UTC) if moment and moment.tzinfo is None else moment
