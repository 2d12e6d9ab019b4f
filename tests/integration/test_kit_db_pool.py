"""The kit's engine pings a pooled connection only after it idled, and replaces a dead one
before anyone uses it (the database restarted, or an admin killed the session)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from ecomkit.db import create_engine, create_read_engine, create_session_factory
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


async def _rollbacks_of_this_session(conn: object) -> int:
    result = await conn.execute(text("SHOW SESSION STATUS LIKE 'Com_rollback'"))  # type: ignore[attr-defined]
    return int(result.one()[1])


async def test_mysql_a_committed_connection_goes_back_without_a_rollback(mysql_url: str) -> None:
    """After a commit nothing is open, so handing the connection back costs no ROLLBACK
    round trip (the session's own counter stays put over three units of work)."""
    engine = create_engine(create_database(mysql_url), pool_size=1, max_overflow=0)
    try:
        async with engine.begin() as conn:
            await conn.execute(text("CREATE TABLE t (id INT PRIMARY KEY)"))
        async with engine.connect() as conn:
            before = await _rollbacks_of_this_session(conn)
            await conn.commit()
        for row in range(3):
            async with engine.begin() as conn:
                await conn.execute(text(f"INSERT INTO t VALUES ({row})"))
        async with engine.connect() as conn:
            after = await _rollbacks_of_this_session(conn)
            await conn.commit()
    finally:
        await engine.dispose()
    assert after == before


def _insert_through_the_driver(sync_conn: Any) -> None:
    cursor = sync_conn.connection.cursor()
    cursor.execute("INSERT INTO t VALUES (1)")
    cursor.close()


async def test_mysql_a_connection_handed_back_mid_transaction_is_rolled_back(
    mysql_url: str,
) -> None:
    """A transaction the Connection did not end itself (driver-level work) is still
    rolled back on the way into the pool: its row never lands and its lock is gone."""
    url = create_database(mysql_url)
    engine = create_engine(url, pool_size=1, max_overflow=0)
    other = create_engine(url, pool_size=1, max_overflow=0)
    try:
        async with engine.begin() as conn:
            await conn.execute(text("CREATE TABLE t (id INT PRIMARY KEY)"))
        async with engine.connect() as conn:
            await conn.run_sync(_insert_through_the_driver)
        async with other.connect() as conn:
            await conn.execute(text("SET SESSION innodb_lock_wait_timeout = 2"))
            await conn.execute(text("INSERT INTO t VALUES (1)"))  # would wait on a held lock
            await conn.commit()
            rows = (await conn.execute(text("SELECT COUNT(*) FROM t"))).scalar_one()
    finally:
        await engine.dispose()
        await other.dispose()
    assert rows == 1


async def _rollbacks_after_three_reads(engine: AsyncEngine) -> int:
    """ROLLBACKs the server counted for three one-statement reads through sessions (the
    unit of work's way), on the engine's one connection."""
    sessions = create_session_factory(engine)
    async with engine.begin() as conn:
        await conn.execute(text("CREATE TABLE IF NOT EXISTS t (id INT PRIMARY KEY)"))
    async with engine.connect() as conn:
        before = await _rollbacks_of_this_session(conn)
    for _ in range(3):
        async with sessions() as session:
            await session.execute(text("SELECT COUNT(*) FROM t"))
    async with engine.connect() as conn:
        after = await _rollbacks_of_this_session(conn)
    return after - before


async def test_mysql_a_read_on_the_read_engine_ends_without_a_rollback(mysql_url: str) -> None:
    """A read of one table opens a transaction on the unit of work's engine, which the
    session must end (a ROLLBACK each); on the read engine (autocommit) there is none."""
    url = create_database(mysql_url)
    engine = create_engine(url, pool_size=1, max_overflow=0)
    reads = create_read_engine(url, pool_size=1, max_overflow=0)
    try:
        in_transactions = await _rollbacks_after_three_reads(engine)
        in_autocommit = await _rollbacks_after_three_reads(reads)
    finally:
        await engine.dispose()
        await reads.dispose()
    assert in_transactions >= 3
    assert in_autocommit == 0


async def test_postgres_a_read_on_the_read_engine_opens_no_transaction(postgres_url: str) -> None:
    """asyncpg sends BEGIN before a unit of work's first statement; not on the read engine."""
    url = create_database(postgres_url)
    open_during_read = {}
    for name, engine in (("uow", create_engine(url)), ("reads", create_read_engine(url))):
        try:
            async with create_session_factory(engine)() as session:
                await session.execute(text("SELECT count(*) FROM pg_class"))
                raw = await (await session.connection()).get_raw_connection()
                open_during_read[name] = raw.driver_connection.is_in_transaction()  # type: ignore[union-attr]
        finally:
            await engine.dispose()
    assert open_during_read == {"uow": True, "reads": False}
