"""Email over SMTP (aiosmtplib) and SMS through Twilio or a local sink in Mongo."""

from __future__ import annotations

from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any

import aiosmtplib
from pymongo.errors import DuplicateKeyError

from notification.domain.errors import DeliveryFailed
from notification.service_layer.ports import Email


class SmtpEmailSender:
    """One SMTP session per email: simple, and nothing stale survives a server restart."""

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
    ) -> None:
        self.host, self.port, self.sender = host, port, sender
        self.username, self.password = username, password
        self.starttls, self.timeout_s = starttls, timeout_s

    async def send(self, email: Email) -> str:
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = email.to
        message["Subject"] = email.subject
        message["Date"] = formatdate(localtime=False)
        message["Message-ID"] = email.message_id
        message.set_content(email.body)
        try:
            await aiosmtplib.send(
                message,
                hostname=self.host,
                port=self.port,
                username=self.username or None,
                password=self.password or None,
                start_tls=self.starttls,
                timeout=self.timeout_s,
            )
        except (TimeoutError, aiosmtplib.SMTPException, OSError) as error:
            raise DeliveryFailed(f"smtp {self.host}:{self.port}: {error}") from error
        return email.message_id


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
