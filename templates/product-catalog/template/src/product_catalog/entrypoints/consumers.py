"""Background loops: the InventoryUpdated consumer, the outbox relay, the review copier."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from ecomkit.consumer import EventConsumer
from ecomkit.events import Envelope
from ecomkit.inbox import IdempotentEffects
from ecomkit.kafka import create_producer
from ecomkit.outbox import OutboxRelay
from sqlalchemy.ext.asyncio import AsyncEngine

from product_catalog.domain import commands
from product_catalog.service_layer.messagebus import MessageBus
from product_catalog.settings import Settings

log = logging.getLogger(__name__)

INVENTORY_UPDATED_TOPIC = "inventory-updated-events"
REVIEW_COPY_INTERVAL_S = 10.0


def product_id_of(envelope: Envelope) -> int | None:
    raw = envelope.data.get("productId", envelope.subject)
    try:
        return int(raw) if raw is not None else None
    except (TypeError, ValueError):
        return None


def inventory_updated_handler(bus: MessageBus) -> Callable[[Envelope, Any], Awaitable[None]]:
    async def on_inventory_updated(envelope: Envelope, _uow: Any) -> None:
        product_id = product_id_of(envelope)
        if product_id is None:
            log.warning("InventoryUpdated %s without a product id; ignored", envelope.id)
            return
        await bus.handle(commands.EvictProduct(product_id))

    return on_inventory_updated


def inventory_consumer(settings: Settings, bus: MessageBus) -> EventConsumer:
    return EventConsumer(
        settings.kafka_bootstrap,
        f"{settings.service_name}-inventory-updated",
        [INVENTORY_UPDATED_TOPIC],
        inventory_updated_handler(bus),
        # Evicting a cached product twice changes nothing: an inbox row (a MySQL
        # transaction per stock change) would only cost writes.
        inbox=IdempotentEffects(),
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


def review_copier(bus: MessageBus) -> Callable[[], Awaitable[None]]:
    """Copies reviews a crash left out of Mongo (see docs: reviews and the outbox)."""

    async def copy_pending_reviews() -> None:
        while True:
            copied = await bus.handle(commands.StorePendingReviews())
            if copied:
                log.info("copied %d pending reviews to Mongo", copied)
            await asyncio.sleep(REVIEW_COPY_INTERVAL_S)

    return copy_pending_reviews
