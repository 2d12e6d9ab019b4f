"""Use cases. Each runs in one unit of work and, for the order it touches, under a lock
held until commit, so a charge and a cancellation of the same order never interleave:

- cancellation first: the charge sees it and refuses (no money moves);
- charge first: the cancellation sees the COMPLETED payment and refunds it.

The provider is called inside the transaction: if the process dies after the provider
charged but before the commit, the event is redelivered and charged again with the same
idempotency key, which the provider answers with the first result (Stripe keeps keys for
24 h). The local emulator ignores idempotency keys; see docs/services/payment.md.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from ecomkit.contracts import PaymentCompleted, PaymentFailed, RefundCompleted
from ecomkit.declarations import Command
from ecomkit.records import record_values

from payment.domain import commands
from payment.domain.errors import NotRefundable, OrderCancelled, PaymentNotFound
from payment.domain.model import Payment, PaymentStatus, Transaction, TransactionType, money
from payment.service_layer.ports import ChargeRequest, PaymentProvider
from payment.service_layer.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)


@dataclass
class Dependencies:
    uow: Callable[[], UnitOfWork]
    provider: PaymentProvider


def charge_key(order_id: int) -> str:
    return f"order-{order_id}"


def refund_key(payment: Payment) -> str:
    return f"refund-{payment.payment_id}"


async def charge_order(command: commands.ChargeOrder, deps: Dependencies) -> Payment:
    """The order's payment: the existing one, or a new charge (COMPLETED or FAILED)."""
    uow = deps.uow()
    async with uow:
        await uow.payments.lock_order(command.order_id)
        existing = await uow.payments.get_by_order(command.order_id)
        if existing is not None:
            log.info("order %s already has payment %s", command.order_id, existing.payment_id)
            return existing
        if await uow.payments.is_cancelled(command.order_id):
            raise OrderCancelled(command.order_id)
        amount = money(command.amount)
        result = await deps.provider.charge(
            ChargeRequest(
                command.order_id,
                amount,
                command.currency.upper(),
                command.payment_method_id,
                charge_key(command.order_id),
            )
        )
        payment = Payment(
            order_id=command.order_id,
            user_id=command.user_id,
            amount=amount,
            currency=command.currency.upper(),
            status=PaymentStatus.COMPLETED if result.succeeded else PaymentStatus.FAILED,
            provider=deps.provider.name,
            payment_method=command.payment_method_id,
            provider_ref=result.provider_ref,
            decline_code=result.decline_code,
            error_message=result.reason,
        )
        payment.transactions.append(
            Transaction(
                TransactionType.CHARGE,
                amount,
                result.provider_ref,
                "SUCCEEDED" if result.succeeded else "FAILED",
            )
        )
        await uow.payments.add(payment)
        uow.add_event(_outcome_event(payment))
        await uow.commit()
        return payment


async def record_order_cancelled(
    command: commands.RecordOrderCancelled, deps: Dependencies
) -> Payment | None:
    """Remember the cancellation; refund the order's charge if it has one."""
    uow = deps.uow()
    async with uow:
        await uow.payments.lock_order(command.order_id)
        await uow.payments.record_cancelled(command.order_id, command.reason)
        payment = await uow.payments.get_by_order(command.order_id)
        if payment is not None and payment.refundable:
            await _refund(payment, deps, uow)
            log.info(
                "refunded payment %s of cancelled order %s", payment.payment_id, payment.order_id
            )
        await uow.commit()
        return payment


async def refund_payment(command: commands.RefundPayment, deps: Dependencies) -> Payment:
    uow = deps.uow()
    async with uow:
        payment = await uow.payments.get(command.payment_id)
        if payment is None:
            raise PaymentNotFound(command.payment_id)
        await uow.payments.lock_order(payment.order_id)
        payment = await uow.payments.get(command.payment_id)
        assert payment is not None
        if payment.status is PaymentStatus.REFUNDED:
            return payment  # asked twice: the first refund stands
        if not payment.refundable:
            raise NotRefundable(payment.payment_id, payment.status.value)
        await _refund(payment, deps, uow)
        await uow.commit()
        return payment


async def _refund(payment: Payment, deps: Dependencies, uow: UnitOfWork) -> None:
    assert payment.provider_ref is not None
    result = await deps.provider.refund(payment.provider_ref, payment.amount, refund_key(payment))
    payment.mark_refunded(result.refund_ref)
    await uow.payments.save(payment)
    uow.add_event(RefundCompleted(**_about(payment), provider_ref=result.refund_ref))


def _outcome_event(payment: Payment) -> PaymentCompleted | PaymentFailed:
    if payment.status is PaymentStatus.COMPLETED:
        return PaymentCompleted(
            **_about(payment), provider=payment.provider, provider_ref=payment.provider_ref
        )
    return PaymentFailed(
        **_about(payment), reason=payment.error_message, decline_code=payment.decline_code
    )


# The fields every payment event carries (the contracts' common part).
_ABOUT = ("order_id", "user_id", "payment_id", "amount", "currency")


def _about(payment: Payment) -> dict[str, Any]:
    return record_values(payment, only=_ABOUT)


HANDLERS: dict[type[Command], Callable[[Any, Dependencies], Awaitable[Any]]] = {
    commands.ChargeOrder: charge_order,
    commands.RecordOrderCancelled: record_order_cancelled,
    commands.RefundPayment: refund_payment,
}
