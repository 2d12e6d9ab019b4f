"""In-memory stand-ins for user-auth, SMTP, the SMS provider and the Mongo log;
contracts.py keeps them honest."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from notification.bootstrap import bootstrap
from notification.domain.errors import DeliveryFailed, DeliveryInProgress, UpstreamUnavailable
from notification.domain.model import Contact, Notification, Status
from notification.service_layer.messagebus import MessageBus
from notification.service_layer.ports import Email, Outcome
from notification.settings import Settings


@dataclass
class FakeUserDirectory:
    contacts: dict[int, Contact] = field(default_factory=dict)
    down: bool = False

    async def contact(self, user_id: int) -> Contact | None:
        if self.down:
            raise UpstreamUnavailable("user-auth: fake is down")
        return self.contacts.get(user_id)


@dataclass
class FakeEmailSender:
    sent: list[Email] = field(default_factory=list)
    down: bool = False

    async def send(self, email: Email) -> str:
        if self.down:
            raise DeliveryFailed("smtp: connection refused (fake)")
        self.sent.append(email)
        return email.message_id

    def to(self, address: str) -> list[Email]:
        return [e for e in self.sent if e.to == address]


@dataclass
class FakeSmsProvider:
    name: str = "fake"
    sent: list[tuple[str, str]] = field(default_factory=list)
    down: bool = False

    async def send(self, to: str, body: str, *, key: str) -> str:
        if self.down:
            raise DeliveryFailed("sms: provider unreachable (fake)")
        self.sent.append((to, body))
        return f"sms-{len(self.sent)}"


DONE = (Status.SENT, Status.SKIPPED)


@dataclass
class FakeNotificationLog:
    entries: dict[str, Notification] = field(default_factory=dict)
    claimed_at: dict[str, datetime] = field(default_factory=dict)

    async def claim(self, notification: Notification, *, now: datetime, lease_s: float) -> bool:
        existing = self.entries.get(notification.key)
        if existing is None:
            entry = copy.deepcopy(notification)
            entry.status, entry.attempts, entry.updated_at = Status.SENDING, 1, now
            self.entries[entry.key], self.claimed_at[entry.key] = entry, now
            return True
        if existing.status in DONE:
            return False
        fresh = self.claimed_at[existing.key] > now - timedelta(seconds=lease_s)
        if existing.status is Status.SENDING and fresh:
            raise DeliveryInProgress(f"notification {existing.key} is being sent")
        existing.status, existing.updated_at = Status.SENDING, now
        existing.attempts += 1
        self.claimed_at[existing.key] = now
        return True

    async def finish(self, key: str, outcome: Outcome) -> None:
        entry = self.entries[key]
        entry.status, entry.error, entry.updated_at = outcome.status, outcome.error, outcome.at
        if outcome.provider_ref is not None:
            entry.provider_ref = outcome.provider_ref

    async def skip(self, notification: Notification) -> None:
        if notification.key not in self.entries:
            entry = copy.deepcopy(notification)
            entry.status = Status.SKIPPED
            self.entries[entry.key] = entry

    async def for_user(self, user_id: int, *, offset: int, limit: int) -> list[Notification]:
        mine = [n for n in self.entries.values() if n.user_id == user_id]
        mine.sort(key=lambda n: (-(n.created_at or datetime.min).timestamp(), n.key))
        return copy.deepcopy(mine[offset : offset + limit])


@dataclass
class World:
    """The service on fakes: its bus and the fakes it drives, to look into after a call."""

    users: FakeUserDirectory
    email: FakeEmailSender
    sms: FakeSmsProvider
    log: FakeNotificationLog
    bus: MessageBus

    @classmethod
    def of(
        cls, settings: Settings, *contacts: Contact, email: FakeEmailSender | None = None
    ) -> World:
        """A bus on fresh fakes whose user directory knows `contacts`."""
        users = FakeUserDirectory({c.user_id: c for c in contacts})
        email, sms, log = email or FakeEmailSender(), FakeSmsProvider(), FakeNotificationLog()
        bus = bootstrap(settings, users=users, email=email, sms=sms, log=log)
        return cls(users, email, sms, log, bus)
