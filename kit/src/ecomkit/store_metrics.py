"""What a service's database holds for others: its outbox backlog and its inbox.

Sampled every `interval_s` by the outbox relay's hook (`ecomkit.service.outbox_relay`):
wherever there is an outbox there is a database that owns it.

Metrics:
- `ecom_outbox_unpublished`: outbox rows not yet published to Kafka.
- `ecom_outbox_oldest_unpublished_age_seconds`: how long the oldest of them has waited
  (0 when none), by the database's clock, which wrote `created_at`.
- `ecom_inbox_events`: events recorded as handled (the idempotency record).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

from prometheus_client import Gauge
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from ecomkit.tables import inbox_table, outbox_table

log = logging.getLogger(__name__)

OUTBOX_UNPUBLISHED = Gauge(
    "ecom_outbox_unpublished", "Outbox rows not yet published", multiprocess_mode="max"
)
OUTBOX_OLDEST_AGE = Gauge(
    "ecom_outbox_oldest_unpublished_age_seconds",
    "Age of the oldest unpublished outbox row (0 when none)",
    multiprocess_mode="max",
)
INBOX_EVENTS = Gauge(
    "ecom_inbox_events", "Events recorded in the inbox as handled", multiprocess_mode="max"
)

_BACKLOG = select(func.count(), func.min(outbox_table.c.created_at), func.now()).where(
    outbox_table.c.published_at.is_(None)
)
_INBOX = select(func.count()).select_from(inbox_table)


def age_seconds(oldest: datetime | None, now: datetime) -> float:
    if oldest is None:
        return 0.0
    if (oldest.tzinfo is None) != (now.tzinfo is None):  # a driver that drops the zone
        oldest, now = oldest.replace(tzinfo=None), now.replace(tzinfo=None)
    return max(0.0, (now - oldest).total_seconds())


async def sample(engine: AsyncEngine, *, inbox: bool = True) -> None:
    async with engine.connect() as connection:
        count, oldest, now = (await connection.execute(_BACKLOG)).one()
        OUTBOX_UNPUBLISHED.set(count)
        OUTBOX_OLDEST_AGE.set(age_seconds(oldest, now))
        if inbox:
            INBOX_EVENTS.set((await connection.execute(_INBOX)).scalar_one())


async def sample_forever(engine: AsyncEngine, interval_s: float) -> None:
    inbox = True
    while True:
        try:
            await sample(engine, inbox=inbox)
        except SQLAlchemyError as error:
            if inbox and "inbox" in str(error):  # a service that consumes nothing
                inbox = False
                continue
            log.debug("store metrics not sampled: %s", error)
        await asyncio.sleep(interval_s)
