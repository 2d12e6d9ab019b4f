"""One PostgreSQL transaction per command; events recorded in it reach the outbox on commit.

A consumer's handler joins the transaction the kit's inbox opened
(`PostgresUnitOfWork.joining`): the inbox row, the payment rows and the outbox rows then
commit together, or not at all. The machinery is the kit's (`ecomkit.unit_of_work`); this
module says which repository and how events look.
"""

from __future__ import annotations

from ecomkit import unit_of_work as kit
from ecomkit.events import Event as OutboxEvent
from sqlalchemy.ext.asyncio import AsyncSession

from payment.adapters.repositories import PaymentRepository, PostgresPaymentRepository
from payment.domain.events import Event

SOURCE = "payment"


class UnitOfWork(kit.UnitOfWork[Event]):
    payments: PaymentRepository


class PostgresUnitOfWork(kit.SqlRepositories[Event], UnitOfWork):
    source = SOURCE

    def bind(self, session: AsyncSession) -> None:
        self.payments = PostgresPaymentRepository(session)

    def outbox_event(self, event: Event) -> OutboxEvent:
        return OutboxEvent(
            type=type(event).__name__,
            topic=event.topic,
            key=event.key,
            subject=event.key,
            data=event.data,
            aggregate_type="payment",
        )
