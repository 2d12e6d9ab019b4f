"""The saga consumer's handler: events to commands, redelivery, malformed events."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from ecomkit.contracts import ContractError, OrderPaid
from ecomkit.events import Envelope
from ecomkit.testing import InMemoryInbox, arriving
from ecomkit.testing.saga_samples import PAYMENT_METHOD, inventory_reserved, order_cancelled

from payment.bootstrap import bootstrap
from payment.domain import commands
from payment.entrypoints.consumers import command_for, saga_handler
from payment.service_layer.unit_of_work import UnitOfWork
from payment.settings import Settings
from tests.fakes import FakePaymentProvider, FakeStore, FakeUnitOfWork, UowFactory

pytestmark = pytest.mark.anyio


def reserved(order_id: int = 9) -> Envelope:
    return arriving(inventory_reserved(order_id), "inventory")


def cancelled(order_id: int = 9) -> Envelope:
    return arriving(order_cancelled(order_id), "order")


@pytest.fixture
def world(
    store: FakeStore, uow: UowFactory, provider: FakePaymentProvider
) -> tuple[FakeStore, FakePaymentProvider, Any]:
    bus = bootstrap(Settings(), uow=uow, provider=provider)

    def join(_kit_uow: Any) -> UnitOfWork:
        return FakeUnitOfWork(store)

    return store, provider, saga_handler(bus, join)


def test_the_commands_are_built_from_the_contract_fields() -> None:
    charge = command_for(inventory_reserved(9))
    assert charge == commands.ChargeOrder(9, 1, Decimal("19.99"), "USD", PAYMENT_METHOD)
    cancel = order_cancelled(9, previous_status="PAID")
    assert command_for(cancel) == commands.RecordOrderCancelled(9, "user")


Data = dict[str, Any]
MALFORMED: dict[str, Callable[[Data], Data]] = {
    "not an amount": lambda data: {**data, "total_amount": "lots"},
    "no user": lambda data: {k: v for k, v in data.items() if k != "user_id"},
    # camelCase is not this contract's spelling: no fallback.
    "camelCase": lambda data: {k.replace("_id", "Id"): v for k, v in data.items()},
}


@pytest.mark.parametrize("spoil", MALFORMED.values(), ids=MALFORMED.keys())
async def test_a_malformed_event_goes_to_the_dlq(world: Any, spoil: Callable[[Data], Data]) -> None:
    store, provider, handler = world
    event = reserved()
    bad = event.model_copy(update={"data": spoil(event.data)})
    with pytest.raises(ContractError):  # the kit's consumer dead-letters it at once
        await handler(bad, None)
    assert provider.calls == 0 and store.events == []


async def test_the_same_event_twice_charges_once(world: Any) -> None:
    store, provider, handler = world
    inbox, event = InMemoryInbox(), reserved()
    assert await inbox.handle(event, "payment", handler)
    assert not await inbox.handle(event, "payment", handler)
    # A re-published copy (new event id, same order) has no second effect either.
    assert await inbox.handle(reserved(), "payment", handler)
    assert len(provider.charges) == 1 and len(store.events) == 1


async def test_cancelled_before_reserved_is_never_charged(world: Any) -> None:
    store, provider, handler = world
    await handler(cancelled(), None)
    await handler(reserved(), None)  # no error: the event is handled, nothing charged
    assert provider.calls == 0 and store.events == []


async def test_cancelled_after_payment_is_refunded(world: Any) -> None:
    store, provider, handler = world
    await handler(reserved(), None)
    await handler(cancelled(), None)
    assert [type(e).__name__ for e in store.events] == ["PaymentCompleted", "RefundCompleted"]
    assert provider.net_charges(9) == 0


async def test_other_events_are_ignored(world: Any) -> None:
    store, provider, handler = world
    await handler(Envelope(type="Something", source="x", data={}), None)
    paid = OrderPaid(order_id=9, user_id=4, total_amount=Decimal("10.00"), currency="EUR")
    await handler(arriving(paid, "order"), None)  # a contract, but not one payment reads
    assert store.events == [] and provider.calls == 0
