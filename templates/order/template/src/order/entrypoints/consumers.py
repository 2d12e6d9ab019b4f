"""Background loops: the saga consumer, the outbox relay and the deadline sweep.

The consumer runs each event's handler inside the kit inbox's transaction
(`PostgresUnitOfWork.joining`), so a redelivered event has no second effect and a crash
leaves either everything or nothing.
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

from order.domain import commands
from order.service_layer.messagebus import MessageBus
from order.service_layer.unit_of_work import SOURCE, PostgresUnitOfWork, UnitOfWork
from order.settings import Settings

log = logging.getLogger(__name__)

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


def saga_handler(
    bus: MessageBus, joined: Callable[[Any], Callable[[], UnitOfWork]]
) -> Callable[[Envelope, Any], Awaitable[None]]:
    """`joined(inbox_uow)` gives the unit-of-work factory bound to the inbox's transaction
    (PostgresUnitOfWork.joining in production, a fake in unit tests)."""

    async def on_saga_event(envelope: Envelope, inbox_uow: Any) -> None:
        command = command_for(envelope)
        if command is None:
            log.info("ignoring %s %s", envelope.type, envelope.id)
            return
        await bus.joined(joined(inbox_uow)).handle(command)

    return on_saga_event


def _join_sql(inbox_uow: SqlUnitOfWork) -> Callable[[], UnitOfWork]:
    return lambda: PostgresUnitOfWork.joining(inbox_uow)


def saga_consumer(settings: Settings, engine: AsyncEngine, bus: MessageBus) -> EventConsumer:
    return EventConsumer(
        settings.kafka_bootstrap,
        settings.service_name,
        list(TOPICS.values()),
        saga_handler(bus, _join_sql),
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


def deadline_sweeper(bus: MessageBus, interval_s: float) -> Callable[[], Awaitable[None]]:
    """Cancels PENDING orders past their saga deadline, every `interval_s`."""

    async def sweep_overdue_orders() -> None:
        while True:
            try:
                await bus.handle(commands.CancelOverdueOrders())
            except Exception:  # a database hiccup must not end the sweep
                log.exception("saga deadline sweep failed; trying again")
            await asyncio.sleep(interval_s)

    return sweep_overdue_orders
