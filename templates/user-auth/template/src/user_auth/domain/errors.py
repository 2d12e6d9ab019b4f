"""What can go wrong in the user-auth domain: kinds of the kit's domain errors
(ecomkit.errors), which the web app answers with that kind's status."""

from __future__ import annotations

from ecomkit.errors import Conflict, InvalidInput, NotFound, Rejected, Unauthenticated


class UsernameTaken(Conflict):
    def __init__(self, username: str) -> None:
        super().__init__(f"username {username!r} is already taken")


class EmailTaken(Conflict):
    def __init__(self) -> None:
        super().__init__("email is already registered")


class InvalidCredentials(Unauthenticated):
    """Same message for an unknown user and a wrong password (no user enumeration)."""

    def __init__(self) -> None:
        super().__init__("invalid username or password")


class InvalidRefreshToken(Unauthenticated):
    def __init__(self, reason: str = "refresh token is invalid or expired") -> None:
        super().__init__(reason)


class RefreshTokenReused(InvalidRefreshToken):
    """A consumed refresh token came back: someone else may hold the family."""

    def __init__(self) -> None:
        super().__init__("refresh token was already used; the session has been revoked")


class UserNotFound(NotFound):
    what = "user"


class UnknownRole(InvalidInput):
    def __init__(self, role: str) -> None:
        super().__init__(f"unknown role {role!r}")


class InvalidResetToken(Rejected):
    def __init__(self) -> None:
        super().__init__("reset token is invalid, expired or already used")


class InvalidClient(Unauthenticated):
    """Unknown service, wrong secret or an audience that is not a service of the stack."""

    def __init__(self) -> None:
        super().__init__("invalid client credentials")
