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
