"""Contract tests of the storage ports, run against the fakes (here) and against MariaDB
(the repository's integration suite), so the fakes cannot drift from the real thing."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest

from inventory.domain.model import Reservation, ReservationStatus, StockLevel
from inventory.service_layer.unit_of_work import UnitOfWork

UowFactory = Callable[[], UnitOfWork]
NOW = datetime(2025, 1, 1, 12)


def new_id() -> int:
    return random.randint(10**6, 10**12)


class UnitOfWorkContract:
    """Subclasses provide the `uow` fixture: a factory of units of work on one store."""

    async def _stock(self, uow: UowFactory, available: int) -> StockLevel:
        level = StockLevel(new_id(), available=available)
        async with uow() as work:
            await work.stock.add(level)
            await work.commit()
        return level

    async def test_stock_reads_back_and_saves(self, uow: UowFactory) -> None:
        level = await self._stock(uow, 5)
        async with uow() as work:
            assert await work.stock.get(level.product_id) == level
            locked = await work.stock.lock([level.product_id, new_id()])
            assert list(locked) == [level.product_id]
            locked[level.product_id].reserve(2)
            await work.stock.save(locked[level.product_id])
            await work.commit()
        async with uow() as work:
            found = await work.stock.get(level.product_id)
        assert found == StockLevel(level.product_id, available=3, reserved=2, sold=0)

    async def test_unknown_product_and_uncommitted_work(self, uow: UowFactory) -> None:
        level = StockLevel(new_id(), available=1)
        async with uow() as work:
            await work.stock.add(level)
        async with uow() as work:
            assert await work.stock.get(level.product_id) is None
            assert await work.stock.lock([]) == {}

    async def test_lock_returns_products_in_order(self, uow: UowFactory) -> None:
        a, b = await self._stock(uow, 1), await self._stock(uow, 2)
        async with uow() as work:
            locked = await work.stock.lock([max(a.product_id, b.product_id),
                                            min(a.product_id, b.product_id)])
        assert list(locked) == sorted([a.product_id, b.product_id])

    async def test_reservations_of_an_order(self, uow: UowFactory) -> None:
        a, b = await self._stock(uow, 5), await self._stock(uow, 5)
        order_id = new_id()
        async with uow() as work:
            for level in sorted([b, a], key=lambda x: -x.product_id):
                await work.reservations.add(Reservation(order_id, level.product_id, 1, NOW))
            await work.commit()
        async with uow() as work:
            found = await work.reservations.for_order(order_id, for_update=True)
            assert [r.product_id for r in found] == sorted([a.product_id, b.product_id])
            assert all(r.status is ReservationStatus.RESERVED for r in found)
            assert found[0].expires_at == NOW
            found[0].status = ReservationStatus.RELEASED
            await work.reservations.set_status(found[0])
            await work.commit()
        async with uow() as work:
            statuses = [r.status for r in await work.reservations.for_order(order_id)]
            assert await work.reservations.for_order(new_id()) == []
        assert statuses == [ReservationStatus.RELEASED, ReservationStatus.RESERVED]

    async def test_one_reservation_per_order_and_product(self, uow: UowFactory) -> None:
        level = await self._stock(uow, 5)
        order_id = new_id()
        async with uow() as work:
            await work.reservations.add(Reservation(order_id, level.product_id, 1, NOW))
            await work.commit()
        with pytest.raises(Exception):  # noqa: B017  (IntegrityError / the fake's DuplicateKey)
            async with uow() as work:
                await work.reservations.add(Reservation(order_id, level.product_id, 2, NOW))
                await work.commit()

    async def test_expired_orders(self, uow: UowFactory) -> None:
        level = await self._stock(uow, 5)
        late, fresh, done = new_id(), new_id(), new_id()
        async with uow() as work:
            old = NOW - timedelta(days=3650)
            await work.reservations.add(Reservation(late, level.product_id, 1, old))
            await work.reservations.add(Reservation(fresh, level.product_id, 1,
                                                    NOW + timedelta(days=3650)))
            await work.reservations.add(
                Reservation(done, level.product_id, 1, old, ReservationStatus.CONFIRMED)
            )
            await work.commit()
        async with uow() as work:
            expired = await work.reservations.expired_orders(NOW, limit=100_000)
        assert late in expired and fresh not in expired and done not in expired

    async def test_cancelled_tombstones(self, uow: UowFactory) -> None:
        order_id = new_id()
        async with uow() as work:
            assert await work.reservations.cancelled_reason(order_id) is None
            await work.reservations.add_cancelled(order_id, "user cancelled")
            await work.commit()
        async with uow() as work:
            assert await work.reservations.cancelled_reason(order_id) == "user cancelled"
