"""Storage ports and their MySQL/MariaDB implementations (SQLAlchemy Core).

The engine runs READ COMMITTED (bootstrap). Stock rows are read with SELECT ... FOR
UPDATE in product order before they change, so
two reservations of the last unit queue on the row lock and the second sees what the
first left (no oversell); the database's CHECK (counters >= 0) is the last guard.
Datetimes are naive UTC (TIMESTAMP columns, one session time zone for writes and reads).
The in-memory fakes in tests/ pass the same contract tests (tests/contracts.py).
"""

from __future__ import annotations

import abc
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from ecomkit.records import record_from_row, record_values
from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from inventory.adapters.tables import cancelled_orders, inventory, reservations
from inventory.domain.model import Reservation, ReservationStatus, StockLevel


class StockRepository(abc.ABC):
    @abc.abstractmethod
    async def get(self, product_id: int) -> StockLevel | None: ...

    @abc.abstractmethod
    async def lock(self, product_ids: Sequence[int]) -> dict[int, StockLevel]:
        """The stock rows of these products, locked until the unit of work ends (taken
        in ascending product order); unknown products are absent."""

    @abc.abstractmethod
    async def add(self, level: StockLevel) -> None:
        """A product's first stock row."""

    @abc.abstractmethod
    async def save(self, level: StockLevel) -> None:
        """Write the counters of a row this unit of work locked."""


class ReservationRepository(abc.ABC):
    @abc.abstractmethod
    async def for_order(self, order_id: int, *, for_update: bool = False) -> list[Reservation]:
        """In product order; `for_update` locks them (a release or confirm of the same order
        waits for the other to finish, then sees its statuses)."""

    @abc.abstractmethod
    async def add(self, reservation: Reservation) -> None: ...

    @abc.abstractmethod
    async def set_status(self, reservation: Reservation) -> None: ...

    @abc.abstractmethod
    async def expired_orders(self, now: datetime, *, limit: int) -> list[int]:
        """Orders holding a RESERVED reservation whose expires_at passed."""

    @abc.abstractmethod
    async def cancelled_reason(self, order_id: int, *, for_update: bool = False) -> str | None:
        """Why the order was cancelled before we reserved anything (a tombstone).
        `for_update` reads the latest, waiting for a cancellation being written."""

    @abc.abstractmethod
    async def add_cancelled(self, order_id: int, reason: str) -> None: ...


class MysqlStockRepository(StockRepository):
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, product_id: int) -> StockLevel | None:
        query = select(inventory).where(inventory.c.product_id == product_id)
        row = (await self.session.execute(query)).first()
        return _level(row._mapping) if row else None

    async def lock(self, product_ids: Sequence[int]) -> dict[int, StockLevel]:
        if not product_ids:
            return {}
        query = (
            select(inventory)
            .where(inventory.c.product_id.in_(sorted(product_ids)))
            .order_by(inventory.c.product_id)
            .with_for_update()
        )
        rows = await self.session.execute(query)
        return {int(r.product_id): _level(r._mapping) for r in rows}

    async def add(self, level: StockLevel) -> None:
        await self.session.execute(
            insert(inventory).values(**_counters(level), product_id=level.product_id)
        )

    async def save(self, level: StockLevel) -> None:
        await self.session.execute(
            update(inventory)
            .where(inventory.c.product_id == level.product_id)
            .values(**_counters(level))
        )


# A stock level's counters are the row's *_stock columns (read and written through this).
_STOCK_COLUMNS = {
    "available": "available_stock",
    "reserved": "reserved_stock",
    "sold": "sold_stock",
}


def _counters(level: StockLevel) -> dict[str, Any]:
    return record_values(level, columns=_STOCK_COLUMNS, only=_STOCK_COLUMNS)


def _level(row: Any) -> StockLevel:
    return record_from_row(StockLevel, row, columns=_STOCK_COLUMNS)


class MysqlReservationRepository(ReservationRepository):
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def for_order(self, order_id: int, *, for_update: bool = False) -> list[Reservation]:
        query = (
            select(reservations)
            .where(reservations.c.order_id == order_id)
            .order_by(reservations.c.product_id)
        )
        if for_update:
            query = query.with_for_update()
        return [_reservation(r._mapping) for r in await self.session.execute(query)]

    async def add(self, reservation: Reservation) -> None:
        await self.session.execute(
            insert(reservations).values(
                **record_values(reservation), reservation_id=reservation.reservation_id
            )
        )

    async def set_status(self, reservation: Reservation) -> None:
        await self.session.execute(
            update(reservations)
            .where(reservations.c.reservation_id == reservation.reservation_id)
            .values(status=reservation.status.value)
        )

    async def expired_orders(self, now: datetime, *, limit: int) -> list[int]:
        query = (
            select(reservations.c.order_id)
            .where(
                reservations.c.status == ReservationStatus.RESERVED.value,
                reservations.c.expires_at <= now,
            )
            .group_by(reservations.c.order_id)
            .order_by(reservations.c.order_id)
            .limit(limit)
        )
        return [int(i) for i in await self.session.scalars(query)]

    async def cancelled_reason(self, order_id: int, *, for_update: bool = False) -> str | None:
        query = select(cancelled_orders.c.reason).where(cancelled_orders.c.order_id == order_id)
        if for_update:
            query = query.with_for_update()
        reason = await self.session.scalar(query)
        return None if reason is None else str(reason)

    async def add_cancelled(self, order_id: int, reason: str) -> None:
        await self.session.execute(
            insert(cancelled_orders).values(order_id=order_id, reason=reason[:500])
        )


def _reservation(row: Any) -> Reservation:
    return record_from_row(Reservation, row)
