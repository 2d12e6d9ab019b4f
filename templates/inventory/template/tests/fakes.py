"""In-memory stand-ins for the MySQL adapters; contracts.py keeps them honest."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

from ecomkit.contracts import Contract
from ecomkit.testing import InMemoryUnitOfWork

from inventory.adapters.repositories import ReservationRepository, StockRepository
from inventory.domain.model import Reservation, ReservationStatus, StockLevel
from inventory.service_layer.unit_of_work import UnitOfWork

C = TypeVar("C", bound=Contract)


class DuplicateKey(Exception):
    """What MySQL's unique keys raise (the real adapters let IntegrityError through)."""


@dataclass
class FakeStore:
    """The "database": committed state shared by every unit of work."""

    stock: dict[int, StockLevel] = field(default_factory=dict)
    reservations: dict[str, Reservation] = field(default_factory=dict)
    cancelled: dict[int, str] = field(default_factory=dict)
    published: list[Contract] = field(default_factory=list)
    now: datetime = field(default_factory=lambda: datetime(2025, 1, 1, 12))

    def published_types(self) -> list[str]:
        return [type(e).__name__ for e in self.published]

    def of_type(self, kind: type[C]) -> list[C]:
        return [e for e in self.published if isinstance(e, kind)]


class FakeStockRepository(StockRepository):
    def __init__(self, state: FakeStore) -> None:
        self.state = state

    async def get(self, product_id: int) -> StockLevel | None:
        return copy.deepcopy(self.state.stock.get(product_id))

    async def lock(self, product_ids: Sequence[int]) -> dict[int, StockLevel]:
        return {
            pid: copy.deepcopy(self.state.stock[pid])
            for pid in sorted(product_ids)
            if pid in self.state.stock
        }

    async def add(self, level: StockLevel) -> None:
        if level.product_id in self.state.stock:
            raise DuplicateKey(level.product_id)
        self.state.stock[level.product_id] = copy.deepcopy(level)

    async def save(self, level: StockLevel) -> None:
        if min(level.available, level.reserved, level.sold) < 0:
            raise ValueError("CHECK constraint: counters must not be negative")
        self.state.stock[level.product_id] = copy.deepcopy(level)


class FakeReservationRepository(ReservationRepository):
    def __init__(self, state: FakeStore) -> None:
        self.state = state

    async def for_order(self, order_id: int, *, for_update: bool = False) -> list[Reservation]:
        found = [r for r in self.state.reservations.values() if r.order_id == order_id]
        return copy.deepcopy(sorted(found, key=lambda r: r.product_id))

    async def add(self, reservation: Reservation) -> None:
        if reservation.reservation_id in self.state.reservations:
            raise DuplicateKey(reservation.reservation_id)
        if reservation.product_id not in self.state.stock:
            raise ValueError("foreign key: no inventory row for the product")
        self.state.reservations[reservation.reservation_id] = copy.deepcopy(reservation)

    async def set_status(self, reservation: Reservation) -> None:
        self.state.reservations[reservation.reservation_id].status = reservation.status

    async def expired_orders(self, now: datetime, *, limit: int) -> list[int]:
        late = {
            r.order_id
            for r in self.state.reservations.values()
            if r.status is ReservationStatus.RESERVED and r.expires_at <= now
        }
        return sorted(late)[:limit]

    async def cancelled_reason(self, order_id: int, *, for_update: bool = False) -> str | None:
        return self.state.cancelled.get(order_id)

    async def add_cancelled(self, order_id: int, reason: str) -> None:
        if order_id in self.state.cancelled:
            raise DuplicateKey(order_id)
        self.state.cancelled[order_id] = reason[:500]


class FakeUnitOfWork(InMemoryUnitOfWork[FakeStore, Contract], UnitOfWork):
    def begin(self) -> None:
        self._work = FakeStore(
            stock=copy.deepcopy(self.store.stock),
            reservations=copy.deepcopy(self.store.reservations),
            cancelled=dict(self.store.cancelled),
            now=self.store.now,
        )
        self.stock = FakeStockRepository(self._work)
        self.reservations = FakeReservationRepository(self._work)

    def apply(self, events: list[Contract]) -> None:
        self.store.stock = self._work.stock
        self.store.reservations = self._work.reservations
        self.store.cancelled = self._work.cancelled
        self.store.published.extend(events)
