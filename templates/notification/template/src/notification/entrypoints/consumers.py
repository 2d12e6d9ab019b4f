"""The event consumer: every saga and review event the user should hear about.

Idempotence comes from the notification log itself: every effect of an event is recorded
under `<event id>:<channel>` (a unique key) and claimed before anything is sent, so a
redelivered event sends nothing again (service_layer/handlers.py). That log is this
consumer's inbox (the kit's `IdempotentEffects`): a separate Mongo inbox would record the same
fact again with two more FerretDB writes per event. A transient failure (SMTP down,
user-auth down) raises out of the handler: the kit retries with backoff, then publishes
the event to `<topic>.DLQ`.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from ecomkit.consumer import Backoff, EventConsumer
from ecomkit.events import Envelope
from ecomkit.inbox import IdempotentEffects

from notification.domain import commands
from notification.service_layer.messagebus import MessageBus
from notification.settings import Settings

log = logging.getLogger(__name__)

TOPICS = {
    "review-added-events": "ReviewAdded",
    "order-created-events": "OrderCreated",
    "order-paid-events": "OrderPaid",
    "order-shipped-events": "OrderShipped",
    "order-cancelled-events": "OrderCancelled",
    "payment-completed-events": "PaymentCompleted",
    "payment-failed-events": "PaymentFailed",
}
EVENT_TYPES = frozenset(TOPICS.values())

EventHandler = Callable[[Envelope, Any], Awaitable[None]]


def event_handler(bus: MessageBus) -> EventHandler:
    async def on_event(envelope: Envelope, _uow: Any) -> None:
        if envelope.type not in EVENT_TYPES:
            log.debug("ignoring %s %s", envelope.type, envelope.id)
            return
        await bus.handle(commands.NotifyAboutEvent(str(envelope.id), envelope.type, envelope.data))

    return on_event


def event_consumer(settings: Settings, bus: MessageBus) -> EventConsumer:
    return EventConsumer(
        settings.kafka_bootstrap,
        settings.service_name,
        list(TOPICS),
        event_handler(bus),
        inbox=IdempotentEffects(),
        max_attempts=settings.consumer_max_attempts,
        backoff=Backoff(settings.consumer_backoff_initial_s, settings.consumer_backoff_max_s),
        create_topics=True,
        # A few events at once: one at a time (about 50 ms each, mostly waiting on FerretDB,
        # SMTP and user-auth) kept up with only ~7 orders/s, and emails fell minutes behind
        # a busy shop. The events of one order are still handled in order (same key).
        concurrency=settings.consumer_concurrency,
    )
