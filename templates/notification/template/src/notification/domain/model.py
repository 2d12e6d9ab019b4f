"""A notification: one message on one channel, for one event (or one API request)."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime


class Channel(enum.StrEnum):
    EMAIL = "EMAIL"
    SMS = "SMS"


class Status(enum.StrEnum):
    SENDING = "SENDING"  # claimed; the provider may or may not have it (see handlers)
    SENT = "SENT"
    FAILED = "FAILED"  # the last attempt failed; the consumer retries it
    SKIPPED = "SKIPPED"  # nothing to send: preferences off, no phone, unknown user


@dataclass(frozen=True)
class Contact:
    """What user-auth tells us about a user."""

    user_id: int
    email: str | None
    phone: str | None
    language: str = "en"
    first_name: str | None = None
    username: str | None = None
    email_enabled: bool = True
    sms_enabled: bool = False

    def wants(self, channel: Channel) -> bool:
        if channel is Channel.EMAIL:
            return self.email_enabled and bool(self.email)
        return self.sms_enabled and bool(self.phone)


@dataclass
class Notification:
    """A row of `notification_logs`; `key` (event id + channel) is its unique id."""

    key: str
    channel: Channel
    recipient: str | None
    user_id: int | None
    event_id: str | None
    event_type: str
    status: Status
    subject: str | None = None
    body: str = ""
    language: str | None = None
    provider_ref: str | None = None
    error: str | None = None
    attempts: int = 0
    created_at: datetime | None = None
    updated_at: datetime | None = None
    details: dict[str, str] = field(default_factory=dict)


def notification_key(event_id: str, channel: Channel) -> str:
    return f"{event_id}:{channel.value}"
