"""The user aggregate and its refresh tokens; plain Python, no framework imports."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from user_auth.domain.errors import UnknownRole

USERNAME_PATTERN = r"^[A-Za-z0-9_.-]{3,50}$"
MIN_PASSWORD_LENGTH = 8
# argon2 hashes whatever it is given; a cap keeps one request from costing seconds.
MAX_PASSWORD_LENGTH = 128
SUPPORTED_LANGUAGES = ("en", "de", "fr", "es", "it", "nl", "pt", "pl")


class Role(StrEnum):
    USER = "USER"
    ADMIN = "ADMIN"

    @classmethod
    def parse(cls, value: str) -> Role:
        try:
            return cls(value.upper())
        except ValueError:
            raise UnknownRole(value) from None


def password_problems(password: str) -> list[str]:
    """Why a password is too weak (empty when it is acceptable)."""
    problems = []
    if len(password) < MIN_PASSWORD_LENGTH:
        problems.append(f"must be at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        problems.append(f"must be at most {MAX_PASSWORD_LENGTH} characters")
    if not re.search(r"[A-Za-z]", password) or not re.search(r"\d", password):
        problems.append("must contain letters and digits")
    if password.lower() in {"password1", "passw0rd", "12345678a", "qwerty123"}:
        problems.append("is too common")
    return problems


@dataclass
class NotificationPreferences:
    email_enabled: bool = True
    sms_enabled: bool = False
    push_enabled: bool = False


@dataclass
class Profile:
    """What a user may change about themselves."""

    email: str
    phone: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    language: str = "en"


@dataclass
class User:
    username: str
    password_hash: str
    profile: Profile
    roles: set[Role] = field(default_factory=lambda: {Role.USER})
    preferences: NotificationPreferences = field(default_factory=NotificationPreferences)
    id: int | None = None
    created_at: datetime | None = None
    last_login: datetime | None = None

    @property
    def is_admin(self) -> bool:
        return Role.ADMIN in self.roles

    def record_login(self, at: datetime) -> None:
        self.last_login = at


@dataclass
class RefreshToken:
    """One link of a rotation chain. Only the sha256 of the token is ever stored."""

    token_hash: str
    family_id: str
    user_id: int
    expires_at: datetime
    id: int | None = None
    revoked_at: datetime | None = None
    replaced_by: int | None = None

    @property
    def consumed(self) -> bool:
        return self.revoked_at is not None or self.replaced_by is not None

    def expired(self, now: datetime) -> bool:
        return now >= self.expires_at
