"""The saga's events, turned into this service's commands.

The kit's consumer runs each command inside the inbox's transaction
(`PostgresUnitOfWork.joining`), so a redelivered event has no second effect and a crash
leaves either everything or nothing.
"""

from __future__ import annotations

from ecomkit.consumer import EventConsumer, PermanentError
from ecomkit.db import create_session_factory
from ecomkit.events import Envelope
from ecomkit.inbox import Handler, SqlInbox
from ecomkit.service import Joining, commands_from_events, event_consumer
from sqlalchemy.ext.asyncio import AsyncEngine

from order.domain import commands
from order.service_layer.messagebus import MessageBus
from order.service_layer.unit_of_work import SOURCE, PostgresUnitOfWork
from order.settings import Settings

TOPICS = {
    "InventoryReserved": "inventory-reserved-events",
    "InventoryReservationFailed": "inventory-reservation-failed-events",
    "PaymentCompleted": "payment-completed-events",
    "PaymentFailed": "payment-failed-events",
}


def command_for(envelope: Envelope) -> commands.Command | None:
    """The command an event asks for; None for a type this service does not act on."""
    data = envelope.data
    try:
        order_id = int(data["order_id"])
    except (KeyError, TypeError, ValueError) as error:
        raise PermanentError(f"{envelope.type} {envelope.id} has no order_id") from error
    reason = str(data.get("reason") or "unknown")
    match envelope.type:
        case "InventoryReserved":
            return commands.RecordReservation(order_id)
        case "InventoryReservationFailed":
            return commands.RecordReservationFailure(order_id, reason)
        case "PaymentCompleted":
            payment_id = data.get("payment_id")
            return commands.RecordPayment(order_id, str(payment_id) if payment_id else None)
        case "PaymentFailed":
            return commands.RecordPaymentFailure(order_id, reason)
    return None


def saga_handler(bus: MessageBus, joining: Joining = PostgresUnitOfWork.joining) -> Handler:
    return commands_from_events(bus, command_for, joining=joining)


def saga_consumer(settings: Settings, engine: AsyncEngine, bus: MessageBus) -> EventConsumer:
    inbox = SqlInbox(create_session_factory(engine), source=SOURCE)
    return event_consumer(settings, list(TOPICS.values()), saga_handler(bus), inbox=inbox)
