"""The unit-of-work port every service's handlers use, and its SQL implementation.

A service declares its repositories on a subclass of `UnitOfWork` (the port its handlers
and its in-memory fakes share), and its SQL unit of work as

    class PostgresUnitOfWork(SqlRepositories[Event], UnitOfWork):
        source = "order"

        def bind(self, session: AsyncSession) -> None:
            self.orders = PostgresOrderRepository(session)

A service's events are typed contracts (`ecomkit.contracts`): the unit of work publishes
each through its own `to_event()`.

`PostgresUnitOfWork(session_factory)` opens, commits and rolls back its own transaction
(the kit's `SqlUnitOfWork`: events reach the outbox in that transaction).
`PostgresUnitOfWork.joining(inbox_uow)` works inside the transaction the kit's inbox opened
for a consumed event: the inbox row, the changes and the outbox rows commit together when
the inbox commits, so `commit()` only flushes and `rollback()` leaves the decision to it.
"""

from __future__ import annotations

import abc
from types import TracebackType
from typing import ClassVar, Generic, Self, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ecomkit.contracts.base import Contract
from ecomkit.db import SqlUnitOfWork
from ecomkit.events import Event as OutboxEvent

EventT = TypeVar("EventT")


class UnitOfWork(abc.ABC, Generic[EventT]):
    """Repositories on one transaction; recorded events are published only if it commits.

    Leaving the `async with` block without `commit()` rolls back."""

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
    def add_event(self, event: EventT) -> None:
        """Publish `event` if, and only if, this unit of work commits."""

    @abc.abstractmethod
    async def commit(self) -> None: ...

    @abc.abstractmethod
    async def rollback(self) -> None: ...


class SqlRepositories(UnitOfWork[EventT]):
    """A service's repositories on the kit's SQL unit of work (its own, or the inbox's)."""

    # The `source` of every event this service publishes (the envelope's producer).
    source: ClassVar[str]

    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self._kit = SqlUnitOfWork(session_factory, source=self.source)
        self._owned = True

    @classmethod
    def joining(cls, outer: SqlUnitOfWork) -> Self:
        """Work inside a transaction someone else (the inbox) opened and will end."""
        joined = cls.__new__(cls)
        joined._kit, joined._owned = outer, False
        return joined

    @abc.abstractmethod
    def bind(self, session: AsyncSession) -> None:
        """Set this unit of work's repositories on `session`."""

    def outbox_event(self, event: EventT) -> OutboxEvent:
        """The outbox form of one of this service's events: its contract's (topic, key...)."""
        if isinstance(event, Contract):
            return event.to_event()
        raise TypeError(f"{type(event).__name__} is not an event contract (ecomkit.contracts)")

    async def __aenter__(self) -> Self:
        if self._owned:
            await self._kit.__aenter__()
        self.bind(self._kit.session)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # A joined unit of work's exception propagates to the inbox, which rolls back.
        if self._owned:
            await self._kit.__aexit__(exc_type, exc, tb)

    def add_event(self, event: EventT) -> None:
        self._kit.add_event(self.outbox_event(event))

    async def commit(self) -> None:
        if self._owned:
            await self._kit.commit()
        else:
            await self._kit.session.flush()

    async def rollback(self) -> None:
        if self._owned:
            await self._kit.rollback()
