"""Access tokens: EdDSA JWTs signed by user-auth alone and verified everywhere via its JWKS.

Only user-auth holds a private key (ecomkit.keys); every other service verifies with the
public keys of the JWKS document (ecomkit.jwks). The verifier pins the algorithm (so
`alg=none` and HS256-with-the-public-key confusion fail), requires the registered claims
and a known `kid`, checks issuer, audience, expiry and `typ`, then asks the denylist
(ecomkit.revocation) whether the token was revoked.

Audiences: user tokens carry the platform's audience (ECOM_JWT_AUDIENCE); a service
credential (client-credentials grant at user-auth) carries the name of the one service it
is meant for, so a token obtained to call user-auth is refused by order.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import jwt
from fastapi import Depends, Request
from fastapi.requests import HTTPConnection
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ValidationError

from ecomkit.jwks import JwksKeySet
from ecomkit.keys import ALGORITHM, SigningKeyRing
from ecomkit.problems import Forbidden, ServiceUnavailable, Unauthorized
from ecomkit.revocation import Denylist, RedisDenylist
from ecomkit.settings import ServiceSettings

ACCESS = "access"
SERVICE_ROLE = "SERVICE"
SERVICE_USER_ID = 0  # a service credential names no account
REQUIRED_CLAIMS = ["sub", "exp", "iat", "iss", "aud", "jti", "typ"]


class Claims(BaseModel):
    user_id: int
    username: str
    roles: list[str]
    jti: str
    exp: float
    iat: float = 0.0

    def has_role(self, role: str) -> bool:
        return role in self.roles


class TokenIssuer:
    """Signs access tokens with the key ring's active key (user-auth only)."""

    def __init__(self, settings: ServiceSettings, keys: SigningKeyRing) -> None:
        self._keys = keys
        self._issuer = settings.jwt_issuer
        self._audience = settings.jwt_audience
        self.access_ttl_s = settings.access_token_ttl_s

    def jwks(self) -> dict[str, Any]:
        """The JWKS document of the key ring (public halves of the published keys)."""
        return self._keys.jwks()

    def issue_access(self, user_id: int, username: str, roles: list[str]) -> str:
        return self._sign(str(user_id), username, list(roles), self._audience)

    def issue_service(self, client_id: str, audience: str) -> str:
        """A service credential: role SERVICE, meant for the `audience` service only."""
        return self._sign(str(SERVICE_USER_ID), client_id, [SERVICE_ROLE], audience)

    def _sign(self, sub: str, username: str, roles: list[str], audience: str) -> str:
        now = time.time()  # a fraction of a second: revocation compares issue times
        claims = {
            "sub": sub,
            "username": username,
            "roles": roles,
            "iss": self._issuer,
            "aud": audience,
            "iat": now,
            "exp": int(now) + self.access_ttl_s,
            "jti": uuid.uuid4().hex,
            "typ": ACCESS,
        }
        key = self._keys.active()
        return jwt.encode(claims, key.private_key, algorithm=ALGORITHM, headers={"kid": key.kid})


class TokenVerifier:
    def __init__(
        self,
        keys: JwksKeySet,
        *,
        issuer: str,
        audiences: list[str],
        denylist: Denylist | None = None,
        leeway_s: float = 0,
    ) -> None:
        self._keys = keys
        self._issuer = issuer
        self._audiences = audiences
        self._denylist = denylist
        self._leeway = leeway_s

    async def verify(self, token: str) -> Claims:
        """The token's claims, or `Unauthorized` with a reason safe to show the caller."""
        claims = await self.verify_signed(token)
        await self.check_revoked(claims.jti, claims.user_id, claims.iat)
        return claims

    async def check_revoked(self, jti: str, user_id: int, issued_at: float) -> None:
        """`Unauthorized` if the token (or every token of its user up to now) was revoked."""
        if self._denylist is None:
            return
        try:
            revoked = await self._denylist.is_revoked(jti, user_id, issued_at)
        except Exception as exc:  # any store failure: refuse, never admit
            raise ServiceUnavailable("cannot check token revocation now") from exc
        if revoked:
            raise Unauthorized("token revoked")

    async def verify_signed(self, token: str) -> Claims:
        """Signature and claims only (no revocation check)."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise Unauthorized("invalid token") from exc
        if header.get("alg") != ALGORITHM or not isinstance(header.get("kid"), str):
            raise Unauthorized("invalid token")
        key = await self._keys.key(header["kid"])
        if key is None:
            raise Unauthorized("token signed by an unknown key")
        payload = self._decode(token, key.key)
        if payload.get("typ") != ACCESS:
            raise Unauthorized("not an access token")
        try:
            return Claims(
                user_id=int(payload["sub"]),
                username=payload.get("username", ""),
                roles=payload.get("roles", []),
                jti=payload["jti"],
                exp=payload["exp"],
                iat=payload["iat"],
            )
        except (ValueError, ValidationError) as exc:
            raise Unauthorized("invalid token claims") from exc

    def _decode(self, token: str, key: Any) -> dict[str, Any]:
        try:
            return jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM],
                audience=self._audiences,
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

    async def verify_bearer(self, header_value: str | None) -> Claims:
        """Claims from an `Authorization: Bearer <token>` header value."""
        if not header_value:
            raise Unauthorized("missing bearer token")
        scheme, _, token = header_value.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("expected 'Authorization: Bearer <token>'")
        return await self.verify(token.strip())


class MissingKeyConfig(SystemExit):
    """Raised at start-up: exits with one line naming the missing setting."""


def require_key_config(settings: ServiceSettings) -> None:
    """No built-in key or secret exists: a service without its key settings refuses to start."""
    if not (settings.jwks_url or settings.jwks):
        raise MissingKeyConfig(
            f"{settings.service_name}: ECOM_JWKS_URL is not set, so no token can be verified "
            "(`ecomctl up` sets it to user-auth's /api/auth/jwks)"
        )


def verifier_from_settings(settings: ServiceSettings) -> TokenVerifier:
    require_key_config(settings)
    keys = (
        JwksKeySet.from_json(settings.jwks) if settings.jwks else JwksKeySet(url=settings.jwks_url)
    )
    return TokenVerifier(
        keys,
        issuer=settings.jwt_issuer,
        audiences=[settings.jwt_audience, settings.service_name],
        denylist=RedisDenylist.from_url(settings.redis_url) if settings.redis_url else None,
    )


_bearer = HTTPBearer(auto_error=False, description="An access token from user-auth")


def verifier_of(request: HTTPConnection) -> TokenVerifier:
    """The app's verifier (built on first use): for HTTP routes and WebSockets alike."""
    verifier = getattr(request.app.state, "token_verifier", None)
    if verifier is None:
        settings = getattr(request.app.state, "settings", None) or ServiceSettings()
        verifier = request.app.state.token_verifier = verifier_from_settings(settings)
    return verifier


async def current_user(
    request: Request,
    credentials: HTTPAuthorizationCredentials | None = Depends(_bearer),  # noqa: B008
) -> Claims:
    """FastAPI dependency: the caller's claims, 401 problem without a valid access token."""
    if credentials is None:
        raise Unauthorized("missing bearer token")
    return await verifier_of(request).verify(credentials.credentials)


def require_roles(*roles: str) -> Callable[..., Awaitable[Claims]]:
    """FastAPI dependency: the caller must hold at least one of `roles` (else 403)."""

    async def dependency(claims: Claims = Depends(current_user)) -> Claims:  # noqa: B008
        if not any(claims.has_role(role) for role in roles):
            raise Forbidden(f"requires role {' or '.join(roles)}")
        return claims

    return dependency
