"""One handler per command (verb_noun). Each runs in one unit of work."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from ecomkit.declarations import Command, Request
from ecomkit.errors import found
from ecomkit.hashing_pool import FairHashingPool, Run

from user_auth.domain import commands
from user_auth.domain.errors import (
    InvalidCredentials,
    InvalidRefreshToken,
    RefreshTokenReused,
    UserNotFound,
)
from user_auth.domain.model import Profile, RefreshToken, Role, User
from user_auth.service_layer import sessions, signup
from user_auth.service_layer.audit import audit
from user_auth.service_layer.login_throttle import InMemoryLoginThrottle, LoginThrottle
from user_auth.service_layer.ports import AccessTokenIssuer, Clock, PasswordHasher
from user_auth.service_layer.unit_of_work import UnitOfWork

# A real hash to verify against when the user does not exist, so that unknown users
# and wrong passwords take the same time (no user enumeration by timing).
_DUMMY_PASSWORD = "not-a-real-password-0"


# Whose turn a hash is in the hashing pool when no client is known (sign-ups share one).
SIGN_UP_KEY = "sign-up"


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int
    token_type: str = "Bearer"


@dataclass
class Dependencies:
    """Everything a handler needs; bootstrap() builds the real one, tests the fake one."""

    uow: Callable[[], UnitOfWork]
    hasher: PasswordHasher
    tokens: AccessTokenIssuer
    clock: Clock
    # Reads of one statement on autocommit connections (ecomkit.db.create_read_engine):
    # no ROLLBACK after them. None: they go through `uow`.
    reads: Callable[[], UnitOfWork] | None = None
    access_ttl_s: int = 900
    refresh_ttl_s: int = 1_209_600
    # Runs the hasher's CPU-heavy calls, clients in turn; bootstrap() gives it threads so
    # argon2 never stalls the event loop (every other request of this process waits on it),
    # tests the inline one.
    hashing: FairHashingPool = field(default_factory=lambda: FairHashingPool(1))
    sessions: sessions.SessionDependencies = field(default_factory=sessions.SessionDependencies)
    # Failed logins per username and IP; bootstrap() gives the Redis one (shared by every
    # process and instance) when the service has Redis.
    throttle: LoginThrottle = field(default_factory=InMemoryLoginThrottle)
    _dummy_hash: str = ""

    def read_uow(self) -> UnitOfWork:
        return (self.reads or self.uow)()

    async def dummy_hash(self, run: Run) -> str:
        """Made once, in the pool like every hash (on the event loop it stalled every
        request of the process at the first unknown username)."""
        if not self._dummy_hash:
            self._dummy_hash = await run(self.hasher.hash, _DUMMY_PASSWORD)
        return self._dummy_hash


def hash_refresh_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def register_user(cmd: commands.RegisterUser, deps: Dependencies) -> User:
    account = cmd.account
    user = User(
        username=account.username,
        password_hash=await deps.hashing.run(SIGN_UP_KEY, deps.hasher.hash, account.password),
        profile=Profile(
            **account.model_dump(exclude={"username", "password", "email"}),
            email=account.email.lower(),
        ),
        roles={Role.parse(role) for role in cmd.roles},
    )
    async with deps.uow() as uow:
        await uow.users.add(user)
        await uow.commit()
    assert user.id is not None
    audit("UserRegistered", user_id=user.id, username=user.username)
    return user


async def login_user(cmd: commands.LoginUser, deps: Dependencies) -> TokenPair:
    # The whole check waits its turn in the hashing pool (by client, so a burst from one
    # address does not make everyone else wait for all of it), look-up included: a burst
    # holds as many database connections as the pool has threads, not one per request.
    async with deps.hashing.turn(login_key(cmd)) as run:
        async with deps.uow() as uow:
            known = await uow.users.get_by_username(cmd.username)
        stored_hash = known.password_hash if known else await deps.dummy_hash(run)
        if not await run(deps.hasher.verify, stored_hash, cmd.password) or known is None:
            raise InvalidCredentials()
        rehashed = None
        if deps.hasher.needs_rehash(known.password_hash):
            rehashed = await run(deps.hasher.hash, cmd.password)
    async with deps.uow() as uow:
        user = await uow.users.get_by_username(cmd.username)
        if user is None or user.password_hash != known.password_hash:
            raise InvalidCredentials()  # deleted or its password changed meanwhile
        user.password_hash = rehashed or user.password_hash
        user.record_login(deps.clock())
        await uow.users.save(user)
        pair = await _issue_pair(uow, deps, user, family_id=str(uuid.uuid4()))
        await uow.commit()
    audit("UserLoggedIn", user_id=pair_user_id(user))
    return pair


def login_key(cmd: commands.LoginUser) -> str:
    return f"ip:{cmd.client}" if cmd.client else f"user:{cmd.username.strip().lower()}"


async def rotate_refresh_token(cmd: commands.RotateRefreshToken, deps: Dependencies) -> TokenPair:
    """Exchange a refresh token for a new pair; the old one is consumed.

    A consumed token presented again means two parties hold the family (one of them
    stole it), so the whole family is revoked and both must log in again.
    """
    now = deps.clock()
    async with deps.uow() as uow:
        token = await uow.refresh_tokens.get_for_update(hash_refresh_token(cmd.refresh_token))
        if token is None or token.expired(now):
            raise InvalidRefreshToken()
        if token.consumed:
            await uow.refresh_tokens.revoke_family(token.family_id, now)
            await uow.commit()
            audit("RefreshTokenReuseDetected", user_id=token.user_id, family_id=token.family_id)
            raise RefreshTokenReused()
        user = await uow.users.get(token.user_id)
        if user is None:
            raise InvalidRefreshToken()
        pair, new_token = await _issue_pair_with_token(
            uow, deps, user, token.family_id, expires_at=token.expires_at
        )
        assert token.id is not None and new_token.id is not None
        await uow.refresh_tokens.mark_replaced(token.id, new_token.id, now)
        await uow.commit()
    return pair


async def logout_user(cmd: commands.LogoutUser, deps: Dependencies) -> None:
    """Revoke the token's family; unknown tokens are ignored (logout is idempotent)."""
    async with deps.uow() as uow:
        token = await uow.refresh_tokens.get_for_update(hash_refresh_token(cmd.refresh_token))
        if token is not None:
            await uow.refresh_tokens.revoke_family(token.family_id, deps.clock())
            await uow.commit()


async def update_profile(cmd: commands.UpdateProfile, deps: Dependencies) -> User:
    async with deps.uow() as uow:
        user = await _existing(uow, cmd.user_id)
        changes = cmd.changes.model_dump(exclude_none=True)
        if "email" in changes:
            changes["email"] = str(changes["email"]).lower()
        user.profile = replace(user.profile, **changes)
        await uow.users.save(user)
        await uow.commit()
    return user


async def update_preferences(cmd: commands.UpdatePreferences, deps: Dependencies) -> User:
    async with deps.uow() as uow:
        user = await _existing(uow, cmd.user_id)
        user.preferences = cmd.preferences
        await uow.users.save(user)
        await uow.commit()
    return user


async def assign_roles(cmd: commands.AssignRoles, deps: Dependencies) -> User:
    roles = {Role.parse(role) for role in cmd.roles}
    async with deps.uow() as uow:
        user = await _existing(uow, cmd.user_id)
        user.roles = roles
        await uow.users.save(user)
        await uow.commit()
    await sessions.revoke_sessions_of(deps, cmd.user_id)  # tokens carry the old roles
    audit("RolesChanged", user_id=cmd.user_id, roles=tuple(sorted(r.value for r in roles)))
    return user


async def _existing(uow: UnitOfWork, user_id: int) -> User:
    return found(await uow.users.get(user_id), UserNotFound, user_id)


def pair_user_id(user: User) -> int:
    assert user.id is not None
    return user.id


async def _issue_pair(uow: UnitOfWork, deps: Dependencies, user: User, family_id: str) -> TokenPair:
    pair, _ = await _issue_pair_with_token(uow, deps, user, family_id)
    return pair


async def _issue_pair_with_token(
    uow: UnitOfWork,
    deps: Dependencies,
    user: User,
    family_id: str,
    expires_at: datetime | None = None,
) -> tuple[TokenPair, RefreshToken]:
    """`expires_at`: a rotated token keeps its family's expiry, so a family lives at most
    refresh_ttl_s from the login however often it is refreshed (an absolute lifetime)."""
    refresh = secrets.token_urlsafe(32)
    stored = await uow.refresh_tokens.add(
        RefreshToken(
            token_hash=hash_refresh_token(refresh),
            family_id=family_id,
            user_id=pair_user_id(user),
            expires_at=expires_at or deps.clock() + timedelta(seconds=deps.refresh_ttl_s),
        )
    )
    access = deps.tokens.issue_access(
        pair_user_id(user), user.username, sorted(r.value for r in user.roles)
    )
    return TokenPair(access, refresh, deps.access_ttl_s), stored


HANDLERS: dict[type[Command | Request], Callable[..., Awaitable[object]]] = {
    commands.RegisterUser: register_user,
    commands.SignUp: signup.sign_up,
    commands.LoginUser: login_user,
    commands.RotateRefreshToken: rotate_refresh_token,
    commands.LogoutUser: logout_user,
    commands.UpdateProfile: update_profile,
    commands.UpdatePreferences: update_preferences,
    commands.AssignRoles: assign_roles,
    commands.RevokeAccessToken: sessions.revoke_access_token,
    commands.ChangePassword: sessions.change_password,
    commands.RequestPasswordReset: sessions.request_password_reset,
    commands.ResetPassword: sessions.reset_password,
    commands.IssueServiceToken: sessions.issue_service_token,
}
