"""HTTP bodies that are not commands: the answers, and the login body (camelCase JSON, as
in the plan's API). Most request bodies are the commands themselves (domain/commands.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from ecomkit.schemas import CamelModel
from pydantic import Field

from user_auth.domain.model import User


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


class TokenResponse(CamelModel):
    access_token: str
    refresh_token: str
    token_type: str = "Bearer"
    expires_in: int


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


class ServiceTokenResponse(CamelModel):
    access_token: str
    token_type: str = "Bearer"
    expires_in: int


def _utc(moment: datetime | None) -> datetime | None:
    """Stored naive in UTC (MySQL TIMESTAMP on a UTC session); sent with its offset, as
    the documented `date-time` format (RFC 3339) requires."""
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment
