"""The order and payment events, read through their contracts, turned into commands.

The kit's consumer runs each one inside the inbox's transaction
(MysqlUnitOfWork.joining), so a redelivered event has no second effect and a crash leaves
everything or nothing. An event that does not fit its contract goes to the DLQ at once.
"""

from __future__ import annotations

from ecomkit.consumer import EventConsumer, PermanentError
from ecomkit.contracts import (
    Contract,
    OrderCancelled,
    OrderCreated,
    OrderPaid,
    PaymentFailed,
    ReservedItem,
)
from ecomkit.db import create_session_factory
from ecomkit.declarations import Command
from ecomkit.inbox import Handler, SqlInbox
from ecomkit.service import Joining, commands_from_events, event_consumer, reading, topics_of
from sqlalchemy.ext.asyncio import AsyncEngine

from inventory.domain import commands
from inventory.service_layer.messagebus import MessageBus
from inventory.service_layer.unit_of_work import SOURCE, MysqlUnitOfWork
from inventory.settings import Settings

CONSUMED = (OrderCreated, OrderPaid, PaymentFailed, OrderCancelled)


def command_for(event: Contract) -> Command | Contract | None:
    """The command an event asks for (OrderPaid is handled as it is); None for a type this
    service does not act on."""
    match event:
        case OrderCreated():
            return reserve_command(event)
        case OrderPaid():
            return event
        case PaymentFailed():
            return commands.ReleaseStock(event.order_id, f"payment failed: {event.reason}")
        case OrderCancelled():
            return commands.ReleaseStock(event.order_id, event.reason or "order cancelled")
    return None


def reserve_command(event: OrderCreated) -> commands.ReserveStock:
    """All the order's lines; its user, total and currency are passed on to payment."""
    if not event.items or any(item.quantity <= 0 for item in event.items):
        raise PermanentError(f"OrderCreated for order {event.order_id}: no valid items")
    items = tuple(
        ReservedItem(product_id=i.product_id, quantity=i.quantity, price=i.price)
        for i in event.items
    )
    charge = commands.Charge(
        event.user_id, event.total_amount, event.currency, event.payment_method_id
    )
    return commands.ReserveStock(event.order_id, items, charge)


def order_events_handler(bus: MessageBus, joining: Joining = MysqlUnitOfWork.joining) -> Handler:
    return commands_from_events(bus, reading(CONSUMED, command_for), joining=joining)


def order_events_consumer(
    settings: Settings, engine: AsyncEngine, bus: MessageBus
) -> EventConsumer:
    inbox = SqlInbox(create_session_factory(engine), source=SOURCE)
    return event_consumer(settings, topics_of(CONSUMED), order_events_handler(bus), inbox=inbox)
