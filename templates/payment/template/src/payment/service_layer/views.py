"""Reads (no events, no locks)."""

from __future__ import annotations

from ecomkit.errors import found

from payment.domain.errors import PaymentNotFound
from payment.domain.model import Payment
from payment.service_layer.messagebus import MessageBus


async def payment_by_id(bus: MessageBus, payment_id: str) -> Payment:
    async with bus.deps.uow() as uow:
        return found(await uow.payments.get(payment_id), PaymentNotFound, payment_id)


async def payment_of_order(bus: MessageBus, order_id: int) -> Payment:
    async with bus.deps.uow() as uow:
        payment = await uow.payments.get_by_order(order_id)
    return found(payment, PaymentNotFound, f"of order {order_id}")
