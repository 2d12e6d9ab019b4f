"""One MySQL transaction per command; events recorded in it reach the outbox on commit.

`MysqlUnitOfWork.joining(inbox_uow)` runs a handler inside the transaction the kit's inbox
opened for a consumed event, so the inbox row, the stock moves and the outbox rows commit
together. The machinery is the kit's (`ecomkit.unit_of_work`, which publishes each event
contract through its own topic and key); this module says which repositories.
"""

from __future__ import annotations

from ecomkit import unit_of_work as kit
from ecomkit.contracts import Contract
from sqlalchemy.ext.asyncio import AsyncSession

from inventory.adapters.repositories import (
    MysqlReservationRepository,
    MysqlStockRepository,
    ReservationRepository,
    StockRepository,
)

SOURCE = "inventory"


class UnitOfWork(kit.UnitOfWork[Contract]):
    stock: StockRepository
    reservations: ReservationRepository


class MysqlUnitOfWork(kit.SqlRepositories[Contract], UnitOfWork):
    source = SOURCE

    def bind(self, session: AsyncSession) -> None:
        self.stock = MysqlStockRepository(session)
        self.reservations = MysqlReservationRepository(session)
