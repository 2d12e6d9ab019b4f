"""The service layer on fakes: all-or-nothing reservations, release/confirm/expiry, and
conservation of stock through every move."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from ecomkit.contracts import (
    InventoryReservationFailed,
    InventoryReserved,
    InventoryUpdated,
    OrderPaid,
    ReservedItem,
)

from inventory.domain import commands
from inventory.domain.model import ReservationStatus, StockLevel
from inventory.service_layer.handlers import EXPIRED_REASON, Outcome, ReservationResult
from inventory.service_layer.messagebus import MessageBus
from tests.fakes import FakeStore

pytestmark = pytest.mark.anyio

CHARGE = commands.Charge(7, Decimal("30.00"), "USD", "pm_card_visa")
PRICE = Decimal("10.00")


def paid(order_id: int) -> OrderPaid:
    return OrderPaid(order_id=order_id, user_id=7, total_amount=Decimal("30.00"), currency="USD")


async def stocked(bus: MessageBus, **levels: int) -> None:
    for name, available in levels.items():
        await bus.handle(commands.SetStock(int(name[1:]), available))


async def reserve(bus: MessageBus, order_id: int, *items: tuple[int, int]) -> ReservationResult:
    lines = tuple(
        ReservedItem(product_id=p, quantity=q, price=PRICE) for p, q in items or ((1, 2), (2, 1))
    )
    result: ReservationResult = await bus.handle(commands.ReserveStock(order_id, lines, CHARGE))
    return result


def conserved(store: FakeStore, stocked_total: dict[int, int]) -> bool:
    return all(store.stock[p].stocked == n for p, n in stocked_total.items())


async def test_set_stock_publishes_inventory_updated(bus: MessageBus, store: FakeStore) -> None:
    await stocked(bus, p1=5)
    await stocked(bus, p1=8)
    assert store.stock[1] == StockLevel(1, available=8)
    assert store.of_type(InventoryUpdated)[-1] == InventoryUpdated(
        product_id=1, available_stock=8, reserved_stock=0, sold_stock=0
    )


async def test_reserve_all_items(bus: MessageBus, store: FakeStore) -> None:
    await stocked(bus, p1=5, p2=1)
    store.published.clear()
    result = await reserve(bus, 100)
    assert result.outcome is Outcome.RESERVED and len(result.reservations) == 2
    assert (store.stock[1].available, store.stock[1].reserved) == (3, 2)
    assert (store.stock[2].available, store.stock[2].reserved) == (0, 1)
    assert store.published_types() == ["InventoryUpdated", "InventoryUpdated", "InventoryReserved"]
    reserved = store.of_type(InventoryReserved)[0]
    assert reserved.key == "100"
    assert (reserved.user_id, reserved.total_amount, reserved.currency) == (7, Decimal(30), "USD")
    assert reserved.payment_method_id == "pm_card_visa"
    assert [(i.product_id, i.quantity, i.price) for i in reserved.items] == [
        (1, 2, PRICE), (2, 1, PRICE)
    ]
    assert reserved.expires_at.replace(tzinfo=None) == store.now + timedelta(seconds=900)


async def test_reserve_is_all_or_nothing(bus: MessageBus, store: FakeStore) -> None:
    await stocked(bus, p1=5, p2=0)
    store.published.clear()
    result = await reserve(bus, 101, (1, 2), (2, 1), (3, 1))
    assert result.outcome is Outcome.FAILED
    assert store.stock[1] == StockLevel(1, available=5) and not store.reservations
    assert store.published_types() == ["InventoryReservationFailed"]
    failed = store.of_type(InventoryReservationFailed)[0]
    assert failed.order_id == 101 and failed.user_id == 7
    assert "insufficient stock" in failed.reason
    assert [(i.product_id, i.requested, i.available) for i in failed.items] == [
        (2, 1, 0), (3, 1, 0)
    ]
    await stocked(bus, p2=10, p3=10)  # stock arrives; a redelivered OrderCreated changes nothing
    store.published.clear()
    again = await reserve(bus, 101, (1, 2), (2, 1), (3, 1))
    assert again.outcome is Outcome.FAILED and again.replayed and not store.published


async def test_repeated_reservation_has_no_second_effect(
    bus: MessageBus, store: FakeStore
) -> None:
    await stocked(bus, p1=5, p2=5)
    await reserve(bus, 102)
    count = len(store.published)
    again = await reserve(bus, 102)
    assert again.replayed and again.outcome is Outcome.RESERVED
    assert len(store.published) == count and store.stock[1].reserved == 2


async def test_last_units_go_to_the_first_order_only(bus: MessageBus, store: FakeStore) -> None:
    await stocked(bus, p1=3)
    results = [await reserve(bus, 200 + i, (1, 1)) for i in range(5)]
    assert [r.outcome for r in results].count(Outcome.RESERVED) == 3
    assert store.stock[1] == StockLevel(1, available=0, reserved=3)


async def test_release_is_idempotent(bus: MessageBus, store: FakeStore) -> None:
    await stocked(bus, p1=5, p2=5)
    await reserve(bus, 103)
    released = await bus.handle(commands.ReleaseStock(103, "payment failed"))
    assert len(released) == 2 and store.stock[1] == StockLevel(1, available=5)
    count = len(store.published)
    assert await bus.handle(commands.ReleaseStock(103, "order cancelled")) == []
    assert len(store.published) == count
    assert {r.status for r in store.reservations.values()} == {ReservationStatus.RELEASED}


async def test_cancel_before_created_refuses_the_late_reservation(
    bus: MessageBus, store: FakeStore
) -> None:
    await stocked(bus, p1=5, p2=5)
    assert await bus.handle(commands.ReleaseStock(104, "cancelled by user")) == []
    store.published.clear()
    result = await reserve(bus, 104)
    assert result.outcome is Outcome.FAILED and result.reason == "cancelled by user"
    assert store.stock[1].reserved == 0 and not store.published


async def test_confirm_moves_reserved_to_sold(bus: MessageBus, store: FakeStore) -> None:
    await stocked(bus, p1=5, p2=5)
    await reserve(bus, 105)
    store.published.clear()
    confirmed = await bus.handle(paid(105))
    assert len(confirmed) == 2
    assert store.stock[1] == StockLevel(1, available=3, reserved=0, sold=2)
    assert store.published == []  # available stock did not change: nothing to tell
    assert await bus.handle(paid(105)) == []  # repeat: nothing more
    assert await bus.handle(commands.ReleaseStock(105, "late cancel")) == []
    assert conserved(store, {1: 5, 2: 5})


async def test_expiry_releases_and_a_late_payment_sells_from_available(
    bus: MessageBus, store: FakeStore
) -> None:
    await stocked(bus, p1=5, p2=5)
    await reserve(bus, 106)
    await reserve(bus, 107, (1, 1))
    assert await bus.handle(commands.ExpireReservations()) == 0
    store.now += timedelta(seconds=901)
    store.published.clear()
    assert await bus.handle(commands.ExpireReservations()) == 3
    assert store.stock[1] == StockLevel(1, available=5) and store.stock[2].reserved == 0
    assert set(store.published_types()) == {"InventoryUpdated"}
    assert await bus.handle(commands.ExpireReservations()) == 0
    store.published.clear()
    confirmed = await bus.handle(paid(106))
    assert len(confirmed) == 2 and store.stock[1] == StockLevel(1, available=3, sold=2)
    # Sold from available stock (the reservations had expired): the catalog is told.
    assert store.published_types() == ["InventoryUpdated", "InventoryUpdated"]
    assert conserved(store, {1: 5, 2: 5})
    assert EXPIRED_REASON == "reservation expired"


async def test_a_cancellation_written_during_the_reservation_undoes_it(
    bus: MessageBus, store: FakeStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another instance's OrderCancelled commits its tombstone while this reservation is
    being written: the reservation's locking read finds it, the whole unit of work is
    undone, and the retry refuses the order without holding stock."""
    from tests.fakes import FakeReservationRepository

    await stocked(bus, p1=5, p2=1)
    store.published.clear()
    plain = FakeReservationRepository.cancelled_reason

    async def cancelled_meanwhile(
        self: FakeReservationRepository, order_id: int, *, for_update: bool = False
    ) -> str | None:
        if for_update:  # the concurrent release commits just before this locking read,
            # which (unlike a plain read of this unit of work's view) sees it
            store.cancelled.setdefault(order_id, "cancelled by the user")
            self.state.cancelled.setdefault(order_id, "cancelled by the user")
        return await plain(self, order_id, for_update=for_update)

    monkeypatch.setattr(FakeReservationRepository, "cancelled_reason", cancelled_meanwhile)
    result = await reserve(bus, 150)
    assert result.outcome is Outcome.FAILED and result.reason == "cancelled by the user"
    assert not store.reservations and store.published == []
    assert (store.stock[1].available, store.stock[1].reserved) == (5, 0)
