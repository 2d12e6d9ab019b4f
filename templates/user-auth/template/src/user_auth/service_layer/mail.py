"""Mail that leaves in the background: an answer that takes the same time whether or not
a mail goes out tells nothing (registration, password reset), and a slow or absent mail
server never fails the request. Failures are logged."""

from __future__ import annotations

import asyncio
import logging

from user_auth.service_layer.ports import Mailer

log = logging.getLogger(__name__)

# Mails on their way; kept so the tasks are not collected mid-send (and tests can wait).
_PENDING: set[asyncio.Task[None]] = set()


def mail_later(mailer: Mailer | None, to: str, subject: str, body: str) -> None:
    if mailer is None:
        log.info("no mail server configured (ECOM_SMTP_HOST): not sending %r", subject)
        return
    task = asyncio.get_running_loop().create_task(_send(mailer, to, subject, body))
    _PENDING.add(task)
    task.add_done_callback(_PENDING.discard)


async def _send(mailer: Mailer, to: str, subject: str, body: str) -> None:
    try:
        await mailer.send(to, subject, body)
    except Exception as exc:  # a mail that fails must not fail anything else
        log.warning("mail %r not sent: %s", subject, exc)


async def mail_sent() -> None:
    """Waits for the mails on their way (tests, and a graceful stop)."""
    while _PENDING:
        await asyncio.gather(*list(_PENDING), return_exceptions=True)
