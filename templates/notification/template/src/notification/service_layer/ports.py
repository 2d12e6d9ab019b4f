"""What the handlers need: the user's contact, a renderer, senders and the log."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from notification.domain.model import Channel, Contact, Notification, Status


@dataclass(frozen=True)
class Email:
    to: str
    subject: str
    body: str
    message_id: str  # derived from the notification key: a resend keeps the same id


@dataclass(frozen=True)
class Rendered:
    subject: str | None
    body: str
    language: str


@dataclass(frozen=True)
class Outcome:
    """How a claimed attempt ended: SENT with the provider's reference, or FAILED with the
    error (a later attempt may take the notification over)."""

    status: Status
    at: datetime
    provider_ref: str | None = None
    error: str | None = None


class EmailSender(Protocol):
    async def send(self, email: Email) -> str:
        """Hand the email to the mail server; its reference, or `DeliveryFailed`."""
        ...


class SmsProvider(Protocol):
    name: str

    async def send(self, to: str, body: str, *, key: str) -> str:
        """Send one SMS; the provider's reference, or `DeliveryFailed`."""
        ...


class UserDirectory(Protocol):
    async def contact(self, user_id: int) -> Contact | None:
        """The user's contact and preferences; None if unknown; `UpstreamUnavailable`."""
        ...


class Renderer(Protocol):
    def render(
        self, event_type: str, language: str, channel: Channel, context: Mapping[str, object]
    ) -> Rendered | None:
        """The message for the event in the language (or the default one); None when the
        event has no message on this channel."""
        ...


class NotificationLog(Protocol):
    async def claim(self, notification: Notification, *, now: datetime, lease_s: float) -> bool:
        """Record `notification` as SENDING before it is sent. False when it was sent (or
        skipped) already; `DeliveryInProgress` while another attempt's lease runs."""
        ...

    async def finish(self, key: str, outcome: Outcome) -> None:
        """Record how the attempt that claimed `key` ended."""
        ...

    async def skip(self, notification: Notification) -> None:
        """Record a SKIPPED notification, unless the key is known already."""
        ...

    async def for_user(self, user_id: int, *, offset: int, limit: int) -> list[Notification]:
        """Newest first."""
        ...
