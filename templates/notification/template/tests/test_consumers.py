"""The consumer's handler: event types in, notifications out."""

from __future__ import annotations

import pytest
from ecomkit.events import Envelope

from notification.bootstrap import bootstrap
from notification.domain.model import Contact
from notification.entrypoints.consumers import event_handler
from notification.settings import Settings
from tests.fakes import FakeEmailSender, FakeNotificationLog, FakeSmsProvider, FakeUserDirectory

pytestmark = pytest.mark.anyio


async def test_known_events_notify_and_others_are_ignored() -> None:
    email = FakeEmailSender()
    users = FakeUserDirectory({4: Contact(4, "four@example.com", None, "de")})
    bus = bootstrap(
        Settings(), users=users, email=email, sms=FakeSmsProvider(), log=FakeNotificationLog()
    )
    handler = event_handler(bus)
    data = {"order_id": 9, "user_id": 4, "reason": "out of stock"}
    cancelled = Envelope(type="OrderCancelled", source="order", data=data)
    await handler(cancelled, None)
    await handler(cancelled, None)
    await handler(Envelope(type="InventoryUpdated", source="inventory", data=data), None)
    (mail,) = email.sent
    assert mail.subject == "Ihre Bestellung 9 wurde storniert" and "out of stock" in mail.body
