"""One MySQL transaction per command; events recorded in it reach the outbox on commit.

`MysqlUnitOfWork.joining(inbox_uow)` runs a handler inside the transaction the kit's inbox
opened for a consumed event, so the inbox row, the stock moves and the outbox rows commit
together. The machinery is the kit's (`ecomkit.unit_of_work`); this module says which
repositories and how events look.
"""

from __future__ import annotations

from ecomkit import unit_of_work as kit
from ecomkit.events import Event as OutboxEvent
from sqlalchemy.ext.asyncio import AsyncSession

from inventory.adapters.repositories import (
    MysqlReservationRepository,
    MysqlStockRepository,
    ReservationRepository,
    StockRepository,
)
from inventory.domain.events import Event, InventoryUpdated

SOURCE = "inventory"


def outbox_event(event: Event) -> OutboxEvent:
    return OutboxEvent(
        type=type(event).__name__,
        topic=event.topic,
        key=event.key,
        subject=event.key,
        data=event.data,
        aggregate_type="product" if isinstance(event, InventoryUpdated) else "order",
    )


class UnitOfWork(kit.UnitOfWork[Event]):
    stock: StockRepository
    reservations: ReservationRepository


class MysqlUnitOfWork(kit.SqlRepositories[Event], UnitOfWork):
    source = SOURCE

    def bind(self, session: AsyncSession) -> None:
        self.stock = MysqlStockRepository(session)
        self.reservations = MysqlReservationRepository(session)

    def outbox_event(self, event: Event) -> OutboxEvent:
        return outbox_event(event)
