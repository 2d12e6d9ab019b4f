"""HTTP request and response bodies (camelCase JSON, as in the plan's API).

Validation failures here become 422 problems with one entry per field (the kit's handler).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from ecomkit.schemas import CamelModel
from pydantic import AfterValidator, EmailStr, Field

from user_auth.domain.model import (
    SUPPORTED_LANGUAGES,
    USERNAME_PATTERN,
    User,
    password_problems,
)


def _strong(password: str) -> str:
    problems = password_problems(password)
    if problems:
        raise ValueError("password " + "; ".join(problems))
    return password


def _language(value: str) -> str:
    if value not in SUPPORTED_LANGUAGES:
        raise ValueError(f"language must be one of {', '.join(SUPPORTED_LANGUAGES)}")
    return value


Password = Annotated[str, Field(max_length=256), AfterValidator(_strong)]
Username = Annotated[str, Field(pattern=USERNAME_PATTERN)]
Phone = Annotated[str, Field(pattern=r"^\+?[0-9 ()-]{5,20}$")]
Name = Annotated[str, Field(min_length=1, max_length=100)]
Language = Annotated[str, AfterValidator(_language)]


class RegisterRequest(CamelModel):
    username: Username
    email: EmailStr
    password: Password
    phone: Phone | None = None
    first_name: Name | None = None
    last_name: Name | None = None
    language: Language = "en"


class RegistrationAccepted(CamelModel):
    """The one answer to a registration, new or already registered alike."""

    status: Literal["accepted"] = "accepted"
    detail: str = (
        "If the username and email were free, the account is created; either way a mail to "
        "the address says what happened."
    )


class LoginRequest(CamelModel):
    username: Annotated[str, Field(min_length=1, max_length=255)]
    password: Annotated[str, Field(min_length=1, max_length=256)]


class RefreshRequest(CamelModel):
    refresh_token: Annotated[str, Field(min_length=1, max_length=512)]


class TokenResponse(CamelModel):
    access_token: str
    refresh_token: str
    token_type: str = "Bearer"
    expires_in: int


class ProfileUpdate(CamelModel):
    email: EmailStr | None = None
    phone: Phone | None = None
    first_name: Name | None = None
    last_name: Name | None = None
    language: Language | None = None


class PreferencesBody(CamelModel):
    email_enabled: bool = True
    sms_enabled: bool = False
    push_enabled: bool = False


class RolesUpdate(CamelModel):
    roles: Annotated[list[Annotated[str, Field(pattern=r"^(?i:user|admin)$")]], Field(min_length=1)]


class UserResponse(CamelModel):
    id: int
    username: str
    email: str
    phone: str | None
    first_name: str | None
    last_name: str | None
    language: str
    roles: list[str]
    preferences: PreferencesBody
    created_at: datetime | None
    last_login: datetime | None

    @classmethod
    def of(cls, user: User) -> UserResponse:
        assert user.id is not None
        return cls.copying(
            user.profile,  # email, phone, names, language
            id=user.id,
            username=user.username,
            roles=sorted(r.value for r in user.roles),
            preferences=PreferencesBody.copying(user.preferences),
            created_at=_utc(user.created_at),
            last_login=_utc(user.last_login),
        )


class UserPage(CamelModel):
    items: list[UserResponse]
    page: int
    size: int
    total: int


class PasswordChange(CamelModel):
    current_password: Annotated[str, Field(min_length=1, max_length=256)]
    new_password: Password


class PasswordResetRequest(CamelModel):
    email: EmailStr


class PasswordReset(CamelModel):
    token: Annotated[str, Field(min_length=1, max_length=512)]
    new_password: Password


class ServiceTokenRequest(CamelModel):
    """Client-credentials grant (RFC 6749 §4.4 in spirit, JSON body)."""

    grant_type: Literal["client_credentials"] = "client_credentials"
    client_id: Annotated[str, Field(min_length=1, max_length=64)]
    client_secret: Annotated[str, Field(min_length=1, max_length=256)]
    audience: Annotated[str, Field(min_length=1, max_length=64)]


class ServiceTokenResponse(CamelModel):
    access_token: str
    token_type: str = "Bearer"
    expires_in: int


def _utc(moment: datetime | None) -> datetime | None:
    """Stored naive in UTC (MySQL TIMESTAMP on a UTC session); sent with its offset, as
    the documented `date-time` format (RFC 3339) requires."""
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment
