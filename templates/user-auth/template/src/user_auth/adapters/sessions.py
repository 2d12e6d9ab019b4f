"""Adapters of the session handlers: Redis one-time tokens, SMTP mail, the services'
client secrets file."""

from __future__ import annotations

import hmac
import json
from email.message import EmailMessage
from pathlib import Path

import aiosmtplib
from ecomkit.settings import SmtpSettings
from redis.asyncio import Redis

RESET_PREFIX = "reset:"


class RedisResetTokens:
    def __init__(self, redis: Redis) -> None:
        self._redis = redis

    async def put(self, token_hash: str, user_id: int, ttl_s: int) -> None:
        await self._redis.set(RESET_PREFIX + token_hash, str(user_id), ex=ttl_s)

    async def take(self, token_hash: str) -> int | None:
        """GETDEL: of two requests with the same token, one gets the user id."""
        value = await self._redis.getdel(RESET_PREFIX + token_hash)
        return int(value) if value is not None else None


class SmtpMailer:
    """One SMTP session per email: user-auth mails rarely (password resets)."""

    def __init__(self, settings: SmtpSettings) -> None:
        self._settings = settings

    async def send(self, to: str, subject: str, body: str) -> None:
        smtp = self._settings
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = smtp.mail_from, to, subject
        message.set_content(body)
        await aiosmtplib.send(
            message,
            hostname=smtp.smtp_host,
            port=smtp.smtp_port,
            username=smtp.smtp_username or None,
            password=smtp.smtp_password.get_secret_value() or None,
            start_tls=smtp.smtp_starttls,
            timeout=smtp.smtp_timeout_s,
        )


class FileServiceClients:
    """`{"notification": "<secret>", ...}` in a 0600 file `ecomctl up` writes; re-read when
    it changes (a new service gets its secret without restarting user-auth)."""

    def __init__(self, path: str) -> None:
        self._path = Path(path)
        self._stamp = 0
        self._secrets: dict[str, str] = {}

    def _current(self) -> dict[str, str]:
        stamp = self._path.stat().st_mtime_ns
        if stamp != self._stamp:
            self._secrets = {str(k): str(v) for k, v in json.loads(self._path.read_text()).items()}
            self._stamp = stamp
        return self._secrets

    def verify(self, client_id: str, secret: str) -> bool:
        expected = self._current().get(client_id)
        return expected is not None and hmac.compare_digest(expected.encode(), secret.encode())

    def known(self, client_id: str) -> bool:
        return client_id in self._current()
