"""One PostgreSQL transaction per command; events recorded in it reach the outbox on commit.

`PostgresUnitOfWork.joining(inbox_uow)` runs a handler inside the transaction the kit's
inbox opened for a consumed event, so the inbox row, the state change, the order_events row
and the outbox rows commit (or roll back) together. The machinery is the kit's
(`ecomkit.unit_of_work`), and so are the events (`ecomkit.contracts`, published through
their own `to_event()`); this module says which repositories.
"""

from __future__ import annotations

from ecomkit import unit_of_work as kit
from ecomkit.contracts import Contract
from sqlalchemy.ext.asyncio import AsyncSession

from order.adapters.repositories import (
    IdempotencyKeys,
    OrderRepository,
    PostgresIdempotencyKeys,
    PostgresOrderRepository,
)

SOURCE = "order"


class UnitOfWork(kit.UnitOfWork[Contract]):
    orders: OrderRepository
    idempotency: IdempotencyKeys


class PostgresUnitOfWork(kit.SqlRepositories[Contract], UnitOfWork):
    source = SOURCE

    def bind(self, session: AsyncSession) -> None:
        self.orders = PostgresOrderRepository(session)
        self.idempotency = PostgresIdempotencyKeys(session)
