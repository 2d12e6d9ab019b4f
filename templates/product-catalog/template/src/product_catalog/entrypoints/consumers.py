"""The InventoryUpdated consumer: a stock change evicts the cached product."""

from __future__ import annotations

import logging

from ecomkit.consumer import EventConsumer
from ecomkit.events import Envelope
from ecomkit.inbox import Handler, IdempotentEffects
from ecomkit.service import commands_from_events, event_consumer

from product_catalog.domain import commands
from product_catalog.service_layer.messagebus import MessageBus
from product_catalog.settings import Settings

log = logging.getLogger(__name__)

INVENTORY_UPDATED_TOPIC = "inventory-updated-events"


def product_id_of(envelope: Envelope) -> int | None:
    raw = envelope.data.get("productId", envelope.subject)
    try:
        return int(raw) if raw is not None else None
    except (TypeError, ValueError):
        return None


def command_for(envelope: Envelope) -> commands.EvictProduct | None:
    product_id = product_id_of(envelope)
    if product_id is None:
        log.warning("%s %s without a product id; ignored", envelope.type, envelope.id)
        return None
    return commands.EvictProduct(product_id)


def inventory_updated_handler(bus: MessageBus) -> Handler:
    return commands_from_events(bus, command_for)


def inventory_consumer(settings: Settings, bus: MessageBus) -> EventConsumer:
    return event_consumer(
        settings,
        [INVENTORY_UPDATED_TOPIC],
        inventory_updated_handler(bus),
        group_id=f"{settings.service_name}-inventory-updated",
        # Evicting a cached product twice changes nothing: an inbox row (a MySQL
        # transaction per stock change) would only cost writes.
        inbox=IdempotentEffects(),
    )
