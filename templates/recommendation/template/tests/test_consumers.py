"""The consumer's handler: events to commands, redelivery, events of other types."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from ecomkit.contracts import (
    InventoryUpdated,
    OrderCancelled,
    OrderCreated,
    OrderLineItem,
    OrderPaid,
    ReviewAdded,
)
from ecomkit.testing import InMemoryInbox, arriving

from recommendation.bootstrap import bootstrap
from recommendation.domain import commands
from recommendation.entrypoints.consumers import command_for, event_handler
from recommendation.settings import Settings
from tests.fakes import FakeStore, UowFactory

pytestmark = pytest.mark.anyio
NOW = datetime(2026, 1, 1, tzinfo=UTC)


def created(order_id: int, user_id: int, *products: int) -> OrderCreated:
    lines = [OrderLineItem(product_id=p, quantity=1, price=Decimal("5.00")) for p in products]
    return OrderCreated(
        order_id=order_id, user_id=user_id, order_number=f"ORD-{order_id}", items=lines,
        total_amount=Decimal("5.00") * len(lines), currency="EUR", payment_method_id=None,
        email=None, created_at=NOW,
    )  # fmt: skip


def paid(order_id: int, user_id: int) -> OrderPaid:
    return OrderPaid(order_id=order_id, user_id=user_id, total_amount=Decimal(5), currency="EUR")


def test_each_event_asks_for_its_command() -> None:
    assert command_for(arriving(created(1, 2, 7, 8))) == created(1, 2, 7, 8)
    assert command_for(arriving(paid(1, 2))) == paid(1, 2)
    review = ReviewAdded(
        product_id=7, review_id="r1", user_id=2, rating=5, comment=None, created_at=NOW
    )
    assert command_for(arriving(review)) == review
    stock = arriving(
        InventoryUpdated(product_id=7, available_stock=0, reserved_stock=1, sold_stock=2)
    )
    assert command_for(stock) == commands.RecordStock(7, 0, stock.time)
    cancel = OrderCancelled(order_id=1, user_id=2, reason="user", previous_status="PENDING")
    assert command_for(arriving(cancel)) is None


async def test_a_redelivered_event_is_recorded_once(store: FakeStore, uow: UowFactory) -> None:
    bus = bootstrap(Settings(), uow=uow)
    inbox = InMemoryInbox(uow)
    handler = event_handler(bus, joining=lambda uow: uow)
    events = [arriving(created(1, 2, 7, 8)), arriving(paid(1, 2))]
    outcomes: list[Any] = []
    for envelope in events + events:
        outcomes.append(await inbox.handle(envelope, "recommendation", handler))
    assert outcomes == [True, True, False, False]
    assert sorted(store.lines) == [(1, 7), (1, 8)] and store.paid == {1}
