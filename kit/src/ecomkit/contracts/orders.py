"""Events the order service publishes (key: the order id).

The order service's handlers build them (`order_created`, `record_payment`, `ship_order`,
`_cancel`); amounts travel as decimal strings.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from pydantic import BaseModel, ConfigDict

from ecomkit.contracts.base import Contract, Money
from ecomkit.contracts.topics import Topic


class OrderScoped(Contract):
    """An event about one order, keyed by its id (order, inventory and payment events)."""

    key_field: ClassVar[str] = "order_id"
    aggregate: ClassVar[str] = "order"

    order_id: int
    user_id: int


class OrderLineItem(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    product_id: int
    quantity: int
    price: Money


class OrderCreated(OrderScoped):
    """An order was placed (PENDING): inventory reserves its items; the saga starts."""

    topic: ClassVar[Topic] = Topic.ORDER_CREATED

    order_number: str
    items: list[OrderLineItem]
    total_amount: Money
    currency: str
    payment_method_id: str | None
    email: str | None
    created_at: datetime


class OrderPaid(OrderScoped):
    """The charge succeeded: inventory turns the reservation into a sale."""

    topic: ClassVar[Topic] = Topic.ORDER_PAID

    total_amount: Money
    currency: str


class OrderShipped(OrderScoped):
    topic: ClassVar[Topic] = Topic.ORDER_SHIPPED


class OrderCancelled(OrderScoped):
    """Compensations: inventory releases the stock, payment refunds a charge."""

    topic: ClassVar[Topic] = Topic.ORDER_CANCELLED

    reason: str
    previous_status: str
