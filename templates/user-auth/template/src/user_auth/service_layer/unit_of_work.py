"""One transaction per command: the handler sees repositories, commits once (the kit's
unit of work, `ecomkit.unit_of_work`; this module says which repositories)."""

from __future__ import annotations

from typing import Never

from ecomkit import unit_of_work as kit
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from user_auth.adapters.repositories import (
    MysqlRefreshTokenRepository,
    MysqlUserRepository,
    RefreshTokenRepository,
    UserRepository,
)


class UnitOfWork(kit.UnitOfWork[Never]):
    """user-auth publishes no events (DESIGN 4): nothing reaches its outbox."""

    users: UserRepository
    refresh_tokens: RefreshTokenRepository


class MysqlUnitOfWork(kit.SqlRepositories[Never], UnitOfWork):
    source = "user-auth"

    def bind(self, session: AsyncSession) -> None:
        self.users = MysqlUserRepository(session)
        self.refresh_tokens = MysqlRefreshTokenRepository(session)


def utc_sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions whose TIMESTAMP values are UTC, whatever the server's time zone is."""

    @event.listens_for(engine.sync_engine, "connect")
    def _utc(dbapi_connection: object, _record: object) -> None:
        cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
        cursor.execute("SET time_zone = '+00:00'")
        cursor.close()

    return async_sessionmaker(engine, expire_on_commit=False)
