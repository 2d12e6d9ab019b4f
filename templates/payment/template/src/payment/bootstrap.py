"""Wires the real adapters (or the fakes a test passes in) into a message bus."""

from __future__ import annotations

from collections.abc import Callable

from ecomkit.db import create_engine, create_session_factory
from sqlalchemy.ext.asyncio import AsyncEngine

from payment.adapters.stripe_provider import StripePaymentProvider
from payment.service_layer.handlers import Dependencies
from payment.service_layer.messagebus import MessageBus, message_bus
from payment.service_layer.ports import PaymentProvider
from payment.service_layer.unit_of_work import PostgresUnitOfWork, UnitOfWork
from payment.settings import Settings


def bootstrap(
    settings: Settings,
    *,
    uow: Callable[[], UnitOfWork] | None = None,
    provider: PaymentProvider | None = None,
    engine: AsyncEngine | None = None,
) -> MessageBus:
    if uow is None:
        sessions = create_session_factory(engine or create_engine(settings.database_url))
        uow = lambda: PostgresUnitOfWork(sessions)  # noqa: E731
    return message_bus(Dependencies(uow=uow, provider=provider or stripe_provider(settings)))


def stripe_provider(settings: Settings) -> StripePaymentProvider:
    return StripePaymentProvider(
        settings.stripe_api_key.get_secret_value(),
        api_base=settings.stripe_api_base or None,
        timeout_s=settings.stripe_timeout_s,
    )
