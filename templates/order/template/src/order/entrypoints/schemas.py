"""HTTP request and response bodies (camelCase JSON, as in the plan's API)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from ecomkit.schemas import CamelModel, Id
from pydantic import Field

from order.domain.model import Order


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


# --- the asynchronous read models (adapters/projections.py) --------------------------


class HistoryLine(CamelModel):
    product_id: int
    quantity: int
    price: str


class TimelineEntry(CamelModel):
    event: str
    version: int
    at: datetime | None
    status: str | None = None
    """The status the event left the order in (absent for events that keep it)."""
    reason: str | None = None


class OrderSummary(CamelModel):
    order_id: int
    order_number: str
    user_id: int
    status: str
    total_amount: str
    currency: str
    created_at: datetime | None
    updated_at: datetime | None


class HistoryOrder(OrderSummary):
    lines: list[HistoryLine]
    timeline: list[TimelineEntry]
    cancel_reason: str | None


class HistoryPage(CamelModel):
    user_id: int
    offset: int
    limit: int
    orders: list[HistoryOrder]


class SalesRow(CamelModel):
    day: date
    product_id: int
    currency: str
    quantity: int
    revenue: str
    orders: int


class SalesReport(CamelModel):
    from_: Annotated[date, Field(alias="from")]
    to: date
    product_id: int | None
    rows: list[SalesRow]


class OrderSearchPage(CamelModel):
    offset: int
    limit: int
    orders: list[OrderSummary]
