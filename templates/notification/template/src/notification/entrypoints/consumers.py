"""The event consumer: every saga and review event the user should hear about.

Idempotence comes from the notification log itself: every effect of an event is recorded
under `<event id>:<channel>` (a unique key) and claimed before anything is sent, so a
redelivered event sends nothing again (service_layer/handlers.py). That log is this
consumer's inbox (the kit's `IdempotentEffects`): a separate Mongo inbox would record the same
fact again with two more FerretDB writes per event. A transient failure (SMTP down,
user-auth down) raises out of the handler: the kit retries with backoff, then publishes
the event to `<topic>.DLQ`. Each event is read through its contract (`ecomkit.contracts`):
one that does not fit goes to the DLQ at once.
"""

from __future__ import annotations

from typing import get_args

from ecomkit.consumer import EventConsumer
from ecomkit.events import Envelope
from ecomkit.inbox import Handler, IdempotentEffects
from ecomkit.service import commands_from_events, event_consumer, reading, topics_of

from notification.domain import commands
from notification.service_layer.messagebus import MessageBus
from notification.settings import Settings

# Every event a user hears about: the contracts of `UserEvent` (domain/commands.py).
CONSUMED: tuple[type[commands.UserEvent], ...] = get_args(commands.UserEvent)

# The event read through its contract; None for a type this service does not read.
typed_event = reading(CONSUMED, lambda event: event)


def command_for(envelope: Envelope) -> commands.NotifyAboutEvent | None:
    # The envelope's id, not only its typed data: it keys the event's notifications.
    event: commands.UserEvent | None = typed_event(envelope)
    return None if event is None else commands.NotifyAboutEvent(str(envelope.id), event)


def event_handler(bus: MessageBus) -> Handler:
    return commands_from_events(bus, command_for)


def notification_consumer(settings: Settings, bus: MessageBus) -> EventConsumer:
    # A few events at once (ECOM_CONSUMER_CONCURRENCY): one at a time (about 50 ms each,
    # mostly waiting on FerretDB, SMTP and user-auth) kept up with only ~7 orders/s, and
    # emails fell minutes behind a busy shop. One order's events stay in order (same key).
    inbox = IdempotentEffects()
    return event_consumer(settings, topics_of(CONSUMED), event_handler(bus), inbox=inbox)
