"""One PostgreSQL transaction per command; events recorded in it reach the outbox on commit.

`PostgresUnitOfWork.joining(inbox_uow)` runs a handler inside the transaction the kit's
inbox opened for a consumed event, so the inbox row, the state change, the order_events row
and the outbox rows commit (or roll back) together. The machinery is the kit's
(`ecomkit.unit_of_work`); this module says which repositories and how events look.
"""

from __future__ import annotations

from ecomkit import unit_of_work as kit
from ecomkit.events import Event as OutboxEvent
from sqlalchemy.ext.asyncio import AsyncSession

from order.adapters.repositories import (
    IdempotencyKeys,
    OrderRepository,
    PostgresIdempotencyKeys,
    PostgresOrderRepository,
)
from order.domain.events import Event

SOURCE = "order"


def outbox_event(event: Event) -> OutboxEvent:
    return OutboxEvent(
        type=type(event).__name__,
        topic=event.topic,
        key=event.key,
        subject=event.key,
        data=event.data,
        aggregate_type="order",
    )


class UnitOfWork(kit.UnitOfWork[Event]):
    orders: OrderRepository
    idempotency: IdempotencyKeys


class PostgresUnitOfWork(kit.SqlRepositories[Event], UnitOfWork):
    source = SOURCE

    def bind(self, session: AsyncSession) -> None:
        self.orders = PostgresOrderRepository(session)
        self.idempotency = PostgresIdempotencyKeys(session)

    def outbox_event(self, event: Event) -> OutboxEvent:
        return outbox_event(event)
