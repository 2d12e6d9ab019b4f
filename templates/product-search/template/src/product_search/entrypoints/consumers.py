"""The indexer: the catalog's and the inventory's events, each read through its contract.

No inbox: applying a change is idempotent by itself (a part of a document is written only
over an older version, a review's rating under the review's id), so a redelivered event
changes nothing (the kit's `IdempotentEffects`). Events of one product share a key and
a partition, so they arrive in order; a replay or a reindex may still bring an old one,
and the version guard refuses it.
"""

from __future__ import annotations

from ecomkit.consumer import EventConsumer
from ecomkit.contracts import Contract, InventoryUpdated, ProductChanged, ReviewAdded
from ecomkit.events import Envelope
from ecomkit.inbox import Handler, IdempotentEffects
from ecomkit.service import (
    commands_from_events,
    event_consumer,
    reading_with_envelope,
    topics_of,
)

from product_search.domain.commands import ApplyIndexChange
from product_search.domain.documents import product_change, review_change, stock_change
from product_search.service_layer.messagebus import MessageBus
from product_search.settings import Settings

CONSUMED = (ProductChanged, InventoryUpdated, ReviewAdded)


def _command(event: Contract, envelope: Envelope) -> ApplyIndexChange:
    if isinstance(event, ProductChanged):
        return ApplyIndexChange(product_change(event))
    if isinstance(event, InventoryUpdated):
        # The stock part is ordered by the event's time: InventoryUpdated has no version.
        return ApplyIndexChange(stock_change(event, envelope.time))
    assert isinstance(event, ReviewAdded)
    return ApplyIndexChange(review_change(event))


command_for = reading_with_envelope(CONSUMED, _command)


def event_handler(bus: MessageBus) -> Handler:
    return commands_from_events(bus, command_for)


def indexer(settings: Settings, bus: MessageBus) -> EventConsumer:
    return event_consumer(
        settings, topics_of(CONSUMED), event_handler(bus), inbox=IdempotentEffects()
    )
