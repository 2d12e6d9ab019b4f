"""The saga consumer: InventoryReserved and OrderCancelled, turned into commands.

One consumer group (`payment`) reads both topics. Each event is read through its contract
(`ecomkit.contracts`: a payload that does not fit goes to `<topic>.DLQ` at once) and
handled inside the transaction the kit's inbox opened, so the inbox row, the payment rows
and the outbox rows commit together; a redelivered event finds its inbox row and does
nothing. A transient provider failure raises out of the handler: the kit retries with
backoff and then publishes the event to `<topic>.DLQ`. A decline is not a failure
(PaymentFailed).
"""

from __future__ import annotations

from ecomkit import contracts
from ecomkit.consumer import EventConsumer
from ecomkit.db import create_session_factory
from ecomkit.declarations import Command
from ecomkit.inbox import Handler, SqlInbox
from ecomkit.service import Joining, commands_from_events, event_consumer, reading, topics_of
from sqlalchemy.ext.asyncio import AsyncEngine

from payment.domain import commands
from payment.domain.errors import OrderCancelled
from payment.service_layer.messagebus import MessageBus
from payment.service_layer.unit_of_work import PostgresUnitOfWork
from payment.settings import Settings

CONSUMED = (contracts.InventoryReserved, contracts.OrderCancelled)


def command_for(
    event: contracts.InventoryReserved | contracts.OrderCancelled,
) -> Command:
    """The command an event asks for: charge a reserved order, or record its cancellation."""
    match event:
        case contracts.InventoryReserved():
            return commands.ChargeOrder(
                order_id=event.order_id,
                user_id=event.user_id,
                amount=event.total_amount,
                currency=event.currency,
                payment_method_id=event.payment_method_id,
            )
        case contracts.OrderCancelled():
            return commands.RecordOrderCancelled(event.order_id, event.reason)


def saga_handler(bus: MessageBus, joining: Joining = PostgresUnitOfWork.joining) -> Handler:
    # A charge that finds its order already cancelled moves no money: handled, not failed.
    return commands_from_events(
        bus, reading(CONSUMED, command_for), joining=joining, expected=(OrderCancelled,)
    )


def saga_consumer(settings: Settings, engine: AsyncEngine, bus: MessageBus) -> EventConsumer:
    inbox = SqlInbox(create_session_factory(engine), source=settings.service_name)
    return event_consumer(settings, topics_of(CONSUMED), saga_handler(bus), inbox=inbox)
