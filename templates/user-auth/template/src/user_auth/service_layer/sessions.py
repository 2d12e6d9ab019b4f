"""Handlers that end sessions or replace a password, and the service-credential grant.

A password change, a reset or a role change revokes every refresh family of the user and
every access token issued before it (the kit's denylist, checked by the gateway and every
service); logout revokes the access token in hand besides its refresh family.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import TYPE_CHECKING

from ecomkit.problems import ServiceUnavailable
from ecomkit.revocation import Denylist

from user_auth.domain import commands
from user_auth.domain.errors import InvalidClient, InvalidCredentials, InvalidResetToken
from user_auth.service_layer.audit import audit
from user_auth.service_layer.mail import mail_later
from user_auth.service_layer.ports import Mailer, ResetTokens, ServiceClients, ServiceTokenIssuer
from user_auth.service_layer.unit_of_work import UnitOfWork

if TYPE_CHECKING:  # handlers.py imports this module
    from user_auth.service_layer.handlers import Dependencies


class SessionDependencies:
    """What these handlers need beyond the core Dependencies (None: feature not wired)."""

    def __init__(
        self,
        *,
        denylist: Denylist | None = None,
        reset_tokens: ResetTokens | None = None,
        mailer: Mailer | None = None,
        clients: ServiceClients | None = None,
        service_tokens: ServiceTokenIssuer | None = None,
        reset_ttl_s: int = 900,
    ) -> None:
        self.denylist = denylist
        self.reset_tokens = reset_tokens
        self.mailer = mailer
        self.clients = clients
        self.service_tokens = service_tokens
        self.reset_ttl_s = reset_ttl_s


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def revoke_access_token(cmd: commands.RevokeAccessToken, deps: Dependencies) -> None:
    denylist = _sessions(deps).denylist
    if denylist is not None:
        await denylist.revoke_token(cmd.jti, cmd.expires_at)


async def change_password(cmd: commands.ChangePassword, deps: Dependencies) -> None:
    async with _core(deps).uow() as uow:
        user = await uow.users.get(cmd.user_id)
        core = _core(deps)
        if user is None or not await core.hashing.run(
            f"user:{cmd.user_id}",
            core.hasher.verify,
            user.password_hash,
            cmd.passwords.current_password,
        ):
            raise InvalidCredentials()
        await _replace_password(uow, deps, cmd.user_id, cmd.passwords.new_password)
    audit("PasswordChanged", user_id=cmd.user_id)


async def request_password_reset(cmd: commands.RequestPasswordReset, deps: Dependencies) -> None:
    """Mails a one-time token to the address if it belongs to a user; answers the same
    either way, so the endpoint does not tell which emails are registered."""
    sessions = _sessions(deps)
    if sessions.reset_tokens is None or sessions.mailer is None:
        raise ServiceUnavailable("password reset needs Redis and a mail server (ECOM_SMTP_HOST)")
    async with _core(deps).uow() as uow:
        user = await uow.users.get_by_email(cmd.email)
    if user is None or user.id is None:
        return
    token = secrets.token_urlsafe(32)
    await sessions.reset_tokens.put(_hash(token), user.id, sessions.reset_ttl_s)
    minutes = sessions.reset_ttl_s // 60
    mail_later(  # in the background: an unknown address must not answer faster
        sessions.mailer,
        user.profile.email,
        "Reset your password",
        f"Someone asked to reset the password of {user.username}.\n\n"
        f"Reset token (valid {minutes} minutes, once): {token}\n\n"
        "POST it with a new password to /api/auth/password/reset. "
        "If it was not you, ignore this email.\n",
    )


async def reset_password(cmd: commands.ResetPassword, deps: Dependencies) -> None:
    store = _sessions(deps).reset_tokens
    user_id = await store.take(_hash(cmd.token)) if store is not None else None
    if user_id is None:
        raise InvalidResetToken()
    async with _core(deps).uow() as uow:
        await _replace_password(uow, deps, user_id, cmd.new_password)
    audit("PasswordReset", user_id=user_id)


async def revoke_sessions_of(deps: Dependencies, user_id: int) -> None:
    """Every access token of the user issued until now stops working (role change too)."""
    denylist = _sessions(deps).denylist
    if denylist is not None:
        await denylist.revoke_user(user_id, _core(deps).access_ttl_s)


async def issue_service_token(cmd: commands.IssueServiceToken, deps: Dependencies) -> str:
    sessions = _sessions(deps)
    clients, tokens = sessions.clients, sessions.service_tokens
    if clients is None or tokens is None:
        raise InvalidClient()
    if not clients.verify(cmd.client_id, cmd.client_secret) or not clients.known(cmd.audience):
        raise InvalidClient()
    return tokens.issue_service(cmd.client_id, cmd.audience)


async def _replace_password(
    uow: UnitOfWork, deps: Dependencies, user_id: int, password: str
) -> None:
    core = _core(deps)
    user = await uow.users.get(user_id)
    if user is None:
        raise InvalidResetToken()
    user.password_hash = await core.hashing.run(f"user:{user_id}", core.hasher.hash, password)
    await uow.users.save(user)
    await uow.refresh_tokens.revoke_user(user_id, core.clock())
    await uow.commit()
    await revoke_sessions_of(deps, user_id)


def _core(deps: Dependencies) -> Dependencies:
    return deps


def _sessions(deps: Dependencies) -> SessionDependencies:
    return deps.sessions
