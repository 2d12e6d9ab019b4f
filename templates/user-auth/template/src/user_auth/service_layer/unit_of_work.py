"""One transaction per command: the handler sees repositories, commits once."""

from __future__ import annotations

import abc
from types import TracebackType
from typing import Self

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from user_auth.adapters.repositories import (
    MysqlRefreshTokenRepository,
    MysqlUserRepository,
    RefreshTokenRepository,
    UserRepository,
)


class UnitOfWork(abc.ABC):
    users: UserRepository
    refresh_tokens: RefreshTokenRepository

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # Anything not committed explicitly is rolled back (also on errors).
        await self.rollback()

    @abc.abstractmethod
    async def commit(self) -> None: ...

    @abc.abstractmethod
    async def rollback(self) -> None: ...


class MysqlUnitOfWork(UnitOfWork):
    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self.session_factory = session_factory

    async def __aenter__(self) -> Self:
        self.session = self.session_factory()
        self.users = MysqlUserRepository(self.session)
        self.refresh_tokens = MysqlRefreshTokenRepository(self.session)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await super().__aexit__(exc_type, exc, tb)
        await self.session.close()

    async def commit(self) -> None:
        await self.session.commit()

    async def rollback(self) -> None:
        await self.session.rollback()


def utc_sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions whose TIMESTAMP values are UTC, whatever the server's time zone is."""

    @event.listens_for(engine.sync_engine, "connect")
    def _utc(dbapi_connection: object, _record: object) -> None:
        cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
        cursor.execute("SET time_zone = '+00:00'")
        cursor.close()

    return async_sessionmaker(engine, expire_on_commit=False)
