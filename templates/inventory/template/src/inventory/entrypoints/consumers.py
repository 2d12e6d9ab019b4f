"""Background loops: the order-events consumer, the outbox relay and reservation expiry.

The consumer runs each event's handler inside the kit inbox's transaction
(MysqlUnitOfWork.joining), so a redelivered event has no second effect and a crash leaves
everything or nothing.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from ecomkit.consumer import EventConsumer, PermanentError
from ecomkit.db import SqlUnitOfWork, create_session_factory
from ecomkit.events import Envelope
from ecomkit.inbox import SqlInbox
from ecomkit.kafka import create_producer
from ecomkit.outbox import OutboxRelay
from sqlalchemy.ext.asyncio import AsyncEngine

from inventory.domain import commands
from inventory.service_layer.messagebus import MessageBus
from inventory.service_layer.unit_of_work import SOURCE, MysqlUnitOfWork, UnitOfWork
from inventory.settings import Settings

log = logging.getLogger(__name__)

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


def order_events_handler(
    bus: MessageBus, joined: Callable[[Any], Callable[[], UnitOfWork]]
) -> Callable[[Envelope, Any], Awaitable[None]]:
    """`joined(inbox_uow)` gives the unit-of-work factory bound to the inbox's transaction
    (MysqlUnitOfWork.joining in production, a fake in unit tests)."""

    async def on_order_event(envelope: Envelope, inbox_uow: Any) -> None:
        command = command_for(envelope)
        if command is None:
            log.info("ignoring %s %s", envelope.type, envelope.id)
            return
        await bus.joined(joined(inbox_uow)).handle(command)

    return on_order_event


def _join_sql(inbox_uow: SqlUnitOfWork) -> Callable[[], UnitOfWork]:
    return lambda: MysqlUnitOfWork.joining(inbox_uow)


def order_events_consumer(
    settings: Settings, engine: AsyncEngine, bus: MessageBus
) -> EventConsumer:
    return EventConsumer(
        settings.kafka_bootstrap,
        settings.service_name,
        list(TOPICS.values()),
        order_events_handler(bus, _join_sql),
        inbox=SqlInbox(create_session_factory(engine), source=SOURCE),
        create_topics=True,
        consumer_options={"auto_offset_reset": settings.consumer_offset_reset},
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


def expiry_sweeper(bus: MessageBus, interval_s: float) -> Callable[[], Awaitable[None]]:
    """Releases reservations past expires_at, every `interval_s`."""

    async def release_expired_reservations() -> None:
        while True:
            try:
                released = await bus.handle(commands.ExpireReservations())
                if released:
                    log.info("released %d expired reservation(s)", released)
            except Exception:  # a database hiccup must not end the sweep
                log.exception("reservation expiry sweep failed; trying again")
            await asyncio.sleep(interval_s)

    return release_expired_reservations
