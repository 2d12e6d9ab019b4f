"""HTTP request and response bodies (camelCase JSON, as in the plan's API)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated

from ecomkit.schemas import CamelModel, Id
from pydantic import Field

from payment.domain.model import Payment


class ChargeRequest(CamelModel):
    order_id: Id
    user_id: Id
    amount: Annotated[Decimal, Field(gt=0, le=Decimal("99999999.99"), decimal_places=2)]
    currency: Annotated[str, Field(pattern=r"^[A-Za-z]{3}$")] = "USD"
    payment_method_id: Annotated[str, Field(min_length=1, max_length=255)]


class TransactionResponse(CamelModel):
    type: str
    amount: Decimal
    provider_ref: str | None
    status: str


class PaymentResponse(CamelModel):
    id: str
    order_id: int
    user_id: int
    amount: Decimal
    currency: str
    status: str
    provider: str
    provider_ref: str | None
    decline_code: str | None
    error_message: str | None
    transactions: list[TransactionResponse]
    created_at: datetime | None
    updated_at: datetime | None

    @classmethod
    def of(cls, payment: Payment) -> PaymentResponse:
        return cls.copying(
            payment,
            id=payment.payment_id,
            status=payment.status.value,
            transactions=[
                TransactionResponse.copying(t, type=t.type.value) for t in payment.transactions
            ],
        )
