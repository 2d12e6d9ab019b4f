"""Background loops: the saga consumer (InventoryReserved, OrderCancelled) and the relay.

One consumer group (`payment`) reads both topics. Each event is handled inside the
transaction the kit's inbox opened, so the inbox row, the payment rows and the outbox
rows commit together; a redelivered event finds its inbox row and does nothing.
A transient provider failure raises out of the handler: the kit retries with backoff and
then publishes the event to `<topic>.DLQ`. A decline is not a failure (PaymentFailed).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from ecomkit.consumer import Backoff, EventConsumer, PermanentError
from ecomkit.db import create_session_factory
from ecomkit.events import Envelope
from ecomkit.inbox import SqlInbox
from ecomkit.kafka import create_producer
from ecomkit.outbox import OutboxRelay
from sqlalchemy.ext.asyncio import AsyncEngine

from payment.domain import commands
from payment.domain.errors import OrderCancelled
from payment.domain.model import money
from payment.service_layer.messagebus import MessageBus
from payment.service_layer.unit_of_work import PostgresUnitOfWork, UnitOfWork
from payment.settings import Settings

log = logging.getLogger(__name__)

INVENTORY_RESERVED_TOPIC = "inventory-reserved-events"
ORDER_CANCELLED_TOPIC = "order-cancelled-events"
TOPICS = (INVENTORY_RESERVED_TOPIC, ORDER_CANCELLED_TOPIC)

EventHandler = Callable[[Envelope, Any], Awaitable[None]]
Join = Callable[[Any], UnitOfWork]


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


def saga_handler(bus: MessageBus, join: Join) -> EventHandler:
    """The handler the kit's consumer calls with (envelope, the inbox's unit of work)."""

    async def on_event(envelope: Envelope, kit_uow: Any) -> None:
        if envelope.type == "InventoryReserved":
            command = charge_command(envelope)
            try:
                await bus.handle(command, uow=join(kit_uow))
            except OrderCancelled:
                log.info("order %s was cancelled before payment; not charged", command.order_id)
        elif envelope.type == "OrderCancelled":
            await bus.handle(cancel_command(envelope), uow=join(kit_uow))
        else:
            log.debug("ignoring %s %s", envelope.type, envelope.id)

    return on_event


def saga_consumer(settings: Settings, engine: AsyncEngine, bus: MessageBus) -> EventConsumer:
    return EventConsumer(
        settings.kafka_bootstrap,
        settings.service_name,
        TOPICS,
        saga_handler(bus, PostgresUnitOfWork.joining),
        inbox=SqlInbox(create_session_factory(engine), source=settings.service_name),
        max_attempts=settings.consumer_max_attempts,
        backoff=Backoff(settings.consumer_backoff_initial_s, settings.consumer_backoff_max_s),
        create_topics=True,
    )


def outbox_relay(settings: Settings, engine: AsyncEngine) -> Callable[[], Awaitable[None]]:
    async def relay() -> None:
        producer = create_producer(settings.kafka_bootstrap, client_id=settings.service_name)
        await producer.start()
        try:
            await OutboxRelay(engine, producer).run()
        finally:
            await producer.stop()

    return relay
