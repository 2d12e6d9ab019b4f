"""HTTP request and response bodies (camelCase JSON, as in the plan's API)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from payment.domain.model import Payment


class CamelModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


class ChargeRequest(CamelModel):
    order_id: Annotated[int, Field(ge=1, le=2**63 - 1)]
    user_id: Annotated[int, Field(ge=1, le=2**63 - 1)]
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
        return cls(
            id=payment.payment_id,
            order_id=payment.order_id,
            user_id=payment.user_id,
            amount=payment.amount,
            currency=payment.currency,
            status=payment.status.value,
            provider=payment.provider,
            provider_ref=payment.provider_ref,
            decline_code=payment.decline_code,
            error_message=payment.error_message,
            transactions=[
                TransactionResponse(
                    type=t.type.value, amount=t.amount, provider_ref=t.provider_ref, status=t.status
                )
                for t in payment.transactions
            ],
            created_at=payment.created_at,
            updated_at=payment.updated_at,
        )
