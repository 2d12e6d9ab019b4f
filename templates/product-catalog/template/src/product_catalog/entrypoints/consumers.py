"""The InventoryUpdated consumer: a stock change evicts the cached product.

The event is read through its contract: its `product_id` (inventory's snake_case field;
this consumer used to look for `productId` and only worked through the envelope's
subject). An event that does not fit the contract goes to the DLQ at once.
"""

from __future__ import annotations

from ecomkit.consumer import EventConsumer
from ecomkit.contracts import InventoryUpdated
from ecomkit.inbox import Handler, IdempotentEffects
from ecomkit.service import commands_from_events, event_consumer, reading, topics_of

from product_catalog.service_layer.messagebus import MessageBus
from product_catalog.settings import Settings

CONSUMED = (InventoryUpdated,)


def inventory_updated_handler(bus: MessageBus) -> Handler:
    """The event is what its handler takes (handlers.HANDLERS: evict_product)."""
    return commands_from_events(bus, reading(CONSUMED, lambda event: event))


def inventory_consumer(settings: Settings, bus: MessageBus) -> EventConsumer:
    return event_consumer(
        settings,
        topics_of(CONSUMED),
        inventory_updated_handler(bus),
        group_id=f"{settings.service_name}-inventory-updated",
        # Evicting a cached product twice changes nothing: an inbox row (a MySQL
        # transaction per stock change) would only cost writes.
        inbox=IdempotentEffects(),
    )
