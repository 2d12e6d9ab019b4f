"""Access tokens: HS256 JWTs issued by user-auth and verified by every service.

The verifier pins the algorithm (so `alg=none` and algorithm confusion fail), requires the
registered claims, and checks issuer, audience, expiry and `typ`.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from functools import lru_cache

import jwt
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ValidationError

from ecomkit.problems import Forbidden, Unauthorized
from ecomkit.settings import ServiceSettings

ALGORITHM = "HS256"
ACCESS = "access"
REQUIRED_CLAIMS = ["sub", "exp", "iat", "iss", "aud", "jti", "typ"]


class Claims(BaseModel):
    user_id: int
    username: str
    roles: list[str]
    jti: str
    exp: int

    def has_role(self, role: str) -> bool:
        return role in self.roles


class TokenIssuer:
    def __init__(self, settings: ServiceSettings) -> None:
        self._secret = settings.jwt_secret.get_secret_value()
        self._issuer = settings.jwt_issuer
        self._audience = settings.jwt_audience
        self.access_ttl = timedelta(seconds=settings.access_token_ttl_s)

    def issue_access(self, user_id: int, username: str, roles: list[str]) -> str:
        now = datetime.now(UTC)
        claims = {
            "sub": str(user_id),
            "username": username,
            "roles": list(roles),
            "iss": self._issuer,
            "aud": self._audience,
            "iat": now,
            "exp": now + self.access_ttl,
            "jti": uuid.uuid4().hex,
            "typ": ACCESS,
        }
        return jwt.encode(claims, self._secret, algorithm=ALGORITHM)


class TokenVerifier:
    def __init__(self, settings: ServiceSettings, *, leeway_s: float = 0) -> None:
        self._secret = settings.jwt_secret.get_secret_value()
        self._issuer = settings.jwt_issuer
        self._audience = settings.jwt_audience
        self._leeway = leeway_s

    def verify(self, token: str) -> Claims:
        """The token's claims, or `Unauthorized` with a reason safe to show the caller."""
        try:
            payload = jwt.decode(
                token,
                self._secret,
                algorithms=[ALGORITHM],
                audience=self._audience,
                issuer=self._issuer,
                leeway=self._leeway,
                options={"require": REQUIRED_CLAIMS},
            )
        except jwt.ExpiredSignatureError as exc:
            raise Unauthorized("token expired") from exc
        except jwt.InvalidAudienceError as exc:
            raise Unauthorized("token not meant for this audience") from exc
        except jwt.InvalidIssuerError as exc:
            raise Unauthorized("token from an unknown issuer") from exc
        except jwt.PyJWTError as exc:
            raise Unauthorized("invalid token") from exc
        if payload.get("typ") != ACCESS:
            raise Unauthorized("not an access token")
        try:
            return Claims(
                user_id=int(payload["sub"]),
                username=payload.get("username", ""),
                roles=payload.get("roles", []),
                jti=payload["jti"],
                exp=payload["exp"],
            )
        except (ValueError, ValidationError) as exc:
            raise Unauthorized("invalid token claims") from exc

    def verify_bearer(self, header_value: str | None) -> Claims:
        """Claims from an `Authorization: Bearer <token>` header value."""
        if not header_value:
            raise Unauthorized("missing bearer token")
        scheme, _, token = header_value.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("expected 'Authorization: Bearer <token>'")
        return self.verify(token.strip())


@lru_cache(maxsize=1)
def _verifier_from_environment() -> TokenVerifier:
    return TokenVerifier(ServiceSettings())


def verify_bearer(header_value: str | None, verifier: TokenVerifier | None = None) -> Claims:
    """For code outside FastAPI routes (the gateway); without a verifier, one built from the
    ECOM_* environment is used."""
    return (verifier or _verifier_from_environment()).verify_bearer(header_value)


_bearer = HTTPBearer(auto_error=False, description="An access token from user-auth")


def _verifier_of(request: Request) -> TokenVerifier:
    verifier = getattr(request.app.state, "token_verifier", None)
    if verifier is None:
        settings = getattr(request.app.state, "settings", None) or ServiceSettings()
        verifier = request.app.state.token_verifier = TokenVerifier(settings)
    return verifier


async def current_user(
    request: Request,
    credentials: HTTPAuthorizationCredentials | None = Depends(_bearer),  # noqa: B008
) -> Claims:
    """FastAPI dependency: the caller's claims, 401 problem without a valid access token."""
    if credentials is None:
        raise Unauthorized("missing bearer token")
    return _verifier_of(request).verify(credentials.credentials)


def require_roles(*roles: str) -> Callable[..., Awaitable[Claims]]:
    """FastAPI dependency: the caller must hold at least one of `roles` (else 403)."""

    async def dependency(claims: Claims = Depends(current_user)) -> Claims:  # noqa: B008
        if not any(claims.has_role(role) for role in roles):
            raise Forbidden(f"requires role {' or '.join(roles)}")
        return claims

    return dependency
