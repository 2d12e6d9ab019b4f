"""A service's SQL unit of work publishes its typed events through their contracts."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from ecomkit.contracts import OrderShipped
from ecomkit.unit_of_work import SqlRepositories


class ShopUnitOfWork(SqlRepositories[Any]):
    source = "shop"

    def bind(self, session: AsyncSession) -> None:
        self.session = session


def test_a_contract_reaches_the_outbox_as_its_own_event() -> None:
    uow = ShopUnitOfWork.__new__(ShopUnitOfWork)
    event = uow.outbox_event(OrderShipped(order_id=12, user_id=3))
    assert (event.type, event.topic, event.key) == ("OrderShipped", "order-shipped-events", "12")
    assert event.data == {"order_id": 12, "user_id": 3} and event.aggregate_type == "order"


def test_anything_else_is_refused() -> None:
    uow = ShopUnitOfWork.__new__(ShopUnitOfWork)
    with pytest.raises(TypeError, match="not an event contract"):
        uow.outbox_event({"order_id": 12})
