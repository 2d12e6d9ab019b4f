"""What callers ask the service to do (imperative names)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Command:
    pass


@dataclass(frozen=True)
class RegisterUser(Command):
    username: str
    email: str
    password: str
    phone: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    language: str = "en"
    roles: tuple[str, ...] = ("USER",)


@dataclass(frozen=True)
class SignUp(Command):
    """Public registration: answered the same whether or not the account could be made;
    the outcome goes by mail (`service_layer.signup`)."""

    account: RegisterUser


@dataclass(frozen=True)
class LoginUser(Command):
    username: str
    password: str
    client: str = ""  # the caller's address: whose turn its check is in the hashing pool


@dataclass(frozen=True)
class RotateRefreshToken(Command):
    refresh_token: str


@dataclass(frozen=True)
class LogoutUser(Command):
    refresh_token: str


@dataclass(frozen=True)
class UpdateProfile(Command):
    user_id: int
    email: str | None = None
    phone: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    language: str | None = None


@dataclass(frozen=True)
class UpdatePreferences(Command):
    user_id: int
    email_enabled: bool
    sms_enabled: bool
    push_enabled: bool


@dataclass(frozen=True)
class AssignRoles(Command):
    user_id: int
    roles: tuple[str, ...]


@dataclass(frozen=True)
class RevokeAccessToken(Command):
    """Logout of the access token in hand (the refresh family goes by LogoutUser)."""

    jti: str
    expires_at: float


@dataclass(frozen=True)
class ChangePassword(Command):
    user_id: int
    current_password: str
    new_password: str


@dataclass(frozen=True)
class RequestPasswordReset(Command):
    email: str


@dataclass(frozen=True)
class ResetPassword(Command):
    token: str
    new_password: str


@dataclass(frozen=True)
class IssueServiceToken(Command):
    """Client-credentials grant: a service proves who it is and names whom it will call."""

    client_id: str
    client_secret: str
    audience: str
