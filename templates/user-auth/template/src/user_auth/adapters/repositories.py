"""Ports (abstract repositories) and their MySQL implementations (SQLAlchemy Core,
always parameterised). The in-memory fakes in tests/ pass the same contract tests."""

from __future__ import annotations

import abc
from datetime import datetime

from ecomkit.records import record_from_row, record_values
from sqlalchemy import CursorResult, RowMapping, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import ColumnElement

from user_auth.adapters.tables import refresh_tokens, user_roles, users
from user_auth.domain.errors import EmailTaken, UsernameTaken
from user_auth.domain.model import (
    NotificationPreferences,
    Profile,
    RefreshToken,
    Role,
    User,
)


class UserRepository(abc.ABC):
    @abc.abstractmethod
    async def add(self, user: User) -> User:
        """Store a new user and set its id; UsernameTaken/EmailTaken on duplicates."""

    @abc.abstractmethod
    async def get(self, user_id: int) -> User | None: ...

    @abc.abstractmethod
    async def get_by_username(self, username: str) -> User | None: ...

    @abc.abstractmethod
    async def get_by_email(self, email: str) -> User | None:
        """The user with this email (stored lower-case), for the password-reset email."""

    @abc.abstractmethod
    async def save(self, user: User) -> None:
        """Write back profile, preferences, roles, password hash and last login."""

    @abc.abstractmethod
    async def list(self, *, offset: int, limit: int) -> tuple[list[User], int]:
        """A page of users ordered by id, and the total count."""


class RefreshTokenRepository(abc.ABC):
    @abc.abstractmethod
    async def add(self, token: RefreshToken) -> RefreshToken: ...

    @abc.abstractmethod
    async def get_for_update(self, token_hash: str) -> RefreshToken | None:
        """The token row, locked until commit so two refreshes cannot both rotate it."""

    @abc.abstractmethod
    async def mark_replaced(self, token_id: int, replaced_by: int, at: datetime) -> None: ...

    @abc.abstractmethod
    async def revoke_family(self, family_id: str, at: datetime) -> int:
        """Revoke every live token of the family; returns how many were revoked."""

    @abc.abstractmethod
    async def revoke_user(self, user_id: int, at: datetime) -> int:
        """Revoke every live token of every family of the user (a password change)."""


def _duplicate(error: IntegrityError, user: User) -> Exception:
    message = str(error.orig)
    if "email" in message:
        return EmailTaken()
    return UsernameTaken(user.username)


class MysqlUserRepository(UserRepository):
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, user: User) -> User:
        try:
            result = await self.session.execute(insert(users).values(**_user_row(user)))
        except IntegrityError as error:
            raise _duplicate(error, user) from error
        user.id = _inserted_id(result)
        await self._write_roles(user)
        stored = await self.get(user.id)
        user.created_at = stored.created_at if stored else None
        return user

    async def get(self, user_id: int) -> User | None:
        return await self._one(users.c.id == user_id)

    async def get_by_username(self, username: str) -> User | None:
        return await self._one(users.c.username == username)

    async def get_by_email(self, email: str) -> User | None:
        return await self._one(users.c.email == email.lower())

    async def save(self, user: User) -> None:
        assert user.id is not None
        try:
            await self.session.execute(
                update(users).where(users.c.id == user.id).values(**_user_row(user))
            )
        except IntegrityError as error:
            raise _duplicate(error, user) from error
        await self.session.execute(delete(user_roles).where(user_roles.c.user_id == user.id))
        await self._write_roles(user)

    async def list(self, *, offset: int, limit: int) -> tuple[list[User], int]:
        total = (await self.session.execute(select(func.count()).select_from(users))).scalar_one()
        rows = await self.session.execute(
            select(users, _ROLES).order_by(users.c.id).offset(offset).limit(limit)
        )
        return [_user_with_roles(row._mapping) for row in rows], int(total)

    async def _one(self, condition: object) -> User | None:
        statement = select(users, _ROLES).where(condition)  # type: ignore[arg-type]
        row = (await self.session.execute(statement)).first()
        return _user_with_roles(row._mapping) if row else None

    async def _write_roles(self, user: User) -> None:
        if user.roles:
            await self.session.execute(
                insert(user_roles), [{"user_id": user.id, "role": r.value} for r in user.roles]
            )


def _user_row(user: User) -> dict[str, object]:
    return {
        "username": user.username,
        "password": user.password_hash,
        "email": user.profile.email,
        "phone": user.profile.phone,
        "first_name": user.profile.first_name,
        "last_name": user.profile.last_name,
        "language": user.profile.language,
        "email_notifications": user.preferences.email_enabled,
        "sms_notifications": user.preferences.sms_enabled,
        "push_notifications": user.preferences.push_enabled,
        "last_login": user.last_login,
    }


# A user's roles as one comma-separated column beside the user's row: a look-up is one
# statement instead of two (the other services look users up on every order).
_ROLES = (
    select(func.group_concat(user_roles.c.role))
    .where(user_roles.c.user_id == users.c.id)
    .scalar_subquery()
    .label("roles")
)


def _user_with_roles(row: RowMapping) -> User:
    user = _user_from_row(row)
    user.roles = {Role(role) for role in (row["roles"] or "").split(",") if role}
    return user


def _user_from_row(row: object) -> User:
    r = dict(row)  # type: ignore[call-overload]
    return User(
        id=int(r["id"]),
        username=r["username"],
        password_hash=r["password"],
        profile=Profile(
            email=r["email"],
            phone=r["phone"],
            first_name=r["first_name"],
            last_name=r["last_name"],
            language=r["language"],
        ),
        preferences=NotificationPreferences(
            email_enabled=bool(r["email_notifications"]),
            sms_enabled=bool(r["sms_notifications"]),
            push_enabled=bool(r["push_notifications"]),
        ),
        created_at=r["created_at"],
        last_login=r["last_login"],
    )


class MysqlRefreshTokenRepository(RefreshTokenRepository):
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, token: RefreshToken) -> RefreshToken:
        row = record_values(token, columns=_TOKEN_COLUMNS, exclude=_SET_LATER)
        result = await self.session.execute(insert(refresh_tokens).values(**row))
        token.id = _inserted_id(result)
        return token

    async def get_for_update(self, token_hash: str) -> RefreshToken | None:
        query = select(refresh_tokens).where(refresh_tokens.c.token_hash == token_hash)
        row = (await self.session.execute(query.with_for_update())).first()
        if row is None:
            return None
        return record_from_row(RefreshToken, row._mapping, columns=_TOKEN_COLUMNS)

    async def mark_replaced(self, token_id: int, replaced_by: int, at: datetime) -> None:
        await self.session.execute(
            update(refresh_tokens)
            .where(refresh_tokens.c.id == token_id)
            .values(replaced_by=replaced_by, revoked_at=at)
        )

    async def revoke_family(self, family_id: str, at: datetime) -> int:
        return await self._revoke_live(refresh_tokens.c.family_id == family_id, at)

    async def revoke_user(self, user_id: int, at: datetime) -> int:
        return await self._revoke_live(refresh_tokens.c.user_id == user_id, at)

    async def _revoke_live(self, which: ColumnElement[bool], at: datetime) -> int:
        """Revoke the live tokens `which` selects; how many there were."""
        result = await self.session.execute(
            update(refresh_tokens)
            .where(which, refresh_tokens.c.revoked_at.is_(None))
            .values(revoked_at=at)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]


# The token's expiry is the row's expiry_date; the rest share their names. A new token has
# no id, revocation or successor yet (the database and later rotations set them).
_TOKEN_COLUMNS = {"expires_at": "expiry_date"}
_SET_LATER = ("id", "revoked_at", "replaced_by")


def _inserted_id(result: object) -> int:
    """The AUTO_INCREMENT id of a single-row INSERT."""
    assert isinstance(result, CursorResult)
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])
