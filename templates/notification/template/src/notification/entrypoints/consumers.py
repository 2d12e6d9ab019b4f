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

from ecomkit.consumer import EventConsumer
from ecomkit.events import Envelope
from ecomkit.inbox import Handler, IdempotentEffects
from ecomkit.service import commands_from_events, event_consumer

from notification.domain import commands
from notification.service_layer.messagebus import MessageBus
from notification.settings import Settings

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



def command_for(envelope: Envelope) -> commands.NotifyAboutEvent | None:
    if envelope.type not in EVENT_TYPES:
        return None
    return commands.NotifyAboutEvent(str(envelope.id), envelope.type, envelope.data)


def event_handler(bus: MessageBus) -> Handler:
    return commands_from_events(bus, command_for)


def notification_consumer(settings: Settings, bus: MessageBus) -> EventConsumer:
    # A few events at once (ECOM_CONSUMER_CONCURRENCY): one at a time (about 50 ms each,
    # mostly waiting on FerretDB, SMTP and user-auth) kept up with only ~7 orders/s, and
    # emails fell minutes behind a busy shop. One order's events stay in order (same key).
    return event_consumer(settings, list(TOPICS), event_handler(bus), inbox=IdempotentEffects())
