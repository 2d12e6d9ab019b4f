"""Outbox: the unit of work writes events with the change; the relay loses nothing."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable
from typing import Any

import pytest
from ecomkit.db import SqlUnitOfWork, create_session_factory
from ecomkit.events import Event, decode
from ecomkit.kafka import create_producer
from ecomkit.outbox import OutboxRelay
from ecomkit.tables import outbox_table
from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine
from test_kit_support import anyio_backend, dialect, engine, new_topic, read_all

__all__ = ["anyio_backend", "dialect", "engine"]
pytestmark = pytest.mark.anyio


async def record_events(
    engine: AsyncEngine, topic: str, keys: list[str], commit: bool = True
) -> None:
    async with SqlUnitOfWork(create_session_factory(engine), source="kit-test") as uow:
        await uow.session.execute(text("INSERT INTO effects (event_id, n) VALUES ('x', 1)"))
        for i, key in enumerate(keys):
            uow.add_event(Event(type="ThingHappened", topic=topic, key=key, data={"i": i}))
        if commit:
            await uow.commit()


async def unpublished(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        query = select(func.count()).where(outbox_table.c.published_at.is_(None))
        return int((await conn.execute(query)).scalar_one())


async def test_commit_writes_events_with_the_change(engine: AsyncEngine) -> None:
    await record_events(engine, "t", ["a", "b"])
    await record_events(engine, "t", ["c"], commit=False)
    async with engine.connect() as conn:
        rows = (await conn.execute(select(outbox_table).order_by(outbox_table.c.seq))).all()
        effects = (await conn.execute(text("SELECT count(*) FROM effects"))).scalar_one()
    assert [r.message_key for r in rows] == ["a", "b"]
    assert effects == 1  # the uncommitted unit of work left nothing, event or change
    payload = rows[0].payload if isinstance(rows[0].payload, dict) else json.loads(rows[0].payload)
    assert payload["type"] == "ThingHappened" and payload["source"] == "kit-test"
    assert payload["id"] == rows[0].id


async def test_relay_publishes_in_order_and_marks(
    engine: AsyncEngine, kafka_bootstrap: str
) -> None:
    topic = await new_topic(kafka_bootstrap, partitions=1)
    await record_events(engine, topic, [f"k{i % 3}" for i in range(30)])
    producer = create_producer(kafka_bootstrap)
    await producer.start()
    try:
        relay = OutboxRelay(engine, producer, batch=7)
        while await relay.publish_pending():
            pass
    finally:
        await producer.stop()
    records = await read_all(kafka_bootstrap, topic, 30)
    assert [decode(r.value).data["i"] for r in records] == list(range(30))
    assert dict(records[0].headers)["event-type"] == b"ThingHappened"
    assert await unpublished(engine) == 0


async def test_rows_go_out_in_the_order_they_were_written_not_begun(
    engine: AsyncEngine, kafka_bootstrap: str
) -> None:
    """A transaction that began first but wrote its event after another one committed (as
    a handler waiting on the aggregate's lock does) publishes second. On PostgreSQL the
    rows' created_at (now(): transaction start) says the opposite."""
    topic = await new_topic(kafka_bootstrap, partitions=1)
    async with SqlUnitOfWork(create_session_factory(engine), source="kit-test") as early:
        await early.session.execute(text("SELECT 1"))  # its transaction has begun
        await asyncio.sleep(0.01)
        await record_events(engine, topic, ["k"])  # another writes {"i": 0} and commits
        early.add_event(Event(type="ThingHappened", topic=topic, key="k", data={"i": 1}))
        await early.commit()
    producer = create_producer(kafka_bootstrap)
    await producer.start()
    try:
        assert await OutboxRelay(engine, producer).publish_pending() == 2
    finally:
        await producer.stop()
    records = await read_all(kafka_bootstrap, topic, 2)
    assert [decode(r.value).data["i"] for r in records] == [0, 1]


TWO_HOURS_AGO = {
    "postgresql": "CURRENT_TIMESTAMP - interval '2 hours'",
    "mysql": "CURRENT_TIMESTAMP(6) - INTERVAL 2 HOUR",
}


async def test_rows_published_longer_ago_than_the_retention_are_deleted(
    engine: AsyncEngine, kafka_bootstrap: str
) -> None:
    topic = await new_topic(kafka_bootstrap)
    await record_events(engine, topic, ["a", "b", "c", "d"])
    producer = create_producer(kafka_bootstrap)
    await producer.start()
    try:
        assert await OutboxRelay(engine, producer).publish_pending() == 4
    finally:
        await producer.stop()
    async with engine.begin() as conn:
        ids = (await conn.execute(select(outbox_table.c.id).order_by(outbox_table.c.seq))).all()
        old = text(TWO_HOURS_AGO[conn.dialect.name])
        await conn.execute(
            update(outbox_table)
            .where(outbox_table.c.id.in_([row.id for row in ids[:2]]))
            .values(published_at=old)
        )
    await record_events(engine, topic, ["e"])  # not published yet: never deleted
    keeping = OutboxRelay(engine, producer, retention_s=None)
    assert await keeping.delete_published() == 0
    relay = OutboxRelay(engine, producer, retention_s=3600)
    assert await relay.delete_published(batch=1) == 2  # one batch after the other
    async with engine.connect() as conn:
        rows = (await conn.execute(select(outbox_table).order_by(outbox_table.c.seq))).all()
    assert [r.message_key for r in rows] == ["c", "d", "e"]
    assert rows[-1].published_at is None


async def test_a_running_relay_sweeps_old_rows_by_itself(
    engine: AsyncEngine, kafka_bootstrap: str
) -> None:
    topic = await new_topic(kafka_bootstrap)
    await record_events(engine, topic, ["a"])
    async with engine.begin() as conn:
        old = text(TWO_HOURS_AGO[conn.dialect.name])
        await conn.execute(update(outbox_table).values(published_at=old))
    producer = create_producer(kafka_bootstrap)
    await producer.start()
    relay = OutboxRelay(engine, producer, retention_s=3600, sweep_interval_s=0.05)
    task = asyncio.create_task(relay.run())
    try:
        async with asyncio.timeout(30):
            while await count_rows(engine):
                await asyncio.sleep(0.05)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await producer.stop()


async def count_rows(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return int(
            (await conn.execute(select(func.count()).select_from(outbox_table))).scalar_one()
        )


class StallAfterAck:
    """Publishes for real, then hangs before the relay can mark the rows: the crash window."""

    def __init__(self, producer: Any) -> None:
        self.producer = producer
        self.acked = asyncio.Event()

    async def send(
        self, topic: str, value: bytes | None = None, key: bytes | None = None, **kwargs: Any
    ) -> Awaitable[Any]:
        ack = await self.producer.send(topic, value, key=key, **kwargs)

        async def ack_then_hang() -> None:
            await ack
            self.acked.set()
            await asyncio.sleep(3600)

        return ack_then_hang()


async def test_crash_between_publish_and_mark_duplicates_but_loses_nothing(
    engine: AsyncEngine, kafka_bootstrap: str
) -> None:
    topic = await new_topic(kafka_bootstrap)
    await record_events(engine, topic, ["a", "b", "c"])
    producer = create_producer(kafka_bootstrap)
    await producer.start()
    try:
        stalling = StallAfterAck(producer)
        task = asyncio.create_task(OutboxRelay(engine, stalling).publish_pending())  # type: ignore[arg-type]
        await asyncio.wait_for(stalling.acked.wait(), 30)
        task.cancel()  # the relay "crashes" after the broker acked, before marking
        with pytest.raises(asyncio.CancelledError):
            await task
        assert await unpublished(engine) == 3
        assert await OutboxRelay(engine, producer).publish_pending() == 3
    finally:
        await producer.stop()
    records = await read_all(kafka_bootstrap, topic, 6)
    ids = [str(decode(r.value).id) for r in records]
    assert len(ids) == 6 and len(set(ids)) == 3  # each event twice, none lost
    assert await unpublished(engine) == 0


async def test_several_relays_publish_each_event_and_keep_key_order(
    engine: AsyncEngine, kafka_bootstrap: str
) -> None:
    topic = await new_topic(kafka_bootstrap)
    for round_ in range(10):
        await record_events(engine, topic, [f"order-{k}" for k in range(5)])
        del round_
    producer = create_producer(kafka_bootstrap)
    await producer.start()
    relays = [OutboxRelay(engine, producer, batch=4, poll_interval_s=0.01) for _ in range(3)]
    tasks = [asyncio.create_task(r.run()) for r in relays]
    try:
        async with asyncio.timeout(60):
            while await unpublished(engine):
                await asyncio.sleep(0.1)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await producer.stop()
    records = await read_all(kafka_bootstrap, topic, 50)
    envelopes = [(r.key, decode(r.value)) for r in records]
    assert len({e.id for _, e in envelopes}) == 50
    by_key: dict[bytes, list[str]] = {}
    for key, env in envelopes:
        by_key.setdefault(key, []).append(str(env.id))
    for ids in by_key.values():  # ids are time-ordered: publication order == recording order
        assert ids == sorted(ids)
