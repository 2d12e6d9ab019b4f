"""The interaction consumer: orders, reviews and stock, each read through its contract.

OrderPaid names no products, so the lines come from OrderCreated and count once the order
is paid (either may arrive first: they travel on different topics). InventoryUpdated is
ordered by the envelope's time, since it carries no version. Every event is handled in the
transaction the kit's inbox opened (`SqlInbox`): the inbox row and the recorded effect
commit together, so a redelivered event records nothing twice.
"""

from __future__ import annotations

from ecomkit.consumer import EventConsumer
from ecomkit.contracts import Contract, InventoryUpdated, OrderCreated, OrderPaid, ReviewAdded
from ecomkit.db import create_session_factory
from ecomkit.events import Envelope
from ecomkit.inbox import Handler, SqlInbox
from ecomkit.service import (
    Joining,
    commands_from_events,
    event_consumer,
    reading_with_envelope,
    topics_of,
)
from sqlalchemy.ext.asyncio import AsyncEngine

from recommendation.domain import commands
from recommendation.service_layer.messagebus import MessageBus
from recommendation.service_layer.unit_of_work import PostgresUnitOfWork
from recommendation.settings import Settings

CONSUMED = (OrderCreated, OrderPaid, ReviewAdded, InventoryUpdated)


def _command(event: Contract, envelope: Envelope) -> object:
    """Stock needs the envelope's time beside it; the other events are the commands."""
    if isinstance(event, InventoryUpdated):
        return commands.RecordStock(event.product_id, event.available_stock, envelope.time)
    return event


command_for = reading_with_envelope(CONSUMED, _command)


def event_handler(bus: MessageBus, joining: Joining = PostgresUnitOfWork.joining) -> Handler:
    return commands_from_events(bus, command_for, joining=joining)


def interaction_consumer(settings: Settings, engine: AsyncEngine, bus: MessageBus) -> EventConsumer:
    inbox = SqlInbox(create_session_factory(engine), source=settings.service_name)
    return event_consumer(settings, topics_of(CONSUMED), event_handler(bus), inbox=inbox)
