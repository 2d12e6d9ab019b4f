"""What callers ask the notification service to do (imperative)."""

from __future__ import annotations

from ecomkit.contracts import (
    OrderCancelled,
    OrderCreated,
    OrderPaid,
    OrderShipped,
    PaymentCompleted,
    PaymentFailed,
    ReviewAdded,
)
from ecomkit.declarations import Command

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


class SendEmail(Command):
    to: str
    subject: str
    body: str
    user_id: int | None = None
    request_id: str | None = None  # an idempotency key from the caller


class SendSms(Command):
    to: str
    body: str
    user_id: int | None = None
    request_id: str | None = None
