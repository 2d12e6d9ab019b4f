"""The order's state machine: every allowed move, every refused one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from order.domain.errors import InvalidTransition
from order.domain.model import TERMINAL, TRANSITIONS, Order, OrderLine, OrderStatus, SagaState

NOW = datetime(2025, 1, 1, tzinfo=UTC)


def pending() -> Order:
    return Order.place(
        user_id=1,
        order_number="ORD-1",
        items=[OrderLine(1, 3, Decimal("0.10")), OrderLine(2, 1, Decimal("9.99"))],
        currency="USD",
        deadline=NOW + timedelta(seconds=60),
    )


def in_status(status: OrderStatus) -> Order:
    order = pending()
    order.status = status
    return order


def test_total_is_computed_from_the_lines() -> None:
    order = pending()
    assert order.total_amount == Decimal("10.29")
    assert order.status is OrderStatus.PENDING and order.saga_state is SagaState.STARTED


def test_happy_path() -> None:
    order = pending()
    assert order.mark_reserved()
    assert order.saga_state is SagaState.RESERVED
    assert order.pay("pay-1") is OrderStatus.PENDING
    assert (order.status, order.saga_state) == (OrderStatus.PAID, SagaState.COMPLETED)
    assert order.payment_id == "pay-1"
    assert order.ship() is OrderStatus.PAID and order.status is OrderStatus.SHIPPED


def test_cancel_while_pending_records_the_reason() -> None:
    order = pending()
    assert order.cancel("out of stock") is OrderStatus.PENDING
    assert order.status is OrderStatus.CANCELLED and order.cancel_reason == "out of stock"
    assert order.saga_state is SagaState.COMPENSATED and order.is_terminal


@pytest.mark.parametrize("status", [s for s in OrderStatus if s is not OrderStatus.PENDING])
def test_only_a_pending_order_can_be_cancelled(status: OrderStatus) -> None:
    with pytest.raises(InvalidTransition):
        in_status(status).cancel("too late")


@pytest.mark.parametrize("status", [s for s in OrderStatus if s is not OrderStatus.PAID])
def test_only_a_paid_order_ships(status: OrderStatus) -> None:
    with pytest.raises(InvalidTransition):
        in_status(status).ship()


@pytest.mark.parametrize("status", [s for s in OrderStatus if s is not OrderStatus.PENDING])
def test_only_a_pending_order_is_paid(status: OrderStatus) -> None:
    order = in_status(status)
    with pytest.raises(InvalidTransition):
        order.pay("pay-1")
    assert order.status is status


def test_reservation_is_noted_once_and_not_after_cancel() -> None:
    order = pending()
    assert order.mark_reserved() and not order.mark_reserved()
    cancelled = pending()
    cancelled.cancel("user")
    assert not cancelled.mark_reserved() and cancelled.saga_state is SagaState.COMPENSATED


def test_terminal_states_have_no_way_out() -> None:
    assert {OrderStatus.CANCELLED, OrderStatus.DELIVERED} == TERMINAL
    assert all(not TRANSITIONS[s] for s in TERMINAL)


def test_overdue_only_while_pending() -> None:
    order = pending()
    assert not order.is_overdue(NOW)
    assert order.is_overdue(NOW + timedelta(seconds=60))
    order.pay(None)
    assert not order.is_overdue(NOW + timedelta(days=1))
