"""What callers ask the notification service to do (imperative).

A direct message is the HTTP body itself (the kit's `Request`: pydantic checks it as it arrives,
camelCase on the wire), so its fields and what a valid value is are declared once, here.
"""

from __future__ import annotations

from typing import Annotated

from ecomkit.contracts import (
    OrderCancelled,
    OrderCreated,
    OrderPaid,
    OrderShipped,
    PaymentCompleted,
    PaymentFailed,
    ReviewAdded,
)
from ecomkit.declarations import Command, Request
from pydantic import AfterValidator, EmailStr, Field

RequestId = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._:-]+$")]
UserId = Annotated[int, Field(ge=0, le=2**63 - 1)]  # what MongoDB can store as an integer


def _encodable(value: str) -> str:
    """JSON can carry lone surrogates, which no mail or SMS can: refuse them with a 422."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode text") from None
    return value


# Every character str.splitlines() breaks on, as the email library does for headers.
_LINE_BREAKS = frozenset("\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")


def _one_line(value: str) -> str:
    """A subject is a mail header: a line break in it would inject headers."""
    if any(char in _LINE_BREAKS for char in value):
        raise ValueError("must be a single line")
    return value


Text = Annotated[str, AfterValidator(_encodable)]
Subject = Annotated[Text, AfterValidator(_one_line), Field(min_length=1, max_length=255)]


UserEvent = (
    ReviewAdded
    | OrderCreated
    | OrderPaid
    | OrderShipped
    | OrderCancelled
    | PaymentCompleted
    | PaymentFailed
)
"""An event its user hears about (each names its `user_id`), typed by its contract."""


class NotifyAboutEvent(Command):
    """Tell the event's user about it, on every channel their preferences allow.

    `event_id` (the envelope's id) keys every notification of the event, so a redelivered
    event sends nothing twice.
    """

    event_id: str
    event: UserEvent


class DirectMessage(Request):
    """What every message sent on request names besides its text and recipient."""

    user_id: UserId | None = None
    """Whom it concerns: the notification log lists it under that user."""
    request_id: RequestId | None = None
    """The caller's idempotency key: a repeated request sends nothing twice."""


class SendEmail(DirectMessage):
    to: EmailStr
    subject: Subject
    body: Annotated[Text, Field(min_length=1, max_length=100_000)]


class SendSms(DirectMessage):
    to: Annotated[str, Field(pattern=r"^\+?[0-9 ()-]{5,20}$")]
    body: Annotated[Text, Field(min_length=1, max_length=1600)]
