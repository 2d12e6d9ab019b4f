"""The saga consumer: InventoryReserved and OrderCancelled, turned into commands.

One consumer group (`payment`) reads both topics. Each event is handled inside the
transaction the kit's inbox opened, so the inbox row, the payment rows and the outbox
rows commit together; a redelivered event finds its inbox row and does nothing.
A transient provider failure raises out of the handler: the kit retries with backoff and
then publishes the event to `<topic>.DLQ`. A decline is not a failure (PaymentFailed).
"""

from __future__ import annotations

from typing import Any

from ecomkit.consumer import EventConsumer, PermanentError
from ecomkit.db import create_session_factory
from ecomkit.events import Envelope
from ecomkit.inbox import Handler, SqlInbox
from ecomkit.service import Joining, commands_from_events, event_consumer
from sqlalchemy.ext.asyncio import AsyncEngine

from payment.domain import commands
from payment.domain.errors import OrderCancelled
from payment.domain.model import money
from payment.service_layer.messagebus import MessageBus
from payment.service_layer.unit_of_work import PostgresUnitOfWork
from payment.settings import Settings

INVENTORY_RESERVED_TOPIC = "inventory-reserved-events"
ORDER_CANCELLED_TOPIC = "order-cancelled-events"
TOPICS = (INVENTORY_RESERVED_TOPIC, ORDER_CANCELLED_TOPIC)


def _get(data: dict[str, Any], name: str, default: Any = None) -> Any:
    """A field by its contract name (snake_case), or its camelCase spelling."""
    if name in data:
        return data[name]
    head, *rest = name.split("_")
    return data.get(head + "".join(part.title() for part in rest), default)


def charge_command(envelope: Envelope) -> commands.ChargeOrder:
    data = envelope.data
    try:
        return commands.ChargeOrder(
            order_id=int(_get(data, "order_id", envelope.subject)),
            user_id=int(_get(data, "user_id")),
            amount=money(_get(data, "total_amount")),
            currency=str(_get(data, "currency", "USD")),
            payment_method_id=_get(data, "payment_method_id"),
        )
    except (TypeError, ValueError, ArithmeticError) as error:
        raise PermanentError(f"InventoryReserved {envelope.id} is malformed: {error}") from error


def cancel_command(envelope: Envelope) -> commands.RecordOrderCancelled:
    try:
        order_id = int(_get(envelope.data, "order_id", envelope.subject))
    except (TypeError, ValueError) as error:
        raise PermanentError(f"OrderCancelled {envelope.id} has no order id") from error
    return commands.RecordOrderCancelled(order_id, _get(envelope.data, "reason"))


def command_for(envelope: Envelope) -> commands.Command | None:
    match envelope.type:
        case "InventoryReserved":
            return charge_command(envelope)
        case "OrderCancelled":
            return cancel_command(envelope)
    return None


def saga_handler(bus: MessageBus, joining: Joining = PostgresUnitOfWork.joining) -> Handler:
    # A charge that finds its order already cancelled moves no money: handled, not failed.
    return commands_from_events(bus, command_for, joining=joining, expected=(OrderCancelled,))


def saga_consumer(settings: Settings, engine: AsyncEngine, bus: MessageBus) -> EventConsumer:
    inbox = SqlInbox(create_session_factory(engine), source=settings.service_name)
    return event_consumer(settings, TOPICS, saga_handler(bus), inbox=inbox)
