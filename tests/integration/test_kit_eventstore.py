"""The kit's event store on a real PostgreSQL: the store contract, two writers on one
stream, the outbox in the same transaction, and what a saga step costs in statements."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from ecomkit.db import SqlUnitOfWork, create_engine, create_session_factory
from ecomkit.events import Event
from ecomkit.eventstore import (
    ConcurrencyConflict,
    NewEvent,
    PostgresEventStore,
    Snapshot,
    SnapshotPolicy,
    retrying,
    stream_table,
)
from ecomkit.tables import outbox_table
from ecomkit.testing.eventstore_contracts import EventStoreContract
from sqlalchemy import BigInteger, MetaData, event, func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from test_kit_support import create_database

pytestmark = pytest.mark.anyio

# The shape docs/event-sourcing.md gives the store (the order service keeps its own
# order_events with the same columns under other names).
EVENT_STORE_SQL = """
CREATE TABLE event_store (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    stream_id BIGINT NOT NULL,
    version INTEGER NOT NULL,
    event_type VARCHAR(100) NOT NULL,
    schema_version SMALLINT NOT NULL DEFAULT 1,
    data JSONB,
    recorded_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    tx_id xid8 NOT NULL DEFAULT pg_current_xact_id()
);
CREATE UNIQUE INDEX event_store_stream_version ON event_store (stream_id, version);
CREATE TABLE event_snapshots (
    stream_id BIGINT PRIMARY KEY,
    version INTEGER NOT NULL,
    schema_version SMALLINT NOT NULL,
    state JSONB NOT NULL,
    taken_at TIMESTAMPTZ NOT NULL DEFAULT now()
)
"""
TABLE = stream_table(MetaData(), stream_type=BigInteger())


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def engine(postgres_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(create_database(postgres_url, EVENT_STORE_SQL))
    yield engine
    await engine.dispose()


class TestPostgresEventStore(EventStoreContract):
    @pytest.fixture
    async def make_store(self, engine: AsyncEngine) -> AsyncIterator[Any]:
        async with AsyncSession(engine) as session, session.begin():
            yield lambda **options: PostgresEventStore(session, TABLE, **options)


async def test_two_writers_one_wins_the_other_retries(engine: AsyncEngine) -> None:
    async with AsyncSession(engine) as setup, setup.begin():
        await PostgresEventStore(setup, TABLE).append(7, 0, [NewEvent("OrderPlaced", {})])
    winner_holds_its_insert, loser_has_loaded = asyncio.Event(), asyncio.Event()
    loads: list[int] = []

    async def winner() -> None:
        async with AsyncSession(engine) as session, session.begin():
            store = PostgresEventStore(session, TABLE)
            await store.append(7, (await store.load(7)).version, [NewEvent("Reserved", {})])
            winner_holds_its_insert.set()
            await loser_has_loaded.wait()
            await asyncio.sleep(0.3)  # the loser's insert now waits on this transaction

    async def loser() -> int:
        await winner_holds_its_insert.wait()
        async with AsyncSession(engine) as session, session.begin():
            store = PostgresEventStore(session, TABLE)

            async def pay() -> int:
                seen = await store.load(7)
                loads.append(seen.version)
                loser_has_loaded.set()
                return await store.append(7, seen.version, [NewEvent("Paid", {})])

            return await retrying(pay)

    _, version = await asyncio.gather(winner(), loser())
    assert loads == [1, 2]  # decided on version 1, conflicted, decided again on 2
    assert version == 3
    async with AsyncSession(engine) as session:
        events = (await PostgresEventStore(session, TABLE).load(7)).events
    assert [(e.version, e.type) for e in events] == [(1, "OrderPlaced"), (2, "Reserved"),
                                                     (3, "Paid")]  # fmt: skip


async def test_a_loser_that_may_no_longer_act_fails_cleanly(engine: AsyncEngine) -> None:
    """The retry decides on the new state; refusing there writes nothing."""
    async with AsyncSession(engine) as setup, setup.begin():
        await PostgresEventStore(setup, TABLE).append(8, 0, [NewEvent("OrderPlaced", {})])
    async with AsyncSession(engine) as a, a.begin(), AsyncSession(engine) as b:
        stale = await PostgresEventStore(b, TABLE).load(8)
        await b.commit()  # b read version 1, then a cancels
        await PostgresEventStore(a, TABLE).append(8, 1, [NewEvent("Cancelled", {})])
    async with AsyncSession(engine) as b, b.begin():
        store = PostgresEventStore(b, TABLE)
        with pytest.raises(ConcurrencyConflict):
            await store.append(8, stale.version, [NewEvent("Paid", {})])
        assert [e.type for e in (await store.load(8)).events][-1] == "Cancelled"
    async with AsyncSession(engine) as session:
        assert (await PostgresEventStore(session, TABLE).load(8)).version == 2


async def test_the_event_and_its_outbox_row_commit_together(engine: AsyncEngine) -> None:
    sessions = create_session_factory(engine)
    for commit, stream in ((False, 21), (True, 22)):
        async with SqlUnitOfWork(sessions, source="order") as uow:
            store = PostgresEventStore(uow.session, TABLE)
            await store.append(stream, 0, [NewEvent("OrderPlaced", {"n": stream})])
            uow.add_event(Event(type="OrderCreated", topic="t", key=str(stream), data={}))
            if commit:
                await uow.commit()
    async with AsyncSession(engine) as session:
        keys = (await session.scalars(select(outbox_table.c.message_key))).all()
        store = PostgresEventStore(session, TABLE)
        versions = [(await store.load(s)).version for s in (21, 22)]
    assert keys == ["22"] and versions == [0, 1]  # the rolled back step left neither


async def test_a_saga_step_costs_two_statements(engine: AsyncEngine) -> None:
    """Load (snapshot and later events together) and append: no more statements than the
    order service's FOR UPDATE read and order_events insert of today."""
    async with AsyncSession(engine) as setup, setup.begin():
        store = PostgresEventStore(setup, TABLE)
        await store.append(31, 0, [NewEvent("OrderPlaced", {})])
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement.split()[0].upper())

    event.listen(engine.sync_engine, "before_cursor_execute", count)
    try:
        async with AsyncSession(engine) as session, session.begin():
            store = PostgresEventStore(session, TABLE)
            loaded = await store.load(31)
            await store.append(31, loaded.version, [NewEvent("Reserved", {})])
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", count)
    assert statements == ["SELECT", "INSERT"]


async def test_snapshots_every_n_events_keep_the_load_to_one_statement(
    engine: AsyncEngine,
) -> None:
    policy = SnapshotPolicy(every=5)
    async with AsyncSession(engine) as session, session.begin():
        store = PostgresEventStore(session, TABLE)
        for version in range(12):
            new = await store.append(41, version, [NewEvent("Noted", {"n": version + 1})])
            if policy.due(version, new):
                await store.save_snapshot(41, Snapshot(new, {"sum": sum(range(new + 1))}))
        loaded = await store.load(41)
        taken = await session.scalar(
            select(func.count())
            .select_from(TABLE.snapshots)
            .where(TABLE.snapshots.c.stream_id == 41)
        )
    assert loaded.snapshot == Snapshot(10, {"sum": 55})
    assert [e.data["n"] for e in loaded.events] == [11, 12] and taken == 1
