"""Orders and the order saga's state machine; plain Python, no framework imports.

The status moves only along TRANSITIONS; every move goes through `Order._move`, so an
illegal one (cancel a PAID order, ship a PENDING one) raises `InvalidTransition` in one
place. `saga_state` records how far the saga got (for operators and the deadline sweep).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from order.domain.errors import InvalidTransition

CENT = Decimal("0.01")


class OrderStatus(StrEnum):
    PENDING = "PENDING"
    PAID = "PAID"
    SHIPPED = "SHIPPED"
    DELIVERED = "DELIVERED"
    CANCELLED = "CANCELLED"


class SagaState(StrEnum):
    STARTED = "STARTED"  # OrderCreated published, waiting for inventory
    RESERVED = "RESERVED"  # stock held, waiting for payment
    COMPLETED = "COMPLETED"  # paid: the saga's happy end
    COMPENSATED = "COMPENSATED"  # cancelled: compensations requested via OrderCancelled


TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    OrderStatus.PENDING: frozenset({OrderStatus.PAID, OrderStatus.CANCELLED}),
    OrderStatus.PAID: frozenset({OrderStatus.SHIPPED}),
    OrderStatus.SHIPPED: frozenset({OrderStatus.DELIVERED}),
    OrderStatus.DELIVERED: frozenset(),
    OrderStatus.CANCELLED: frozenset(),
}
TERMINAL = frozenset(s for s, targets in TRANSITIONS.items() if not targets)


@dataclass(frozen=True)
class OrderLine:
    product_id: int
    quantity: int
    price: Decimal

    @property
    def subtotal(self) -> Decimal:
        return (self.price * self.quantity).quantize(CENT)


@dataclass
class Order:
    user_id: int
    order_number: str
    items: list[OrderLine]
    currency: str
    total_amount: Decimal
    status: OrderStatus = OrderStatus.PENDING
    saga_state: SagaState = SagaState.STARTED
    saga_deadline: datetime | None = None
    payment_method_id: str | None = None
    shipping_address: str | None = None
    payment_id: str | None = None
    cancel_reason: str | None = None
    trace_id: str | None = None
    """The trace the order was placed in (32 hex digits): its whole saga is that trace."""
    id: int | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    version: int = 0
    """How many events its stream held when it was loaded (the append's expected version)."""

    @classmethod
    def place(
        cls,
        *,
        user_id: int,
        order_number: str,
        items: list[OrderLine],
        currency: str,
        deadline: datetime,
        payment_method_id: str | None = None,
        shipping_address: str | None = None,
        trace_id: str | None = None,
    ) -> Order:
        """A new PENDING order; the total is computed here, never taken from a client."""
        total = sum((line.subtotal for line in items), Decimal("0")).quantize(CENT)
        return cls(
            user_id=user_id,
            order_number=order_number,
            items=items,
            currency=currency,
            total_amount=total,
            saga_deadline=deadline,
            payment_method_id=payment_method_id,
            shipping_address=shipping_address,
            trace_id=trace_id,
        )

    def can_become(self, status: OrderStatus) -> bool:
        return status in TRANSITIONS[self.status]

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL

    def is_overdue(self, now: datetime) -> bool:
        return (
            self.status is OrderStatus.PENDING
            and self.saga_deadline is not None
            and self.saga_deadline <= now
        )

    def mark_reserved(self) -> bool:
        """Inventory holds the stock; False (nothing changes) unless the order still waits."""
        if self.status is not OrderStatus.PENDING or self.saga_state is not SagaState.STARTED:
            return False
        self.saga_state = SagaState.RESERVED
        return True

    def pay(self, payment_id: str | None) -> OrderStatus:
        previous = self._move(OrderStatus.PAID)
        self.payment_id = payment_id
        self.saga_state = SagaState.COMPLETED
        return previous

    def cancel(self, reason: str) -> OrderStatus:
        previous = self._move(OrderStatus.CANCELLED)
        self.cancel_reason = reason
        self.saga_state = SagaState.COMPENSATED
        return previous

    def ship(self) -> OrderStatus:
        return self._move(OrderStatus.SHIPPED)

    def _move(self, to: OrderStatus) -> OrderStatus:
        if not self.can_become(to):
            raise InvalidTransition(self.id, self.status, to)
        previous, self.status = self.status, to
        return previous
