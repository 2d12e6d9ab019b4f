"""Wires PostgreSQL (or the fake unit of work a test passes in) into a message bus."""

from __future__ import annotations

from collections.abc import Callable

from ecomkit.db import create_engine, create_session_factory
from sqlalchemy.ext.asyncio import AsyncEngine

from recommendation.service_layer.handlers import Dependencies
from recommendation.service_layer.messagebus import MessageBus, message_bus
from recommendation.service_layer.unit_of_work import PostgresUnitOfWork, UnitOfWork
from recommendation.settings import Settings


def bootstrap(
    settings: Settings,
    *,
    uow: Callable[[], UnitOfWork] | None = None,
    engine: AsyncEngine | None = None,
) -> MessageBus:
    if uow is None:
        sessions = create_session_factory(engine or create_engine(settings.database_url))
        uow = lambda: PostgresUnitOfWork(sessions)  # noqa: E731
    return message_bus(Dependencies(uow=uow))
