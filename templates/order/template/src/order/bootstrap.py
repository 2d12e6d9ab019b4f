"""Wires real adapters (or the fakes a test passes in) into a message bus."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from ecomkit.db import create_engine, create_session_factory
from ecomkit.eventstore import PostgresProjectionStore, ProjectionRunner
from ecomkit.service import ServiceResources
from sqlalchemy.ext.asyncio import AsyncEngine

from order.adapters.clients import HttpProductCatalog, HttpUserDirectory
from order.adapters.projections import PROJECTIONS
from order.adapters.read_models import PostgresReadModels
from order.adapters.repositories import UPCASTERS
from order.adapters.tables import ORDER_STREAMS
from order.service_layer.handlers import Dependencies, utc_now
from order.service_layer.messagebus import MessageBus, message_bus
from order.service_layer.ports import ProductCatalog, ReadModels, UserDirectory
from order.service_layer.unit_of_work import PostgresUnitOfWork, UnitOfWork
from order.settings import Settings


@dataclass(kw_only=True)
class Resources(ServiceResources):
    engine: AsyncEngine

    async def close(self) -> None:
        await super().close()
        await self.engine.dispose()


def open_resources(settings: Settings) -> Resources:
    return Resources(engine=create_engine(settings.database_url))


def bootstrap(
    settings: Settings,
    resources: Resources | None = None,
    *,
    uow: Callable[[], UnitOfWork] | None = None,
    users: UserDirectory | None = None,
    catalog: ProductCatalog | None = None,
    clock: Callable[[], datetime] = utc_now,
    read_models: ReadModels | None = None,
    projections: ProjectionRunner | None = None,
) -> MessageBus:
    """Real adapters for what is not passed in (tests pass fakes for all of them)."""
    if uow is None or users is None or catalog is None:
        if resources is None:
            raise ValueError("bootstrap needs resources for the adapters not passed in")
        if uow is None:
            sessions = create_session_factory(resources.engine)
            uow = lambda: PostgresUnitOfWork(sessions)  # noqa: E731
        if users is None:
            users = HttpUserDirectory(resources.client("user-auth", settings))
        if catalog is None:
            catalog = HttpProductCatalog(resources.client("product-catalog", settings))
    if resources is not None:
        read_models = read_models or PostgresReadModels(resources.engine)
        projections = projections or projection_runner(settings, resources)
    return message_bus(
        Dependencies(
            uow=uow,
            users=users,
            catalog=catalog,
            saga_timeout_s=settings.saga_timeout_s,
            clock=clock,
            read_models=read_models,
            projections=projections,
        )
    )


def projection_runner(settings: Settings, resources: Resources) -> ProjectionRunner:
    """The read models' runner on the order log (run in the background by the app)."""
    store = PostgresProjectionStore(resources.engine, ORDER_STREAMS, upcasters=UPCASTERS)
    return ProjectionRunner(
        store, PROJECTIONS, batch=settings.projection_batch, grace_s=settings.projection_grace_s
    )
