"""Notifying about events on fakes: language, preferences, once per event, failures."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest
from ecomkit.contracts import OrderPaid

from notification.domain import commands
from notification.domain.commands import UserEvent
from notification.domain.errors import DeliveryFailed, UpstreamUnavailable
from notification.domain.model import Contact, Status
from notification.settings import Settings
from tests.fakes import World
from tests.samples import samples

pytestmark = pytest.mark.anyio

ADA = Contact(1, "ada@example.com", "+4915100000", "de", "Ada", "ada", True, True)
BOB = Contact(2, "bob@example.com", None, "en", None, "bob", True, False)
QUIET = Contact(3, "q@example.com", "+100000", "en", None, "q", False, False)


@pytest.fixture
def world() -> World:
    return World.of(Settings(), ADA, BOB, QUIET)


def paid(user_id: int, event_id: str = "e1") -> commands.NotifyAboutEvent:
    event = OrderPaid(order_id=42, user_id=user_id, total_amount=Decimal("19.9"), currency="EUR")
    return commands.NotifyAboutEvent(event_id, event)


async def test_order_paid_mails_in_the_users_language_and_texts(world: World) -> None:
    await world.bus.handle(paid(1))
    (mail,) = world.email.sent
    assert mail.to == "ada@example.com" and mail.subject == "Ihre Bestellung 42 ist bestätigt"
    assert "Hallo Ada" in mail.body and "19.90 EUR" in mail.body
    assert mail.message_id == "<e1.EMAIL@notification.ecomctl.local>"
    assert world.sms.sent == [("+4915100000", "Bestellung 42 ist bezahlt und bestätigt. Danke!")]
    statuses = {n.channel.value: n.status for n in world.log.entries.values()}
    assert statuses == {"EMAIL": Status.SENT, "SMS": Status.SENT}


async def test_english_user_without_phone_gets_email_only(world: World) -> None:
    await world.bus.handle(paid(2))
    (mail,) = world.email.sent
    assert mail.subject == "Your order 42 is confirmed" and "Hello bob" in mail.body
    assert world.sms.sent == []
    assert set(world.log.entries) == {"e1:EMAIL"}  # no phone: no SMS notification at all


async def test_preferences_off_sends_nothing(world: World) -> None:
    await world.bus.handle(paid(3))
    assert world.email.sent == [] and world.sms.sent == []
    assert world.log.entries == {}


async def test_a_redelivery_after_the_user_added_a_phone_texts(world: World) -> None:
    """An opted-out channel leaves nothing behind, so a redelivery looks again."""
    await world.bus.handle(paid(2))
    world.users.contacts[2] = replace(BOB, phone="+4915100002", sms_enabled=True)
    await world.bus.handle(paid(2))
    assert len(world.email.sent) == 1 and len(world.sms.sent) == 1


async def test_redelivery_sends_nothing_twice(world: World) -> None:
    await world.bus.handle(paid(1))
    await world.bus.handle(paid(1))
    assert len(world.email.sent) == 1 and len(world.sms.sent) == 1


async def test_smtp_down_fails_loudly_then_a_retry_sends_once(world: World) -> None:
    world.email.down = True
    with pytest.raises(DeliveryFailed):
        await world.bus.handle(paid(1))
    assert world.log.entries["e1:EMAIL"].status is Status.FAILED
    assert len(world.sms.sent) == 1  # the other channel went out
    world.email.down = False
    await world.bus.handle(paid(1))
    assert len(world.email.sent) == 1 and len(world.sms.sent) == 1
    assert world.log.entries["e1:EMAIL"].attempts == 2


async def test_user_auth_down_is_transient(world: World) -> None:
    world.users.down = True
    with pytest.raises(UpstreamUnavailable):
        await world.bus.handle(paid(1))
    assert world.log.entries == {}


async def test_unknown_user_is_logged_as_skipped(world: World) -> None:
    await world.bus.handle(paid(99))
    assert world.email.sent == [] and world.log.entries["e1:EMAIL"].error == "unknown user"


SUBJECTS = {
    "OrderCreated": "We received your order ORD-5",
    "OrderPaid": "Your order 5 is confirmed",
    "OrderShipped": "Your order 5 is on its way",
    "OrderCancelled": "Your order 5 was cancelled",
    "PaymentCompleted": "Payment received for order 5",
    "PaymentFailed": "Payment failed for order 5",
    "ReviewAdded": "Thank you for your review",
}


@pytest.mark.parametrize("event", samples(user_id=2), ids=lambda event: event.event_type)
async def test_every_event_has_an_email(world: World, event: UserEvent) -> None:
    (note, *_) = await world.bus.handle(commands.NotifyAboutEvent("x", event))
    (mail,) = world.email.sent
    assert mail.subject == SUBJECTS[event.event_type]
    assert note.event_type == event.event_type and note.user_id == 2


async def test_direct_email_and_sms_with_a_request_id_go_out_once(world: World) -> None:
    command = commands.SendEmail(to="z@example.com", subject="Hi", body="Body", request_id="r-1")
    first = await world.bus.handle(command)
    await world.bus.handle(command)
    assert first.status is Status.SENT and len(world.email.sent) == 1
    await world.bus.handle(commands.SendSms(to="+100200300", body="hi"))
    await world.bus.handle(commands.SendSms(to="+100200300", body="hi"))
    assert len(world.sms.sent) == 2  # no request id: two requests, two messages
