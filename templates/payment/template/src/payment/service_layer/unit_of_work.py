"""One PostgreSQL transaction per command; events recorded in it reach the outbox on commit.

A consumer's handler joins the transaction the kit's inbox opened
(`PostgresUnitOfWork.joining`): the inbox row, the payment rows and the outbox rows then
commit together, or not at all. The machinery is the kit's (`ecomkit.unit_of_work`), and
the events are the kit's typed contracts (`ecomkit.contracts`), published through their
own `to_event()`; this module says which repository.
"""

from __future__ import annotations

from ecomkit import unit_of_work as kit
from ecomkit.contracts import Contract
from sqlalchemy.ext.asyncio import AsyncSession

from payment.adapters.repositories import PaymentRepository, PostgresPaymentRepository

SOURCE = "payment"


class UnitOfWork(kit.UnitOfWork[Contract]):
    payments: PaymentRepository


class PostgresUnitOfWork(kit.SqlRepositories[Contract], UnitOfWork):
    source = SOURCE

    def bind(self, session: AsyncSession) -> None:
        self.payments = PostgresPaymentRepository(session)
