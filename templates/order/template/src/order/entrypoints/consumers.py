"""The saga's events, each handled as it arrives.

Each event is read through its contract (`ecomkit.contracts`): a type not listed in
CONSUMED is ignored, one that does not fit its contract goes to the DLQ. The kit's consumer
runs each event's handler inside the inbox's transaction (`PostgresUnitOfWork.joining`), so a
redelivered event has no second effect and a crash leaves either everything or nothing.
"""

from __future__ import annotations

from ecomkit.consumer import EventConsumer
from ecomkit.contracts import (
    Contract,
    InventoryReservationFailed,
    InventoryReserved,
    PaymentCompleted,
    PaymentFailed,
)
from ecomkit.db import create_session_factory
from ecomkit.inbox import Handler, SqlInbox
from ecomkit.service import Joining, commands_from_events, event_consumer, reading, topics_of
from sqlalchemy.ext.asyncio import AsyncEngine

from order.service_layer.messagebus import MessageBus
from order.service_layer.unit_of_work import SOURCE, PostgresUnitOfWork
from order.settings import Settings

CONSUMED: tuple[type[Contract], ...] = (
    InventoryReserved,
    InventoryReservationFailed,
    PaymentCompleted,
    PaymentFailed,
)


def saga_handler(bus: MessageBus, joining: Joining = PostgresUnitOfWork.joining) -> Handler:
    """Each saga event is itself what its handler takes (handlers.HANDLERS)."""
    return commands_from_events(bus, reading(CONSUMED, lambda event: event), joining=joining)


def saga_consumer(settings: Settings, engine: AsyncEngine, bus: MessageBus) -> EventConsumer:
    inbox = SqlInbox(create_session_factory(engine), source=SOURCE)
    return event_consumer(settings, topics_of(CONSUMED), saga_handler(bus), inbox=inbox)
