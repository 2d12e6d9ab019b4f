"""The saga's events, turned into this service's commands.

Each event is read through its contract (`ecomkit.contracts`): a type not listed in
CONSUMED is ignored, one that does not fit its contract goes to the DLQ. The kit's consumer
runs each command inside the inbox's transaction (`PostgresUnitOfWork.joining`), so a
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

from order.domain import commands
from order.service_layer.messagebus import MessageBus
from order.service_layer.unit_of_work import SOURCE, PostgresUnitOfWork
from order.settings import Settings

CONSUMED: tuple[type[Contract], ...] = (
    InventoryReserved,
    InventoryReservationFailed,
    PaymentCompleted,
    PaymentFailed,
)


def command_for(event: Contract) -> commands.Command | None:
    """The command an event asks for; None for one this service does not act on."""
    match event:
        case InventoryReserved():
            return commands.RecordReservation(event.order_id)
        case InventoryReservationFailed():
            return commands.RecordSagaFailure(event.order_id, f"reservation failed: {event.reason}")
        case PaymentCompleted():
            return commands.RecordPayment(event.order_id, event.payment_id)
        case PaymentFailed():
            reason = f"payment failed: {event.reason or 'unknown'}"
            return commands.RecordSagaFailure(event.order_id, reason)
    return None


def saga_handler(bus: MessageBus, joining: Joining = PostgresUnitOfWork.joining) -> Handler:
    return commands_from_events(bus, reading(CONSUMED, command_for), joining=joining)


def saga_consumer(settings: Settings, engine: AsyncEngine, bus: MessageBus) -> EventConsumer:
    inbox = SqlInbox(create_session_factory(engine), source=SOURCE)
    return event_consumer(settings, topics_of(CONSUMED), saga_handler(bus), inbox=inbox)
