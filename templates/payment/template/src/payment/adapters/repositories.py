"""Payments and known cancellations in PostgreSQL.

One row per order (unique index `uq_payments_order_id`): the database itself refuses a
second charge record, whatever the application does.
"""

from __future__ import annotations

import abc
from typing import Any

from ecomkit.records import record_from_row, record_values
from sqlalchemy import func, insert, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from payment.adapters.tables import order_cancellations, payments, transactions
from payment.domain.model import Payment, Transaction


class PaymentRepository(abc.ABC):
    @abc.abstractmethod
    async def lock_order(self, order_id: int) -> None:
        """Serialize work on one order until the transaction ends (charge vs cancel)."""

    @abc.abstractmethod
    async def get(self, payment_id: str) -> Payment | None: ...

    @abc.abstractmethod
    async def get_by_order(self, order_id: int) -> Payment | None: ...

    @abc.abstractmethod
    async def add(self, payment: Payment) -> Payment: ...

    @abc.abstractmethod
    async def save(self, payment: Payment) -> None:
        """Store the payment's status and its transactions not stored yet."""

    @abc.abstractmethod
    async def is_cancelled(self, order_id: int) -> bool: ...

    @abc.abstractmethod
    async def record_cancelled(self, order_id: int, reason: str | None) -> bool:
        """Remember the cancellation; False when it was known already."""


class PostgresPaymentRepository(PaymentRepository):
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def lock_order(self, order_id: int) -> None:
        # A transaction-scoped advisory lock: released by commit or rollback, even on a crash.
        await self.session.execute(
            text("SELECT pg_advisory_xact_lock(:namespace, :key)"),
            {"namespace": 8084, "key": order_id % 2**31},
        )

    async def get(self, payment_id: str) -> Payment | None:
        row = (
            await self.session.execute(select(payments).where(payments.c.payment_id == payment_id))
        ).first()
        return await self._with_transactions(row) if row else None

    async def get_by_order(self, order_id: int) -> Payment | None:
        row = (
            await self.session.execute(select(payments).where(payments.c.order_id == order_id))
        ).first()
        return await self._with_transactions(row) if row else None

    async def add(self, payment: Payment) -> Payment:
        result = await self.session.execute(
            insert(payments)
            .values(**_columns(payment))
            .returning(payments.c.id, payments.c.created_at, payments.c.updated_at)
        )
        payment.id, payment.created_at, payment.updated_at = result.one()
        await self._insert_new_transactions(payment)
        return payment

    async def save(self, payment: Payment) -> None:
        assert payment.id is not None
        await self.session.execute(
            update(payments)
            .where(payments.c.id == payment.id)
            .values(**_columns(payment), updated_at=func.now())
        )
        await self._insert_new_transactions(payment)

    async def is_cancelled(self, order_id: int) -> bool:
        query = select(order_cancellations.c.order_id).where(
            order_cancellations.c.order_id == order_id
        )
        return (await self.session.execute(query)).first() is not None

    async def record_cancelled(self, order_id: int, reason: str | None) -> bool:
        statement = (
            pg_insert(order_cancellations)
            .values(order_id=order_id, reason=reason)
            .on_conflict_do_nothing(index_elements=["order_id"])
            .returning(order_cancellations.c.order_id)
        )
        return (await self.session.execute(statement)).first() is not None

    async def _insert_new_transactions(self, payment: Payment) -> None:
        for tx in payment.transactions:
            if tx.id is not None:
                continue
            result = await self.session.execute(
                insert(transactions)
                .values(
                    **record_values(tx, columns=_TRANSACTION_COLUMNS, exclude=("id",)),
                    payment_id=payment.id,
                )
                .returning(transactions.c.id)
            )
            tx.id = result.scalar_one()

    async def _with_transactions(self, row: Any) -> Payment:
        found = await self.session.execute(
            select(transactions)
            .where(transactions.c.payment_id == row.id)
            .order_by(transactions.c.id)
        )
        return record_from_row(
            Payment,
            row._mapping,
            columns=_PAYMENT_COLUMNS,
            provider=row.provider or "unknown",
            transactions=[
                record_from_row(Transaction, t._mapping, columns=_TRANSACTION_COLUMNS)
                for t in found
            ],
        )


# Fields whose columns are named otherwise (the rest share their names).
_PAYMENT_COLUMNS = {"provider_ref": "stripe_payment_intent_id"}
_TRANSACTION_COLUMNS = {"type": "transaction_type", "provider_ref": "transaction_id"}


def _columns(payment: Payment) -> dict[str, Any]:
    """What a write sets: all but the id, the timestamps and the transactions (own rows)."""
    return record_values(
        payment,
        columns=_PAYMENT_COLUMNS,
        exclude=("id", "created_at", "updated_at", "transactions"),
        payment_method=(payment.payment_method or "")[:50] or None,
    )
