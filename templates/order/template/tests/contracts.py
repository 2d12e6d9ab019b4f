"""Contract tests of the storage ports, run against the fakes (here) and against
PostgreSQL (the repository's integration suite), so the fakes cannot drift."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from ecomkit.eventstore import ConcurrencyConflict

from order.domain.errors import KeyTaken
from order.domain.history import stored_data
from order.domain.model import Order, OrderLine, OrderStatus, SagaState
from order.service_layer.handlers import order_created
from order.service_layer.unit_of_work import UnitOfWork

UowFactory = Callable[[], UnitOfWork]
BASE = datetime(2025, 1, 1, 12, tzinfo=UTC)


def an_order(user_id: int | None = None, deadline: datetime = BASE) -> Order:
    return Order.place(
        user_id=user_id or int(uuid.uuid4().int % 10**9) + 1,
        order_number="ORD-" + uuid.uuid4().hex[:12],
        items=[OrderLine(10, 2, Decimal("19.99")), OrderLine(11, 1, Decimal("5.00"))],
        currency="USD",
        deadline=deadline,
        payment_method_id="pm_card_visa",
    )


class UnitOfWorkContract:
    """Subclasses provide the `uow` fixture: a factory of units of work on one store."""

    async def _add(self, uow: UowFactory, order: Order) -> Order:
        """As place_order does: the row and the first event of the order's stream."""
        async with uow() as work:
            await work.orders.add(order)
            data, version = stored_data(order, "OrderCreated", order_created(order, None).payload())
            await work.orders.append_event(order, "OrderCreated", data, schema_version=version)
            await work.commit()
        return order

    async def test_added_order_reads_back_with_items(self, uow: UowFactory) -> None:
        order = await self._add(uow, an_order())
        assert order.id is not None and order.created_at is not None
        async with uow() as work:
            found = await work.orders.get(order.id)
        assert found is not None
        assert found.total_amount == Decimal("44.98") and found.currency == "USD"
        assert found.status is OrderStatus.PENDING and found.saga_state is SagaState.STARTED
        assert sorted((i.product_id, i.quantity, i.price) for i in found.items) == [
            (10, 2, Decimal("19.99")),
            (11, 1, Decimal("5.00")),
        ]
        assert found.payment_method_id == "pm_card_visa" and found.saga_deadline == BASE

    async def test_trace_id_reads_back(self, uow: UowFactory) -> None:
        order = an_order()
        order.trace_id = "4bf92f3577b34da6a3ce929d0e0e4736"
        await self._add(uow, order)
        assert order.id is not None
        async with uow() as work:
            found = await work.orders.get(order.id)
        assert found is not None and found.trace_id == "4bf92f3577b34da6a3ce929d0e0e4736"

    async def test_unknown_order_is_none(self, uow: UowFactory) -> None:
        async with uow() as work:
            assert await work.orders.get(10**12) is None

    async def test_uncommitted_work_is_gone(self, uow: UowFactory) -> None:
        order = an_order()
        async with uow() as work:
            await work.orders.add(order)
        async with uow() as work:
            assert order.id is None or await work.orders.get(order.id) is None

    async def test_saved_state_change_reads_back(self, uow: UowFactory) -> None:
        order = await self._add(uow, an_order())
        assert order.id is not None
        async with uow() as work:
            locked = await work.orders.get(order.id, for_update=True)
            assert locked is not None
            locked.cancel("changed my mind")
            await work.orders.save(locked)
            await work.commit()
        async with uow() as work:
            found = await work.orders.get(order.id)
        assert found is not None and found.status is OrderStatus.CANCELLED
        assert found.cancel_reason == "changed my mind"
        assert found.saga_state is SagaState.COMPENSATED

    async def test_orders_of_a_user_newest_first(self, uow: UowFactory) -> None:
        first = await self._add(uow, an_order())
        second = await self._add(uow, an_order(first.user_id))
        await self._add(uow, an_order())  # someone else's
        async with uow() as work:
            mine = await work.orders.for_user(first.user_id, offset=0, limit=10)
            page = await work.orders.for_user(first.user_id, offset=1, limit=10)
        assert [o.id for o in mine] == [second.id, first.id]
        assert [o.id for o in page] == [first.id]

    async def test_overdue_lists_pending_orders_past_their_deadline(self, uow: UowFactory) -> None:
        late = await self._add(uow, an_order(deadline=BASE - timedelta(days=400)))
        await self._add(uow, an_order(deadline=BASE + timedelta(days=400)))
        paid = await self._add(uow, an_order(deadline=BASE - timedelta(days=400)))
        async with uow() as work:
            found = await work.orders.get(paid.id or 0, for_update=True)
            assert found is not None
            found.pay("pay-1")
            await work.orders.save(found)
            await work.commit()
        async with uow() as work:
            overdue = await work.orders.overdue(BASE, limit=1000)
        assert late.id in overdue and paid.id not in overdue
        assert all(isinstance(i, int) for i in overdue)

    async def test_history_is_appended_in_order(self, uow: UowFactory) -> None:
        order = await self._add(uow, an_order())
        assert order.id is not None
        async with uow() as work:
            await work.orders.append_event(order, "InventoryReserved", {"n": 1})
            await work.orders.append_event(order, "OrderCancelled", {"reason": "x"})
            await work.commit()
        async with uow() as work:
            history = await work.orders.events_of(order.id)
        assert [(t, d) for t, d, _ in history][1:] == [
            ("InventoryReserved", {"n": 1}),
            ("OrderCancelled", {"reason": "x"}),
        ]

    async def test_the_order_to_change_is_rebuilt_from_its_events(self, uow: UowFactory) -> None:
        order = await self._add(uow, an_order())
        assert order.id is not None
        async with uow() as work:
            locked = await work.orders.get(order.id, for_update=True)
            assert locked is not None and locked.version == 1
            locked.pay("pi_7")
            await work.orders.append_event(locked, "OrderPaid", {"reason": "n/a"})
            await work.orders.save(locked)
            await work.commit()
        async with uow() as work:
            rebuilt = await work.orders.get(order.id, for_update=True)
        assert rebuilt is not None and rebuilt.version == 2
        assert rebuilt.status is OrderStatus.PAID and rebuilt.saga_deadline == BASE
        assert rebuilt.payment_method_id == "pm_card_visa"
        assert rebuilt.total_amount == Decimal("44.98")

    async def test_a_writer_behind_the_stream_conflicts_and_writes_nothing(
        self, uow: UowFactory
    ) -> None:
        order = await self._add(uow, an_order())
        assert order.id is not None
        async with uow() as first, uow() as second:
            mine = await first.orders.get(order.id, for_update=True)
            theirs = await second.orders.get(order.id, for_update=True)
            assert mine is not None and theirs is not None
            await first.orders.append_event(mine, "InventoryReserved", {})
            await first.commit()
            with pytest.raises(ConcurrencyConflict):
                await second.orders.append_event(theirs, "OrderCancelled", {"reason": "x"})
            again = await second.orders.get(order.id, for_update=True)  # same transaction
            assert again is not None and again.version == 2
            await second.orders.append_event(again, "OrderCancelled", {"reason": "x"})
            await second.commit()
        async with uow() as work:
            history = await work.orders.events_of(order.id)
        assert [t for t, _, _ in history] == ["OrderCreated", "InventoryReserved", "OrderCancelled"]

    async def test_events_after_a_position_resume_where_a_reader_left(
        self, uow: UowFactory
    ) -> None:
        order, other = await self._add(uow, an_order()), await self._add(uow, an_order())
        assert order.id is not None and other.id is not None
        async with uow() as work:
            for event_type in ("InventoryReserved", "OrderPaid", "OrderShipped"):
                await work.orders.append_event(order, event_type, {})
                await work.orders.append_event(other, event_type, {})
            await work.commit()
        async with uow() as work:
            everything = await work.orders.events_after(order.id, 0, limit=100)
            rest = await work.orders.events_after(order.id, everything[0].position, limit=1)
        steps = ["OrderCreated", "InventoryReserved", "OrderPaid", "OrderShipped"]
        assert [e.event_type for e in everything] == steps
        positions = [e.position for e in everything]
        assert positions == sorted(set(positions))
        assert rest == everything[1:2]

    async def test_idempotency_keys(self, uow: UowFactory) -> None:
        order = await self._add(uow, an_order())
        assert order.id is not None
        key = "key-" + uuid.uuid4().hex
        async with uow() as work:
            assert await work.idempotency.find(order.user_id, key) is None
            await work.idempotency.add(order.user_id, key, "h" * 64, order.id)
            await work.commit()
        async with uow() as work:
            assert await work.idempotency.find(order.user_id, key) == (order.id, "h" * 64)
            assert await work.idempotency.find(order.user_id + 1, key) is None
        with pytest.raises(KeyTaken):
            async with uow() as work:
                await work.idempotency.add(order.user_id, key, "g" * 64, order.id)
