"""HTTP routes. Each route builds a command (or a query) and hands it to the bus."""

from __future__ import annotations

from typing import Annotated

from ecomkit.api_params import Admin, AdminOrService, CurrentUser, PathId
from ecomkit.auth import Claims
from ecomkit.problems import Forbidden
from ecomkit.service import bus_of
from fastapi import APIRouter, Depends, Path, Response, status

from payment.domain import commands
from payment.domain.model import Payment
from payment.entrypoints.schemas import ChargeRequest, PaymentResponse
from payment.service_layer import views
from payment.service_layer.messagebus import MessageBus

router = APIRouter()

PaymentId = Annotated[str, Path(min_length=1, max_length=255)]

Bus = Annotated[MessageBus, Depends(bus_of)]


def _visible_to(payment: Payment, claims: Claims) -> Payment:
    if claims.has_role("ADMIN") or claims.has_role("SERVICE") or claims.user_id == payment.user_id:
        return payment
    raise Forbidden("not your payment")


@router.post("/api/payments", status_code=status.HTTP_201_CREATED, tags=["payments"])
async def charge(
    body: ChargeRequest, _: AdminOrService, bus: Bus, response: Response
) -> PaymentResponse:
    """Charge an order directly; the order's existing payment is returned if it has one."""
    command = commands.ChargeOrder(**body.model_dump())
    payment: Payment = await bus.handle(command)
    response.headers["Location"] = f"/api/payments/{payment.payment_id}"
    return PaymentResponse.of(payment)


@router.get("/api/payments/order/{order_id}", tags=["payments"])
async def payment_of_order(order_id: PathId, claims: CurrentUser, bus: Bus) -> PaymentResponse:
    payment = await views.payment_of_order(bus, order_id)
    return PaymentResponse.of(_visible_to(payment, claims))


@router.get("/api/payments/{payment_id}", tags=["payments"])
async def get_payment(payment_id: PaymentId, claims: CurrentUser, bus: Bus) -> PaymentResponse:
    payment = await views.payment_by_id(bus, payment_id)
    return PaymentResponse.of(_visible_to(payment, claims))


@router.post("/api/payments/{payment_id}/refund", tags=["payments"])
async def refund(payment_id: PaymentId, _: Admin, bus: Bus) -> PaymentResponse:
    payment: Payment = await bus.handle(commands.RefundPayment(payment_id))
    return PaymentResponse.of(payment)
