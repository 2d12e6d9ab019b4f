"""The kit's projection runner on a real PostgreSQL: the log read in commit order, exactly
once when the runner is killed between (and inside) batches or runs twice, and a rebuild
beside the serving generation while events are written."""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any

import pytest
from ecomkit.db import create_engine
from ecomkit.eventstore import (
    NewEvent,
    PostgresEventStore,
    PostgresProjectionStore,
    Projection,
    ProjectionRunner,
    stream_table,
)
from ecomkit.eventstore.model import RecordedEvent
from sqlalchemy import BigInteger, MetaData, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from test_kit_eventstore import EVENT_STORE_SQL
from test_kit_support import ROOT, create_database, statements

pytestmark = pytest.mark.anyio

TABLE = stream_table(MetaData(), stream_type=BigInteger())
LOG_INDEX_SQL = "CREATE INDEX event_store_log ON event_store (tx_id, id)"


def tracking_tables_sql() -> str:
    """The tracking tables as the order service's migration creates them (its index on
    order_events is the one LOG_INDEX_SQL makes here on event_store)."""
    migration = ROOT / "migrations" / "order" / "V9__projection_tracking.sql"
    found = [s for s in statements(migration.read_text()) if "order_events" not in s]
    return ";\n".join(found)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def engine(postgres_url: str) -> AsyncIterator[AsyncEngine]:
    sql = ";\n".join([EVENT_STORE_SQL, LOG_INDEX_SQL, tracking_tables_sql()])
    engine = create_engine(create_database(postgres_url, sql))
    yield engine
    await engine.dispose()


class CountPerStream(Projection):
    """Events per stream in `counts_g<N>`; `crash_after` raises inside a batch, after
    that many of its events were written (the batch's transaction holds them)."""

    name = "counts"

    def __init__(self) -> None:
        self.crash_after: int | None = None

    async def create(self, session: Any, generation: int) -> None:
        await session.execute(
            text(
                f"CREATE TABLE IF NOT EXISTS counts_g{generation}"
                " (stream_id BIGINT PRIMARY KEY, n INTEGER NOT NULL)"
            )
        )

    async def drop(self, session: Any, generation: int) -> None:
        await session.execute(text(f"DROP TABLE IF EXISTS counts_g{generation}"))

    async def apply(self, session: Any, generation: int, events: Sequence[RecordedEvent]) -> None:
        for done, event in enumerate(events):
            if self.crash_after is not None and done == self.crash_after:
                raise RuntimeError("killed inside a batch")
            await session.execute(
                text(
                    f"INSERT INTO counts_g{generation} VALUES (:s, 1)"
                    f" ON CONFLICT (stream_id) DO UPDATE SET n = counts_g{generation}.n + 1"
                ),
                {"s": event.stream_id},
            )


async def write(engine: AsyncEngine, streams: range, events_each: int) -> None:
    """Concurrent writers, one transaction per event (commit order differs from id order)."""

    async def writer(stream: int) -> None:
        for version in range(events_each):
            async with AsyncSession(engine) as session, session.begin():
                store = PostgresEventStore(session, TABLE)
                await store.append(stream, version, [NewEvent("Happened", {"v": version})])
            await asyncio.sleep(random.random() / 100)

    await asyncio.gather(*(writer(s) for s in streams))


async def counts(engine: AsyncEngine, generation: int = 1) -> dict[int, int]:
    async with AsyncSession(engine) as session:
        rows = await session.execute(text(f"SELECT stream_id, n FROM counts_g{generation}"))
        return {int(s): int(n) for s, n in rows}


def runner(engine: AsyncEngine, projection: Projection, **options: Any) -> ProjectionRunner:
    return ProjectionRunner(PostgresProjectionStore(engine, TABLE), [projection], **options)


async def caught_up(runner: ProjectionRunner) -> None:
    while await runner.step():
        pass


async def test_the_log_is_read_in_commit_order(engine: AsyncEngine) -> None:
    """A transaction that inserted first but commits last is not skipped: nothing after
    it is read until it commits."""
    projection = CountPerStream()
    run = runner(engine, projection)
    await run.start()
    async with AsyncSession(engine) as slow, slow.begin():
        await PostgresEventStore(slow, TABLE).append(1, 0, [NewEvent("First", {})])
        async with AsyncSession(engine) as fast, fast.begin():
            await PostgresEventStore(fast, TABLE).append(2, 0, [NewEvent("Second", {})])
        assert await run.step() == 0  # the slow one may still commit below the fast one
    assert await run.step() == 2
    assert await counts(engine) == {1: 1, 2: 1}


async def test_killed_between_and_inside_batches_it_applies_each_event_once(
    engine: AsyncEngine,
) -> None:
    projection = CountPerStream()
    writing = asyncio.create_task(write(engine, range(1, 9), 25))
    # The killed runners get an engine of their own: a task cancelled inside a query has
    # its connection terminated, which asyncpg reports to the loop ("unexpected
    # connection_lost() call") — the sign of the kill, not of a fault.
    crashing = create_engine(engine.url.render_as_string(hide_password=False))
    kills = 0
    with killed_connections_expected():
        while not writing.done() or kills < 6:
            projection.crash_after = random.choice([None, 0, 3])  # sometimes inside a batch
            killed = runner(crashing, projection, batch=7)
            running = asyncio.create_task(killed.run(asyncio.Event()))
            await asyncio.sleep(random.uniform(0.01, 0.15))
            running.cancel()  # killed wherever it is: mid-transaction or between batches
            await asyncio.gather(running, return_exceptions=True)
            kills += 1
        await crashing.dispose()
    await writing
    projection.crash_after = None
    await caught_up(runner(engine, projection, batch=7))
    assert await counts(engine) == {s: 25 for s in range(1, 9)}


@contextlib.contextmanager
def killed_connections_expected() -> Iterator[None]:
    """Lets through the loop's reports of connections lost to a kill; anything else still
    reaches the test runner's handler (and fails the test)."""
    loop = asyncio.get_running_loop()
    previous = loop.get_exception_handler()

    def handler(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        error = context.get("exception")
        if isinstance(error, ConnectionError) and "connection_lost" in str(error):
            return
        if previous is not None:
            previous(loop, context)
        else:
            loop.default_exception_handler(context)

    loop.set_exception_handler(handler)
    try:
        yield
    finally:
        loop.set_exception_handler(previous)


async def test_two_runners_at_once_apply_each_event_once(engine: AsyncEngine) -> None:
    first, second = runner(engine, CountPerStream(), batch=5), runner(engine, CountPerStream())
    await first.start()
    await second.start()
    writing = asyncio.create_task(write(engine, range(1, 7), 20))
    while not writing.done():
        await asyncio.gather(first.step(), second.step())
    await asyncio.gather(caught_up(first), caught_up(second))
    assert await counts(engine) == {s: 20 for s in range(1, 7)}


async def test_a_rebuild_while_writing_switches_to_an_equal_read_model(
    engine: AsyncEngine,
) -> None:
    run = runner(engine, CountPerStream(), batch=10, grace_s=0)
    await run.start()
    await write(engine, range(1, 5), 10)
    await caught_up(run)
    writing = asyncio.create_task(write(engine, range(5, 13), 15))
    await asyncio.sleep(0.05)
    assert await run.rebuild("counts") == 2
    served = []
    while not writing.done():
        await run.step()
        [status] = await run.status()
        served.append(status.current)
        await counts(engine, status.current or 1)  # the serving tables answer throughout
    await caught_up(run)
    [status] = await run.status()
    assert status.current == 2 and served[0] == 1
    await writing  # raises if a writer failed
    expected = {s: 10 if s < 5 else 15 for s in range(1, 13)}
    assert await counts(engine, 2) == expected
    await run.step()  # grace 0: generation 1 goes
    async with AsyncSession(engine) as session:
        left = await session.scalar(text("SELECT to_regclass('counts_g1') IS NULL"))
    assert left is True
    assert [g.generation for g in (await run.status())[0].generations] == [2]
