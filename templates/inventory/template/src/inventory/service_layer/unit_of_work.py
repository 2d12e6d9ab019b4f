"""One MySQL transaction per command; events recorded in it reach the outbox on commit.

`JoinedUnitOfWork` runs a handler inside the transaction the kit's inbox opened for a
consumed event, so the inbox row, the stock moves and the outbox rows commit together.
"""

from __future__ import annotations

import abc
from types import TracebackType
from typing import Self

from ecomkit.db import SqlUnitOfWork
from ecomkit.events import Event as OutboxEvent
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from inventory.adapters.repositories import (
    MysqlReservationRepository,
    MysqlStockRepository,
    ReservationRepository,
    StockRepository,
)
from inventory.domain.events import Event, InventoryUpdated

SOURCE = "inventory"


def outbox_event(event: Event) -> OutboxEvent:
    return OutboxEvent(
        type=type(event).__name__,
        topic=event.topic,
        key=event.key,
        subject=event.key,
        data=event.data,
        aggregate_type="product" if isinstance(event, InventoryUpdated) else "order",
    )


class UnitOfWork(abc.ABC):
    stock: StockRepository
    reservations: ReservationRepository

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
        self.stock = MysqlStockRepository(self._kit.session)
        self.reservations = MysqlReservationRepository(self._kit.session)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._kit.__aexit__(exc_type, exc, tb)

    def add_event(self, event: Event) -> None:
        self._kit.add_event(outbox_event(event))

    async def commit(self) -> None:
        await self._kit.commit()

    async def rollback(self) -> None:
        await self._kit.rollback()


class JoinedUnitOfWork(UnitOfWork):
    """Our repositories on a transaction someone else (the inbox) owns and commits."""

    def __init__(self, outer: SqlUnitOfWork) -> None:
        self._outer = outer

    async def __aenter__(self) -> Self:
        self.stock = MysqlStockRepository(self._outer.session)
        self.reservations = MysqlReservationRepository(self._outer.session)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """An exception propagates to the inbox, which rolls everything back."""

    def add_event(self, event: Event) -> None:
        self._outer.add_event(outbox_event(event))

    async def commit(self) -> None:
        await self._outer.session.flush()

    async def rollback(self) -> None:
        """Nothing to undo here: the owner of the transaction decides."""
