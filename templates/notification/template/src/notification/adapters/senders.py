"""Email over SMTP (aiosmtplib) and SMS through Twilio or a local sink in Mongo."""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime
from email.header import Header
from email.mime.text import MIMEText
from email.utils import formatdate
from typing import Any

import aiosmtplib
from ecomkit.tracing import client_span
from pymongo.errors import DuplicateKeyError

from notification.domain.errors import DeliveryFailed
from notification.service_layer.ports import Email

log = logging.getLogger(__name__)

_SMTP_ERRORS = (TimeoutError, aiosmtplib.SMTPException, OSError)


def mime_message(email: Email, sender: str) -> MIMEText:
    """The message in the email package's compat32 form: a fifth of the CPU of building an
    `EmailMessage` (whose header registry parses every header it is given)."""
    message = MIMEText(email.body, "plain", "utf-8")
    message["From"] = sender
    message["To"] = email.to
    # RFC 2047 encoded only when it has to be: plain ASCII stays readable in any mail store.
    subject = email.subject
    message["Subject"] = subject if subject.isascii() else Header(subject, "utf-8").encode()
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = email.message_id
    return message


class SmtpEmailSender:
    """Sends over up to `max_sessions` SMTP sessions kept open between emails.

    One session carries many mail transactions (RFC 5321), so an email costs one
    MAIL/RCPT/DATA exchange instead of a connect, EHLO (and login) and QUIT as well. A
    session idle for `idle_s` is closed rather than reused (servers drop idle clients);
    one the server closed anyway fails its next send, which is then retried once on a new
    session: a message the server never took is not lost, and one it took just before
    closing may arrive twice (its Message-ID tells a mail store it is the same email).
    """

    def __init__(
        self,
        host: str,
        port: int,
        *,
        sender: str,
        username: str = "",
        password: str = "",
        starttls: bool = False,
        timeout_s: float = 10.0,
        max_sessions: int = 4,
        idle_s: float = 30.0,
        local_hostname: str = "localhost",
    ) -> None:
        self.host, self.port, self.sender = host, port, sender
        self.username, self.password = username, password
        self.starttls, self.timeout_s = starttls, timeout_s
        self.idle_s, self.local_hostname = idle_s, local_hostname
        self.sessions_opened = 0
        self._idle: list[tuple[aiosmtplib.SMTP, float]] = []  # most recently used last
        self._slots = asyncio.Semaphore(max_sessions)

    async def send(self, email: Email) -> str:
        with client_span(
            "smtp send", **{"peer.service": "smtp", "server.address": f"{self.host}:{self.port}"}
        ):
            return await self._send(email)

    async def _send(self, email: Email) -> str:
        message = mime_message(email, self.sender)
        async with self._slots:
            session, reused = await self._checkout()
            try:
                await session.send_message(message)
            except _SMTP_ERRORS as error:
                self._discard(session)
                if not (reused and _dropped(error)):
                    raise DeliveryFailed(f"smtp {self.host}:{self.port}: {error}") from error
                log.info("SMTP session was closed by the server; sending on a new one")
                session = await self._open()
                try:
                    await session.send_message(message)
                except _SMTP_ERRORS as retry_error:
                    self._discard(session)
                    raise DeliveryFailed(
                        f"smtp {self.host}:{self.port}: {retry_error}"
                    ) from retry_error
            self._idle.append((session, time.monotonic()))
        return email.message_id

    async def aclose(self) -> None:
        """QUIT every open session (at shutdown)."""
        idle, self._idle = self._idle, []
        for session, _ in idle:
            try:
                await session.quit()
            except _SMTP_ERRORS:
                session.close()

    async def _checkout(self) -> tuple[aiosmtplib.SMTP, bool]:
        now = time.monotonic()
        while self._idle:
            session, since = self._idle.pop()
            if session.is_connected and now - since < self.idle_s:
                return session, True
            self._discard(session)
        return await self._open(), False

    async def _open(self) -> aiosmtplib.SMTP:
        session = aiosmtplib.SMTP(
            hostname=self.host,
            port=self.port,
            timeout=self.timeout_s,
            start_tls=self.starttls,
            local_hostname=self.local_hostname,  # else a reverse DNS look-up per session
        )
        try:
            await session.connect()
            if self.username:
                await session.login(self.username, self.password)
        except _SMTP_ERRORS as error:
            self._discard(session)
            raise DeliveryFailed(f"smtp {self.host}:{self.port}: {error}") from error
        self.sessions_opened += 1
        return session

    @staticmethod
    def _discard(session: aiosmtplib.SMTP) -> None:
        session.close()


def _dropped(error: BaseException) -> bool:
    """Whether the failure is the connection's, not the message's (then a retry may work)."""
    return isinstance(error, aiosmtplib.SMTPServerDisconnected | ConnectionError)


class LocalSmsSink:
    """Stores SMS in Mongo (`sms_messages`) instead of sending them: the local default."""

    name = "local"

    def __init__(self, database: Any, *, collection: str = "sms_messages") -> None:
        self.collection = database[collection]

    async def send(self, to: str, body: str, *, key: str) -> str:
        document = {"_id": key, "to": to, "body": body, "createdAt": datetime.now(UTC)}
        try:
            await self.collection.insert_one(document)
        except DuplicateKeyError:
            pass  # this very SMS was stored by an attempt that crashed before recording it
        except Exception as error:
            raise DeliveryFailed(f"sms sink: {error}") from error
        return key

    async def messages_to(self, to: str) -> list[dict[str, Any]]:
        return [d async for d in self.collection.find({"to": to}).sort("createdAt", 1)]


class TwilioSmsProvider:
    """Twilio's Messages API through the official SDK (async HTTP client)."""

    name = "twilio"

    def __init__(self, account_sid: str, auth_token: str, from_number: str) -> None:
        # Imported here: the SDK is only needed where Twilio is configured.
        from twilio.http.async_http_client import AsyncTwilioHttpClient
        from twilio.rest import Client

        self._client = Client(account_sid, auth_token, http_client=AsyncTwilioHttpClient())
        self.from_number = from_number

    async def send(self, to: str, body: str, *, key: str) -> str:
        from twilio.base.exceptions import TwilioException

        try:
            message = await self._client.messages.create_async(
                to=to, from_=self.from_number, body=body
            )
        except (TimeoutError, TwilioException, OSError) as error:
            raise DeliveryFailed(f"twilio: {error}") from error
        return str(message.sid)
