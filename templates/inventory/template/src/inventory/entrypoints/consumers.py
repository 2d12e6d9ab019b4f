"""The order events, turned into this service's commands.

The kit's consumer runs each command inside the inbox's transaction
(MysqlUnitOfWork.joining), so a redelivered event has no second effect and a crash leaves
everything or nothing.
"""

from __future__ import annotations

from ecomkit.consumer import EventConsumer, PermanentError
from ecomkit.db import create_session_factory
from ecomkit.events import Envelope
from ecomkit.inbox import Handler, SqlInbox
from ecomkit.service import Joining, commands_from_events, event_consumer
from sqlalchemy.ext.asyncio import AsyncEngine

from inventory.domain import commands
from inventory.service_layer.messagebus import MessageBus
from inventory.service_layer.unit_of_work import SOURCE, MysqlUnitOfWork
from inventory.settings import Settings

TOPICS = {
    "OrderCreated": "order-created-events",
    "OrderPaid": "order-paid-events",
    "PaymentFailed": "payment-failed-events",
    "OrderCancelled": "order-cancelled-events",
}


def command_for(envelope: Envelope) -> commands.Command | None:
    """The command an event asks for; None for a type this service does not act on."""
    data = envelope.data
    try:
        order_id = int(data["order_id"])
    except (KeyError, TypeError, ValueError) as error:
        raise PermanentError(f"{envelope.type} {envelope.id} has no order_id") from error
    match envelope.type:
        case "OrderCreated":
            try:
                items = tuple(
                    (int(i["product_id"]), int(i["quantity"])) for i in data.get("items") or []
                )
            except (KeyError, TypeError, ValueError) as error:
                raise PermanentError(f"OrderCreated {envelope.id}: bad items") from error
            if not items or any(q <= 0 for _, q in items):
                raise PermanentError(f"OrderCreated {envelope.id}: no valid items")
            return commands.ReserveStock(order_id, items, order=dict(data))
        case "OrderPaid":
            return commands.ConfirmStock(order_id)
        case "PaymentFailed":
            return commands.ReleaseStock(order_id, f"payment failed: {data.get('reason')}")
        case "OrderCancelled":
            return commands.ReleaseStock(order_id, str(data.get("reason") or "order cancelled"))
    return None


def order_events_handler(bus: MessageBus, joining: Joining = MysqlUnitOfWork.joining) -> Handler:
    return commands_from_events(bus, command_for, joining=joining)


def order_events_consumer(
    settings: Settings, engine: AsyncEngine, bus: MessageBus
) -> EventConsumer:
    inbox = SqlInbox(create_session_factory(engine), source=SOURCE)
    return event_consumer(settings, list(TOPICS.values()), order_events_handler(bus), inbox=inbox)
