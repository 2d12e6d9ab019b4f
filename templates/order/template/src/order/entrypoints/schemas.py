"""HTTP request and response bodies (camelCase JSON, as in the plan's API)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from ecomkit.schemas import CamelModel
from pydantic import Field

from order.domain.model import Order

Id = Annotated[int, Field(ge=1, le=2**63 - 1)]


class ItemIn(CamelModel):
    product_id: Id
    quantity: Annotated[int, Field(ge=1, le=10_000)]


class OrderCreate(CamelModel):
    items: Annotated[list[ItemIn], Field(min_length=1, max_length=100)]
    payment_method_id: Annotated[str, Field(min_length=1, max_length=255)] | None = None
    shipping_address: Annotated[str, Field(max_length=2000)] | None = None


class ItemOut(CamelModel):
    product_id: int
    quantity: int
    price: str
    subtotal: str


class OrderResponse(CamelModel):
    id: int
    order_number: str
    user_id: int
    status: str
    saga_state: str
    saga_deadline: datetime | None
    total_amount: str
    currency: str
    payment_method_id: str | None
    payment_id: str | None
    shipping_address: str | None
    cancel_reason: str | None
    trace_id: str | None
    """`traceId`: the trace the order was placed in (`ecomctl trace`, Zipkin)."""
    items: list[ItemOut]
    created_at: datetime | None
    updated_at: datetime | None

    @classmethod
    def of(cls, order: Order) -> OrderResponse:
        assert order.id is not None
        return cls.copying(
            order,
            status=order.status.value,
            saga_state=order.saga_state.value,
            total_amount=str(order.total_amount),
            items=[
                ItemOut.copying(i, price=str(i.price), subtotal=str(i.subtotal))
                for i in order.items
            ],
        )


class CancelRequest(CamelModel):
    reason: Annotated[str, Field(min_length=1, max_length=500)] = "cancelled by user"


class HistoryEntry(CamelModel):
    event_type: str
    data: dict[str, Any]
    created_at: datetime | None
