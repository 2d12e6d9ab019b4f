"""The kit's engine pings a pooled connection only after it idled, and replaces a dead one
before anyone uses it (the database restarted, or an admin killed the session)."""

from __future__ import annotations

import asyncio

import pytest
from ecomkit.db import create_engine
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine
from test_kit_support import anyio_backend, create_database, dialect

__all__ = ["anyio_backend", "dialect"]
pytestmark = pytest.mark.anyio

SESSION_ID = {"postgres": "SELECT pg_backend_pid()", "mysql": "SELECT CONNECTION_ID()"}
KILL = {"postgres": "SELECT pg_terminate_backend({})", "mysql": "KILL {}"}


async def session_id(engine: AsyncEngine, dialect: str) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(text(SESSION_ID[dialect]))).scalar_one())


async def kill_session(url: str, dialect: str, target: int) -> None:
    """Ends `target` from another connection, as a database restart would."""
    admin = create_engine(url, pool_size=1)
    try:
        async with admin.connect() as conn:
            await conn.execute(text(KILL[dialect].format(target)))
            await conn.commit()
    finally:
        await admin.dispose()


@pytest.fixture
def database_url(dialect: str, postgres_url: str, mysql_url: str) -> str:
    return create_database(postgres_url if dialect == "postgres" else mysql_url)


async def test_a_killed_idle_connection_is_replaced_on_checkout(
    dialect: str, database_url: str
) -> None:
    engine = create_engine(database_url, pool_size=1, max_overflow=0, ping_after_idle_s=0.2)
    try:
        first = await session_id(engine, dialect)
        await kill_session(database_url, dialect, first)
        await asyncio.sleep(0.4)
        second = await session_id(engine, dialect)  # no error: the ping found it dead
    finally:
        await engine.dispose()
    assert second != first


async def test_a_connection_back_a_moment_ago_is_not_pinged(
    dialect: str, database_url: str
) -> None:
    """Without the ping (it was checked in just now) a killed connection fails its next
    statement, which shows the test above really exercised the ping."""
    engine = create_engine(database_url, pool_size=1, max_overflow=0, ping_after_idle_s=60)
    try:
        first = await session_id(engine, dialect)
        await kill_session(database_url, dialect, first)
        await asyncio.sleep(0.2)
        with pytest.raises(DBAPIError):
            await session_id(engine, dialect)
        third = await session_id(engine, dialect)  # the pool dropped the dead connection
    finally:
        await engine.dispose()
    assert third != first
