"""What can go wrong in the user-auth domain: kinds of the kit's domain errors
(ecomkit.errors), which the web app answers with that kind's status."""

from __future__ import annotations

from ecomkit.errors import Conflict, InvalidInput, NotFound, Rejected, Unauthenticated


class UsernameTaken(Conflict):
    message = "username {!r} is already taken"


class EmailTaken(Conflict):
    message = "email is already registered"


class InvalidCredentials(Unauthenticated):
    """Same message for an unknown user and a wrong password (no user enumeration)."""

    message = "invalid username or password"


class InvalidRefreshToken(Unauthenticated):
    message = "refresh token is invalid or expired"


class RefreshTokenReused(InvalidRefreshToken):
    """A consumed refresh token came back: someone else may hold the family."""

    message = "refresh token was already used; the session has been revoked"


class UserNotFound(NotFound):
    what = "user"


class UnknownRole(InvalidInput):
    message = "unknown role {!r}"


class InvalidResetToken(Rejected):
    message = "reset token is invalid, expired or already used"


class InvalidClient(Unauthenticated):
    """Unknown service, wrong secret or an audience that is not a service of the stack."""

    message = "invalid client credentials"
