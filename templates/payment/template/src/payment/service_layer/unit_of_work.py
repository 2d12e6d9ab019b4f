"""One PostgreSQL transaction per command; events recorded in it reach the outbox on commit.

A consumer's handler joins the transaction the kit's inbox opened (the inbox row, the
payment rows and the outbox rows then commit together, or not at all).
"""

from __future__ import annotations

import abc
from types import TracebackType
from typing import Self

from ecomkit.db import SqlUnitOfWork
from ecomkit.events import Event as OutboxEvent
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from payment.adapters.repositories import PaymentRepository, PostgresPaymentRepository
from payment.domain.events import Event

SOURCE = "payment"


class UnitOfWork(abc.ABC):
    payments: PaymentRepository

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


class PostgresUnitOfWork(UnitOfWork):
    """The kit's SqlUnitOfWork (outbox in the same transaction) with our repository."""

    def __init__(self, kit: SqlUnitOfWork, *, owned: bool) -> None:
        self._kit = kit
        self._owned = owned

    @classmethod
    def new(cls, session_factory: async_sessionmaker[AsyncSession]) -> PostgresUnitOfWork:
        return cls(SqlUnitOfWork(session_factory, source=SOURCE), owned=True)

    @classmethod
    def joining(cls, kit: SqlUnitOfWork) -> PostgresUnitOfWork:
        """Work inside a transaction someone else (the inbox) opened and will end."""
        return cls(kit, owned=False)

    async def __aenter__(self) -> Self:
        if self._owned:
            await self._kit.__aenter__()
        self.payments = PostgresPaymentRepository(self._kit.session)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._owned:
            await self._kit.__aexit__(exc_type, exc, tb)

    def add_event(self, event: Event) -> None:
        self._kit.add_event(
            OutboxEvent(
                type=type(event).__name__,
                topic=event.topic,
                key=event.key,
                subject=event.key,
                data=event.data,
                aggregate_type="payment",
            )
        )

    async def commit(self) -> None:
        await self._kit.commit()

    async def rollback(self) -> None:
        await self._kit.rollback()
