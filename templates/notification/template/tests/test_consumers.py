"""The consumer's handler: events read through their contracts, notifications out."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from ecomkit.contracts import ContractError, InventoryUpdated, OrderCancelled
from ecomkit.events import Envelope
from ecomkit.testing import arriving

from notification.domain.model import Contact
from notification.entrypoints.consumers import event_handler
from notification.settings import Settings
from tests.fakes import FakeEmailSender, World
from tests.samples import samples

pytestmark = pytest.mark.anyio

EVENTS = {event.event_type: arriving(event) for event in samples(user_id=4, order_id=9)}


@pytest.fixture
def handler(email: FakeEmailSender) -> Any:
    four = Contact(4, "four@example.com", None, "de")
    return event_handler(World.of(Settings(), four, email=email).bus)


async def test_known_events_notify_and_others_are_ignored(
    handler: Any, email: FakeEmailSender
) -> None:
    event = OrderCancelled(order_id=9, user_id=4, reason="out of stock", previous_status="PAID")
    cancelled = arriving(event, "order")
    await handler(cancelled, None)
    await handler(cancelled, None)
    stock = InventoryUpdated(product_id=1, available_stock=1, reserved_stock=0, sold_stock=0)
    await handler(arriving(stock, "inventory"), None)
    await handler(Envelope(type="Something", source="x", data={}), None)
    (mail,) = email.sent
    assert mail.subject == "Ihre Bestellung 9 wurde storniert" and "out of stock" in mail.body


async def test_a_review_is_read_from_its_camel_case_wire(
    handler: Any, email: FakeEmailSender
) -> None:
    review = EVENTS["ReviewAdded"]
    assert {"productId", "userId"} <= review.data.keys()  # the catalog's spelling
    await handler(review, None)
    (mail,) = email.sent
    assert "Produkt 3 mit 4 von 5 Sternen" in mail.body


Data = dict[str, Any]
MALFORMED: dict[str, tuple[str, Callable[[Data], Data]]] = {
    "no user": ("OrderPaid", lambda data: {k: v for k, v in data.items() if k != "user_id"}),
    "user in camelCase": (
        "PaymentFailed",
        lambda data: {("userId" if k == "user_id" else k): v for k, v in data.items()},
    ),
    "not an amount": ("OrderPaid", lambda data: {**data, "total_amount": "lots"}),
    "no previous status": (
        "OrderCancelled",
        lambda data: {k: v for k, v in data.items() if k != "previous_status"},
    ),
    "rating not a number": ("ReviewAdded", lambda data: {**data, "rating": "five"}),
}


@pytest.mark.parametrize(("event_type", "spoil"), MALFORMED.values(), ids=MALFORMED.keys())
async def test_a_malformed_event_goes_to_the_dlq(
    handler: Any, email: FakeEmailSender, event_type: str, spoil: Callable[[Data], Data]
) -> None:
    event = EVENTS[event_type]
    bad = event.model_copy(update={"data": spoil(event.data)})
    with pytest.raises(ContractError):  # the kit's consumer dead-letters it at once
        await handler(bad, None)
    assert email.sent == []
