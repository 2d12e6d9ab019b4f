"""The fakes honour the same contracts as the SMTP sender and the Mongo log."""

from __future__ import annotations

import pytest

from notification.service_layer.ports import EmailSender, NotificationLog
from tests.contracts import EmailSenderContract, NotificationLogContract
from tests.fakes import FakeEmailSender, FakeNotificationLog

pytestmark = pytest.mark.anyio


class TestFakeEmailSender(EmailSenderContract):
    @pytest.fixture
    def sender(self) -> EmailSender:
        return FakeEmailSender()

    @pytest.fixture
    def broken_sender(self) -> EmailSender:
        return FakeEmailSender(down=True)

    async def received(self, sender: EmailSender, to: str) -> list[tuple[str, str]]:
        assert isinstance(sender, FakeEmailSender)
        return [(e.subject, e.body) for e in sender.to(to)]


class TestFakeNotificationLog(NotificationLogContract):
    @pytest.fixture
    def log(self) -> NotificationLog:
        return FakeNotificationLog()
