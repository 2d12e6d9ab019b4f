"""What callers ask the notification service to do (imperative)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


class Command:
    pass


@dataclass(frozen=True)
class NotifyAboutEvent(Command):
    """Tell the event's user about it, on every channel their preferences allow."""

    event_id: str
    event_type: str
    data: dict[str, Any]


@dataclass(frozen=True)
class SendEmail(Command):
    to: str
    subject: str
    body: str
    user_id: int | None = None
    request_id: str | None = None  # an idempotency key from the caller


@dataclass(frozen=True)
class SendSms(Command):
    to: str
    body: str
    user_id: int | None = None
    request_id: str | None = None
