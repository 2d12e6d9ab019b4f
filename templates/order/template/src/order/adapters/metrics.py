"""`ecom_orders{status}`: the orders in the database by status, read every few seconds.

Read from the database, not counted, so it agrees with it whatever restarted: after a load
test, PAID here is PAID in the orders table (tests/integration/test_metrics.py).
"""

from __future__ import annotations

import asyncio
import logging

from prometheus_client import Gauge
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from order.adapters.tables import orders

log = logging.getLogger(__name__)

ORDERS = Gauge("ecom_orders", "Orders in the database, by status", ["status"])

_BY_STATUS = select(orders.c.status, func.count()).group_by(orders.c.status)


async def sample_statuses(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        counts = (await connection.execute(_BY_STATUS)).tuples().all()
    for status, count in counts:
        ORDERS.labels(status).set(count)


async def sample_statuses_forever(engine: AsyncEngine, interval_s: float) -> None:
    while True:
        try:
            await sample_statuses(engine)
        except SQLAlchemyError as error:
            log.debug("order statuses not sampled: %s", error)
        await asyncio.sleep(interval_s)
