"""Routes of keys and sessions: the JWKS document, service credentials, logout of the
access token, password change and reset."""

from __future__ import annotations

from typing import Any

from ecomkit.api_params import CurrentUser
from ecomkit.auth import verifier_of
from ecomkit.problems import Unauthorized
from fastapi import APIRouter, Request, Response, status

from user_auth.domain import commands
from user_auth.entrypoints.api import Bus
from user_auth.entrypoints.schemas import ServiceTokenResponse

router = APIRouter()


@router.get("/api/auth/jwks", tags=["auth"])
async def jwks(request: Request, response: Response) -> dict[str, Any]:
    """The public keys that verify user tokens (public; cached briefly by verifiers)."""
    response.headers["Cache-Control"] = "public, max-age=60"
    document: dict[str, Any] = request.app.state.bus.deps.tokens.jwks()
    return document


@router.post("/api/auth/token", tags=["auth"])
async def service_token(body: commands.IssueServiceToken, request: Request) -> ServiceTokenResponse:
    """A service's credential for calling `audience` (role SERVICE, that audience only)."""
    bus = request.app.state.bus
    token = await bus.handle(body)
    return ServiceTokenResponse(access_token=token, expires_in=bus.deps.access_ttl_s)


async def revoke_bearer(request: Request, bus: Bus) -> None:
    """Logout: the access token sent along (if any, and valid) is revoked at once."""
    try:
        claims = await verifier_of(request).verify_bearer(request.headers.get("Authorization"))
    except Unauthorized:
        return  # no token, or one that no longer works anyway
    await bus.handle(commands.RevokeAccessToken(claims.jti, claims.exp))


@router.post("/api/auth/password", status_code=status.HTTP_204_NO_CONTENT, tags=["auth"])
async def change_password(body: commands.PasswordChange, claims: CurrentUser, bus: Bus) -> None:
    """Every session of the user ends: refresh families and access tokens, this one too."""
    await bus.handle(commands.ChangePassword(claims.user_id, body))


@router.post("/api/auth/password/forgot", status_code=status.HTTP_202_ACCEPTED, tags=["auth"])
async def forgot_password(body: commands.RequestPasswordReset, bus: Bus) -> None:
    """Mails a one-time reset token if the address is a user's; the same answer either way."""
    await bus.handle(body)


@router.post("/api/auth/password/reset", status_code=status.HTTP_204_NO_CONTENT, tags=["auth"])
async def reset_password(body: commands.ResetPassword, bus: Bus) -> None:
    """Sets the new password with the emailed token (once); every session of the user ends."""
    await bus.handle(body)
