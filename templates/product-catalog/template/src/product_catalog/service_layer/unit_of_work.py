"""One MySQL transaction per command; events recorded in it reach the outbox on commit."""

from __future__ import annotations

import abc
from types import TracebackType
from typing import Self

from ecomkit.db import SqlUnitOfWork
from ecomkit.events import Event as OutboxEvent
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from product_catalog.adapters.repositories import (
    MysqlProductRepository,
    MysqlReviewLedger,
    ProductRepository,
    ReviewLedger,
)
from product_catalog.domain.events import Event

SOURCE = "product-catalog"


class UnitOfWork(abc.ABC):
    products: ProductRepository
    reviews: ReviewLedger

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.rollback()

    @abc.abstractmethod
    def add_event(self, event: Event) -> None:
        """Publish `event` if, and only if, this unit of work commits."""

    @abc.abstractmethod
    async def commit(self) -> None: ...

    @abc.abstractmethod
    async def rollback(self) -> None: ...


class MysqlUnitOfWork(UnitOfWork):
    """The kit's SqlUnitOfWork (outbox in the same transaction) with our repositories."""

    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self._kit = SqlUnitOfWork(session_factory, source=SOURCE)

    async def __aenter__(self) -> Self:
        await self._kit.__aenter__()
        self.products = MysqlProductRepository(self._kit.session)
        self.reviews = MysqlReviewLedger(self._kit.session)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._kit.__aexit__(exc_type, exc, tb)

    def add_event(self, event: Event) -> None:
        self._kit.add_event(
            OutboxEvent(
                type=type(event).__name__,
                topic=event.topic,
                key=event.key,
                subject=event.key,
                data=event.data,
                aggregate_type="product",
            )
        )

    async def commit(self) -> None:
        await self._kit.commit()

    async def rollback(self) -> None:
        await self._kit.rollback()
