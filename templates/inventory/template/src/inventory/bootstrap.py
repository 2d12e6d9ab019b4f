"""Wires real adapters (or the fakes a test passes in) into a message bus."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from ecomkit.db import create_engine, create_session_factory
from sqlalchemy.ext.asyncio import AsyncEngine

from inventory.service_layer.handlers import Dependencies, utc_now
from inventory.service_layer.messagebus import MessageBus, message_bus
from inventory.service_layer.unit_of_work import MysqlUnitOfWork, UnitOfWork
from inventory.settings import Settings


@dataclass
class Resources:
    """The connections the app opens, so it can check and close them."""

    engine: AsyncEngine

    async def close(self) -> None:
        await self.engine.dispose()


def open_resources(settings: Settings) -> Resources:
    # READ COMMITTED: locking reads take record locks only (no gap locks, which made
    # concurrent reservations of new orders deadlock on their inserts), and plain reads
    # see what committed last. Concurrent reservations queue on the stock rows' locks:
    # give the waiters connections to wait with.
    engine = create_engine(
        settings.database_url, pool_size=10, max_overflow=20, isolation_level="READ COMMITTED"
    )
    return Resources(engine=engine)


def bootstrap(
    settings: Settings,
    resources: Resources | None = None,
    *,
    uow: Callable[[], UnitOfWork] | None = None,
    clock: Callable[[], datetime] = utc_now,
) -> MessageBus:
    """Real adapters for what is not passed in (tests pass fakes)."""
    if uow is None:
        if resources is None:
            raise ValueError("bootstrap needs resources for the adapters not passed in")
        sessions = create_session_factory(resources.engine)
        uow = lambda: MysqlUnitOfWork(sessions)  # noqa: E731
    return message_bus(
        Dependencies(uow=uow, reservation_ttl_s=settings.reservation_ttl_s, clock=clock)
    )
