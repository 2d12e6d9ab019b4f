"""What can go wrong in the user-auth domain; the entrypoints map these to HTTP problems."""

from __future__ import annotations


class DomainError(Exception):
    """Base of every error a caller can act on."""


class UsernameTaken(DomainError):
    def __init__(self, username: str) -> None:
        super().__init__(f"username {username!r} is already taken")


class EmailTaken(DomainError):
    def __init__(self) -> None:
        super().__init__("email is already registered")


class InvalidCredentials(DomainError):
    """Same message for an unknown user and a wrong password (no user enumeration)."""

    def __init__(self) -> None:
        super().__init__("invalid username or password")


class InvalidRefreshToken(DomainError):
    def __init__(self, reason: str = "refresh token is invalid or expired") -> None:
        super().__init__(reason)


class RefreshTokenReused(InvalidRefreshToken):
    """A consumed refresh token came back: someone else may hold the family."""

    def __init__(self) -> None:
        super().__init__("refresh token was already used; the session has been revoked")


class UserNotFound(DomainError):
    def __init__(self, user_id: int) -> None:
        super().__init__(f"user {user_id} not found")


class UnknownRole(DomainError):
    def __init__(self, role: str) -> None:
        super().__init__(f"unknown role {role!r}")


class InvalidResetToken(DomainError):
    def __init__(self) -> None:
        super().__init__("reset token is invalid, expired or already used")


class InvalidClient(DomainError):
    """Unknown service, wrong secret or an audience that is not a service of the stack."""

    def __init__(self) -> None:
        super().__init__("invalid client credentials")
