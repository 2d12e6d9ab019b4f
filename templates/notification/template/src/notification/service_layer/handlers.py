"""Use cases: notify a user about an event, send an email or an SMS on request.

Exactly-once is not possible across an SMTP server, so each delivery is at-least-once with
a narrow window, made deliberate by the log in `notification_logs` (unique key = event id
+ channel):

1. claim: insert the log entry as SENDING (the unique key makes a second claim fail);
   an entry that is SENT or SKIPPED means "done" and nothing is sent again;
   a channel the user has not opted into (preference off, no address for it) is not a
   notification: nothing is claimed or logged, and a redelivery looks again;
2. send;
3. record SENT (or FAILED with the error, and raise so the consumer retries).

A crash between 2 and 3 leaves SENDING behind. While its lease runs, a redelivery waits
(`DeliveryInProgress`, retried); after it, the redelivery sends again: a possible
duplicate rather than a possible loss. Emails carry a Message-ID derived from the key, so
a mail store can fold such a duplicate.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ecomkit.declarations import Command, Request

from notification.domain import commands
from notification.domain.errors import DeliveryFailed, TransientError
from notification.domain.model import Channel, Contact, Notification, Status, notification_key
from notification.service_layer.ports import (
    Email,
    EmailSender,
    NotificationLog,
    Outcome,
    Renderer,
    SmsProvider,
    UserDirectory,
)

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Dependencies:
    users: UserDirectory
    renderer: Renderer
    email: EmailSender
    sms: SmsProvider
    log: NotificationLog
    clock: Clock = utc_now
    default_language: str = "en"
    lease_s: float = 60.0
    mail_domain: str = "notification.ecomctl.local"


async def notify_about_event(
    cmd: commands.NotifyAboutEvent, deps: Dependencies
) -> list[Notification]:
    user_id = cmd.event.user_id
    contact = await deps.users.contact(user_id)
    done: list[Notification] = []
    failures: list[TransientError] = []
    for channel in Channel:
        try:
            found = await _notify(cmd, channel, user_id, contact, deps)
        except TransientError as error:
            failures.append(error)
            continue
        if found is not None:
            done.append(found)
    if failures:
        raise failures[0]  # the consumer retries; channels already SENT are not resent
    return done


async def _notify(
    cmd: commands.NotifyAboutEvent,
    channel: Channel,
    user_id: int,
    contact: Contact | None,
    deps: Dependencies,
) -> Notification | None:
    event_type = cmd.event.event_type
    key = notification_key(cmd.event_id, channel)
    note = Notification(
        key=key,
        channel=channel,
        recipient=None,
        user_id=user_id,
        event_id=cmd.event_id,
        event_type=event_type,
        status=Status.SKIPPED,
        created_at=deps.clock(),
    )
    if contact is None:
        note.error = "unknown user"
        await deps.log.skip(note)
        return note
    if not contact.wants(channel):
        # Two FerretDB inserts per event for every user without a phone, that nothing read
        # (saga.md, Design minimum): the history shows what was sent or attempted.
        log.debug("user %s has %s off or no address for it", user_id, channel.value)
        return None
    language = contact.language or deps.default_language
    # The templates read the typed event (`event.order_id`), not the wire's dict.
    context = {"event": cmd.event, "user": contact, "event_type": event_type}
    rendered = deps.renderer.render(event_type, language, channel, context)
    if rendered is None:
        return None
    note.recipient = contact.email if channel is Channel.EMAIL else contact.phone
    note.subject, note.body, note.language = rendered.subject, rendered.body, rendered.language
    return await deliver(note, deps)


async def deliver(note: Notification, deps: Dependencies) -> Notification:
    """Claim, send, record (the protocol in the module docstring)."""
    note.status = Status.SENDING
    if not await deps.log.claim(note, now=deps.clock(), lease_s=deps.lease_s):
        log.info("notification %s was sent already; not sending again", note.key)
        note.status = Status.SENT
        return note
    try:
        ref = await _send(note, deps)
    except DeliveryFailed as error:
        await deps.log.finish(note.key, Outcome(Status.FAILED, deps.clock(), error=str(error)))
        raise
    await deps.log.finish(note.key, Outcome(Status.SENT, deps.clock(), provider_ref=ref))
    note.status, note.provider_ref = Status.SENT, ref
    return note


async def _send(note: Notification, deps: Dependencies) -> str:
    assert note.recipient is not None
    if note.channel is Channel.EMAIL:
        message_id = f"<{note.key.replace(':', '.')}@{deps.mail_domain}>"
        email = Email(note.recipient, note.subject or "", note.body, message_id)
        return await deps.email.send(email)
    return await deps.sms.send(note.recipient, note.body, key=note.key)


async def send_email(cmd: commands.SendEmail, deps: Dependencies) -> Notification:
    note = _requested(Channel.EMAIL, cmd.to, cmd.body, cmd.user_id, cmd.request_id, deps)
    note.subject = cmd.subject
    return await deliver(note, deps)


async def send_sms(cmd: commands.SendSms, deps: Dependencies) -> Notification:
    note = _requested(Channel.SMS, cmd.to, cmd.body, cmd.user_id, cmd.request_id, deps)
    return await deliver(note, deps)


def _requested(
    channel: Channel,
    to: str,
    body: str,
    user_id: int | None,
    request_id: str | None,
    deps: Dependencies,
) -> Notification:
    """A notification asked for over HTTP; a repeated request id sends nothing twice."""
    event_id = f"request-{request_id}" if request_id else f"request-{uuid.uuid4()}"
    return Notification(
        key=notification_key(event_id, channel),
        channel=channel,
        recipient=to,
        user_id=user_id,
        event_id=event_id,
        event_type="Direct",
        status=Status.SENDING,
        body=body,
        created_at=deps.clock(),
    )


Handler = Callable[[Any, Dependencies], Awaitable[Any]]

HANDLERS: dict[type[Command | Request], Handler] = {
    commands.NotifyAboutEvent: notify_about_event,
    commands.SendEmail: send_email,
    commands.SendSms: send_sms,
}
