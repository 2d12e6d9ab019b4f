"""Contract tests of the email sender and the notification log, run against the fakes
(here) and against real SMTP (Mailpit) and Mongo in the repository's integration suite
(tests/integration/test_notification_adapters.py)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from notification.domain.errors import DeliveryFailed, DeliveryInProgress
from notification.domain.model import Channel, Notification, Status
from notification.service_layer.ports import Email, EmailSender, NotificationLog, Outcome

NOW = datetime(2025, 1, 1, 12, 0, 0, tzinfo=UTC)


class EmailSenderContract:
    """Subclasses provide the fixtures `sender` and `broken_sender` (an EmailSender whose
    server is unreachable), and `received(to)`."""

    async def received(self, sender: EmailSender, to: str) -> list[tuple[str, str]]:
        """(subject, body) of every email the server accepted for `to`."""
        raise NotImplementedError

    async def test_an_email_arrives_with_subject_and_body(self, sender: EmailSender) -> None:
        to = f"u{uuid.uuid4().hex[:12]}@example.com"
        email = Email(to, "Grüße aus dem Shop", "Hallo,\nIhre Bestellung 7 ist bezahlt.", "<x@y>")
        await sender.send(email)
        (got,) = await self.received(sender, to)
        assert got[0] == "Grüße aus dem Shop"
        assert "Ihre Bestellung 7 ist bezahlt." in got[1]

    async def test_emails_sent_one_after_another_and_at_once_all_arrive(
        self, sender: EmailSender
    ) -> None:
        to = f"u{uuid.uuid4().hex[:12]}@example.com"
        for i in range(3):
            await sender.send(Email(to, f"in a row {i}", "b", f"<row-{i}-{to}>"))
        await asyncio.gather(
            *(sender.send(Email(to, f"at once {i}", "b", f"<once-{i}-{to}>")) for i in range(6))
        )
        subjects = sorted(subject for subject, _ in await self.received(sender, to))
        assert subjects == sorted(
            [f"in a row {i}" for i in range(3)] + [f"at once {i}" for i in range(6)]
        )

    async def test_an_unreachable_server_fails_the_delivery(
        self, broken_sender: EmailSender
    ) -> None:
        with pytest.raises(DeliveryFailed):
            await broken_sender.send(Email("a@example.com", "s", "b", "<m@id>"))


def a_notification(user_id: int = 1, created_at: datetime = NOW) -> Notification:
    return Notification(
        key=f"{uuid.uuid4()}:EMAIL",
        channel=Channel.EMAIL,
        recipient="a@example.com",
        user_id=user_id,
        event_id=str(uuid.uuid4()),
        event_type="OrderPaid",
        status=Status.SENDING,
        subject="s",
        body="b",
        created_at=created_at,
    )


class NotificationLogContract:
    """Subclasses provide the fixture `log`: a NotificationLog on an empty store (or one no
    other test's keys reach)."""

    async def test_a_key_is_claimed_once_until_it_fails(self, log: NotificationLog) -> None:
        note = a_notification()
        assert await log.claim(note, now=NOW, lease_s=60)
        with pytest.raises(DeliveryInProgress):
            await log.claim(note, now=NOW + timedelta(seconds=1), lease_s=60)
        await log.finish(note.key, Outcome(Status.FAILED, NOW, error="smtp down"))
        assert await log.claim(note, now=NOW + timedelta(seconds=2), lease_s=60)
        await log.finish(note.key, Outcome(Status.SENT, NOW, provider_ref="<id>"))
        assert not await log.claim(note, now=NOW + timedelta(hours=1), lease_s=60)

    async def test_a_stale_claim_is_taken_over(self, log: NotificationLog) -> None:
        note = a_notification()
        assert await log.claim(note, now=NOW, lease_s=60)
        assert await log.claim(note, now=NOW + timedelta(seconds=61), lease_s=60)

    async def test_skipped_is_final_and_does_not_override(self, log: NotificationLog) -> None:
        skipped = a_notification()
        await log.skip(skipped)
        assert not await log.claim(skipped, now=NOW, lease_s=60)
        sent = a_notification()
        assert await log.claim(sent, now=NOW, lease_s=60)
        await log.finish(sent.key, Outcome(Status.SENT, NOW))
        await log.skip(sent)
        (entry,) = [n for n in await log.for_user(1, offset=0, limit=1000) if n.key == sent.key]
        assert entry.status is Status.SENT

    async def test_for_user_lists_newest_first(self, log: NotificationLog) -> None:
        user = int(uuid.uuid4().int % 10**9) + 10
        first = a_notification(user, NOW)
        second = a_notification(user, NOW + timedelta(minutes=1))
        for note in (first, second):
            assert await log.claim(note, now=NOW, lease_s=60)
            await log.finish(note.key, Outcome(Status.SENT, NOW, provider_ref="ref"))
        found = await log.for_user(user, offset=0, limit=10)
        assert [n.key for n in found] == [second.key, first.key]
        assert found[0].status is Status.SENT and found[0].provider_ref == "ref"
        assert found[0].channel is Channel.EMAIL and found[0].subject == "s"
        assert await log.for_user(user, offset=1, limit=10) == found[1:]
