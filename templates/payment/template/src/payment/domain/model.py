"""A payment: the one charge of an order, and what became of it."""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal


class PaymentStatus(enum.StrEnum):
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    REFUNDED = "REFUNDED"


class TransactionType(enum.StrEnum):
    CHARGE = "CHARGE"
    REFUND = "REFUND"


@dataclass
class Transaction:
    """One call to the provider that moved money (or tried to)."""

    type: TransactionType
    amount: Decimal
    provider_ref: str | None
    status: str  # SUCCEEDED or FAILED
    id: int | None = None  # set once stored


@dataclass
class Payment:
    order_id: int
    user_id: int
    amount: Decimal
    currency: str
    status: PaymentStatus
    provider: str
    payment_method: str | None = None
    provider_ref: str | None = None
    decline_code: str | None = None
    error_message: str | None = None
    payment_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    transactions: list[Transaction] = field(default_factory=list)
    id: int | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @property
    def refundable(self) -> bool:
        return self.status is PaymentStatus.COMPLETED

    def mark_refunded(self, refund_ref: str | None) -> None:
        self.status = PaymentStatus.REFUNDED
        self.transactions.append(
            Transaction(TransactionType.REFUND, self.amount, refund_ref, "SUCCEEDED")
        )


def money(value: object) -> Decimal:
    """An amount from an event or a request ("12.50", 12.5, Decimal) to cents precision."""
    return Decimal(str(value)).quantize(Decimal("0.01"))
