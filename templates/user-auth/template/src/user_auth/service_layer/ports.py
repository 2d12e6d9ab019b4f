"""What the handlers need from the outside besides storage (the kit provides them)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol


class PasswordHasher(Protocol):
    def hash(self, password: str) -> str: ...

    def verify(self, password_hash: str, password: str) -> bool: ...

    def needs_rehash(self, password_hash: str) -> bool: ...


class AccessTokenIssuer(Protocol):
    def issue_access(self, user_id: int, username: str, roles: list[str]) -> str: ...


class Clock(Protocol):
    def __call__(self) -> datetime: ...


def utc_now() -> datetime:
    """Naive UTC, the way MySQL TIMESTAMP columns come back on a UTC session."""
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


class ServiceTokenIssuer(Protocol):
    def issue_service(self, client_id: str, audience: str) -> str: ...


class ResetTokens(Protocol):
    """One-time password-reset tokens (by hash), each usable once before it expires."""

    async def put(self, token_hash: str, user_id: int, ttl_s: int) -> None: ...

    async def take(self, token_hash: str) -> int | None: ...


class Mailer(Protocol):
    async def send(self, to: str, subject: str, body: str) -> None: ...


class ServiceClients(Protocol):
    """The services' own credentials (client id -> secret), written by `ecomctl up`."""

    def verify(self, client_id: str, secret: str) -> bool: ...

    def known(self, client_id: str) -> bool: ...
