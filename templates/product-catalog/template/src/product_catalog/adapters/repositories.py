"""Storage ports and their MySQL implementations (SQLAlchemy Core, parameterised).

The in-memory fakes in tests/ pass the same contract tests (tests/contracts.py).
"""

from __future__ import annotations

import abc
from typing import Any

from ecomkit.records import record_from_row, record_values
from sqlalchemy import CursorResult, func, insert, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import ColumnElement

from product_catalog.adapters.tables import products, reviews
from product_catalog.domain.errors import SkuTaken
from product_catalog.domain.model import Product, Review

_PRODUCT_FIELDS = (
    "sku", "name", "description", "category", "brand", "price", "currency", "image_url", "active",
)


class ProductRepository(abc.ABC):
    @abc.abstractmethod
    async def add(self, product: Product) -> Product:
        """Store a new product and set its id (SkuTaken if the sku is in use)."""

    @abc.abstractmethod
    async def get(self, product_id: int) -> Product | None:
        """An active product; deleted ones are gone for readers."""

    @abc.abstractmethod
    async def save(self, product: Product) -> None: ...

    @abc.abstractmethod
    async def list(
        self, *, offset: int, limit: int, name: str | None = None
    ) -> tuple[list[Product], int]:
        """A page of active products by id, optionally whose name contains `name`."""


class ReviewLedger(abc.ABC):
    """The MySQL record of every review, written with its ReviewAdded outbox row."""

    @abc.abstractmethod
    async def add(self, review: Review) -> None: ...

    @abc.abstractmethod
    async def unstored(self, *, older_than_s: float, limit: int = 100) -> list[Review]:
        """Reviews whose Mongo copy was not confirmed `older_than_s` after recording."""

    @abc.abstractmethod
    async def mark_stored(self, review_id: str) -> None: ...


class MysqlProductRepository(ProductRepository):
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, product: Product) -> Product:
        row = record_values(product, only=_PRODUCT_FIELDS)
        try:
            result = await self.session.execute(insert(products).values(**row))
        except IntegrityError as error:
            raise SkuTaken(product.sku) from error
        product.id = _inserted_id(result)
        stored = await self.get(product.id)
        if stored is not None:
            product.created_at, product.updated_at = stored.created_at, stored.updated_at
        return product

    async def get(self, product_id: int) -> Product | None:
        query = select(products).where(products.c.id == product_id, products.c.active.is_(True))
        row = (await self.session.execute(query)).first()
        return _product(row._mapping) if row else None

    async def save(self, product: Product) -> None:
        row = record_values(product, only=_PRODUCT_FIELDS)
        try:
            await self.session.execute(
                update(products)
                .where(products.c.id == product.id)
                .values(**row, version=products.c.version + 1)
            )
        except IntegrityError as error:
            raise SkuTaken(product.sku) from error
        # Read back under the row lock the UPDATE holds: two concurrent saves get two versions.
        query = select(products.c.version).where(products.c.id == product.id)
        product.version = int(await self.session.scalar(query) or product.version)

    async def list(
        self, *, offset: int, limit: int, name: str | None = None
    ) -> tuple[list[Product], int]:
        condition: ColumnElement[bool] = products.c.active.is_(True)
        if name:
            # contains(..., autoescape) escapes % and _ so they match literally.
            condition = condition & products.c.name.contains(name, autoescape=True)
        counted = select(func.count()).select_from(products).where(condition)
        total = await self.session.scalar(counted)
        query = select(products).where(condition).order_by(products.c.id)
        rows = await self.session.execute(query.offset(offset).limit(limit))
        return [_product(r._mapping) for r in rows], int(total or 0)


def _product(row: Any) -> Product:
    return record_from_row(Product, row)


class MysqlReviewLedger(ReviewLedger):
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, review: Review) -> None:
        await self.session.execute(
            # created_at from the database clock, the one `unstored` compares with
            insert(reviews).values(**record_values(review, exclude=("created_at",)))
        )

    async def unstored(self, *, older_than_s: float, limit: int = 100) -> list[Review]:
        cutoff = text("CURRENT_TIMESTAMP(6) - INTERVAL :seconds MICROSECOND").bindparams(
            seconds=int(older_than_s * 1_000_000)
        )
        query = (
            select(reviews)
            .where(reviews.c.stored_at.is_(None), reviews.c.created_at <= cutoff)
            .order_by(reviews.c.created_at)
            .limit(limit)
        )
        return [_review(r._mapping) for r in await self.session.execute(query)]

    async def mark_stored(self, review_id: str) -> None:
        await self.session.execute(
            update(reviews).where(reviews.c.id == review_id).values(stored_at=func.now(6))
        )


def _review(row: Any) -> Review:
    return record_from_row(Review, row)


def _inserted_id(result: object) -> int:
    """The AUTO_INCREMENT id of a single-row INSERT."""
    assert isinstance(result, CursorResult)
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])
