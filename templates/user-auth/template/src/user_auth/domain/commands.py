"""What callers ask the service to do (imperative names), each field declared once.

A command a client sends whole is the HTTP body itself (the kit's `Request`: pydantic checks
it as it arrives, camelCase on the wire), so no schema restates its fields; one that adds
what the body must not choose (the caller's user id from the token, the roles an admin
gives) is a `Command` (the kit's frozen dataclass) that carries the body along.
Validation failures become 422 problems with one entry per field (the kit's handler).
"""

from __future__ import annotations

from typing import Annotated, Literal

from ecomkit.declarations import Command, Request
from ecomkit.schemas import CamelModel
from pydantic import AfterValidator, ConfigDict, EmailStr, Field

from user_auth.domain.model import (
    SUPPORTED_LANGUAGES,
    USERNAME_PATTERN,
    NotificationPreferences,
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
Token = Annotated[str, Field(min_length=1, max_length=512)]
Secret = Annotated[str, Field(min_length=1, max_length=256)]


class ProfileChanges(CamelModel):
    """The profile fields a user changes; the absent ones stay as they are."""

    model_config = ConfigDict(frozen=True)

    email: EmailStr | None = None
    phone: Phone | None = None
    first_name: Name | None = None
    last_name: Name | None = None
    language: Language | None = None


class NewAccount(ProfileChanges):
    """The registration body: the profile (its email required) with the username and
    password; the roles are not the caller's to choose (RegisterUser)."""

    email: EmailStr
    language: Language = "en"
    username: Username
    password: Password


class RegisterUser(Command):
    account: NewAccount
    roles: tuple[str, ...] = ("USER",)


class SignUp(Command):
    """Public registration: answered the same whether or not the account could be made;
    the outcome goes by mail (`service_layer.signup`)."""

    account: NewAccount


class LoginUser(Command):
    username: str
    password: str
    client: str = ""  # the caller's address: whose turn its check is in the hashing pool


class RotateRefreshToken(Request):
    refresh_token: Token


class LogoutUser(Request):
    """Ends the refresh token's family; an unknown token is no error (logout is idempotent)."""

    refresh_token: Token


class UpdateProfile(Command):
    user_id: int
    changes: ProfileChanges


class UpdatePreferences(Command):
    user_id: int
    preferences: NotificationPreferences


class AssignRoles(Command):
    user_id: int
    roles: tuple[str, ...]


class RevokeAccessToken(Command):
    """Logout of the access token in hand (the refresh family goes by LogoutUser)."""

    jti: str
    expires_at: float


class PasswordChange(CamelModel):
    current_password: Secret
    new_password: Password


class ChangePassword(Command):
    user_id: int
    passwords: PasswordChange


class RequestPasswordReset(Request):
    email: EmailStr


class ResetPassword(Request):
    token: Token
    new_password: Password


class IssueServiceToken(Request):
    """Client-credentials grant (RFC 6749 §4.4 in spirit, JSON body): a service proves
    who it is and names whom it will call."""

    grant_type: Literal["client_credentials"] = "client_credentials"
    client_id: Annotated[str, Field(min_length=1, max_length=64)]
    client_secret: Secret
    audience: Annotated[str, Field(min_length=1, max_length=64)]
