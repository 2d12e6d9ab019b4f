"""Consumers: one effect per event, DLQ after max_attempts, resume from committed offsets."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from ecomkit.consumer import Backoff, EventConsumer
from ecomkit.db import create_session_factory
from ecomkit.events import Envelope, encode
from ecomkit.inbox import SqlInbox
from ecomkit.kafka import create_producer
from ecomkit.testing import InMemoryInbox
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from test_kit_support import anyio_backend, dialect, engine, new_topic, read_all

__all__ = ["anyio_backend", "dialect", "engine"]
pytestmark = pytest.mark.anyio
FAST = Backoff(initial_s=0.01, max_s=0.05)


async def produce(bootstrap: str, topic: str, envelopes: list[Envelope]) -> None:
    producer = create_producer(bootstrap)
    await producer.start()
    try:
        for env in envelopes:
            await producer.send_and_wait(topic, encode(env), key=b"k")
    finally:
        await producer.stop()


async def run_until(
    consumer: EventConsumer, done: Callable[[], bool], timeout_s: float = 60
) -> None:
    task = asyncio.create_task(consumer.run())
    try:
        async with asyncio.timeout(timeout_s):
            while not done():
                if task.done():
                    task.result()
                await asyncio.sleep(0.1)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


class CountingInbox:
    def __init__(self, inner: SqlInbox) -> None:
        self.inner = inner
        self.outcomes: list[bool] = []

    async def handle(self, envelope: Envelope, consumer: str, handler: Any) -> bool:
        outcome = await self.inner.handle(envelope, consumer, handler)
        self.outcomes.append(outcome)
        return outcome

    async def was_handled(self, event_id: str, consumer: str) -> bool:
        return await self.inner.was_handled(event_id, consumer)


async def count_effects(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(text("SELECT count(*) FROM effects"))).scalar_one())


async def test_redelivered_event_has_one_effect(engine: AsyncEngine, kafka_bootstrap: str) -> None:
    topic = await new_topic(kafka_bootstrap)
    twice = Envelope(type="OrderCreated", source="order", data={"n": 1})
    once = Envelope(type="OrderCreated", source="order", data={"n": 2})
    await produce(kafka_bootstrap, topic, [twice, once, twice])
    calls: list[str] = []

    async def handler(env: Envelope, uow: Any) -> None:
        calls.append(str(env.id))
        await uow.session.execute(
            text("INSERT INTO effects (event_id, n) VALUES (:id, :n)"),
            {"id": str(env.id), "n": env.data["n"]},
        )

    inbox = CountingInbox(SqlInbox(create_session_factory(engine), source="inventory"))
    consumer = EventConsumer(
        kafka_bootstrap, f"g-{topic}", [topic], handler, inbox=inbox, backoff=FAST
    )
    await run_until(consumer, lambda: len(inbox.outcomes) >= 3)
    assert inbox.outcomes == [True, True, False]
    assert calls == [str(twice.id), str(once.id)]
    assert await count_effects(engine) == 2
    assert await inbox.was_handled(str(twice.id), f"g-{topic}")


async def test_always_failing_handler_ends_in_the_dlq(kafka_bootstrap: str) -> None:
    topic = await new_topic(kafka_bootstrap)
    env = Envelope(type="PaymentFailed", source="payment", data={})
    await produce(kafka_bootstrap, topic, [env])
    attempts: list[int] = []

    async def handler(envelope: Envelope, uow: Any) -> None:
        attempts.append(1)
        raise ConnectionError("downstream is down")

    consumer = EventConsumer(
        kafka_bootstrap,
        f"g-{topic}",
        [topic],
        handler,
        inbox=InMemoryInbox(),
        max_attempts=3,
        backoff=FAST,
    )
    dead: list[Any] = []

    async def dlq_has_it() -> None:
        dead.extend(await read_all(kafka_bootstrap, f"{topic}.DLQ", 1))

    task = asyncio.create_task(consumer.run())
    try:
        await asyncio.wait_for(dlq_has_it(), 60)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    headers = {k: v.decode() for k, v in dead[0].headers}
    assert len(attempts) == 3
    assert headers["dlq-attempts"] == "3"
    assert headers["dlq-original-topic"] == topic
    assert headers["dlq-error"] == "ConnectionError: downstream is down"
    assert dead[0].value == encode(env)


async def test_restarted_consumer_resumes_from_the_committed_offset(kafka_bootstrap: str) -> None:
    topic = await new_topic(kafka_bootstrap, partitions=1)
    first = [Envelope(type="T", source="s", data={"n": i}) for i in range(3)]
    later = [Envelope(type="T", source="s", data={"n": i}) for i in range(3, 5)]
    seen: list[int] = []

    async def handler(env: Envelope, uow: Any) -> None:
        seen.append(env.data["n"])

    def consumer() -> EventConsumer:
        # A fresh in-memory inbox each time: only the committed offset prevents a replay.
        return EventConsumer(
            kafka_bootstrap, f"g-{topic}", [topic], handler, inbox=InMemoryInbox(), backoff=FAST
        )

    await produce(kafka_bootstrap, topic, first)
    await run_until(consumer(), lambda: len(seen) >= 3)
    await produce(kafka_bootstrap, topic, later)
    await run_until(consumer(), lambda: len(seen) >= 5)
    assert seen == [0, 1, 2, 3, 4]


async def test_crash_while_handling_redelivers_the_event(kafka_bootstrap: str) -> None:
    topic = await new_topic(kafka_bootstrap, partitions=1)
    env = Envelope(type="T", source="s", data={})
    await produce(kafka_bootstrap, topic, [env])
    started = asyncio.Event()
    seen: list[str] = []

    async def hangs(envelope: Envelope, uow: Any) -> None:
        started.set()
        await asyncio.sleep(3600)

    async def records(envelope: Envelope, uow: Any) -> None:
        seen.append(str(envelope.id))

    crashing = EventConsumer(
        kafka_bootstrap, f"g-{topic}", [topic], hangs, inbox=InMemoryInbox(), backoff=FAST
    )
    task = asyncio.create_task(crashing.run())
    await asyncio.wait_for(started.wait(), 60)
    task.cancel()  # the process dies mid-handling: nothing was committed
    await asyncio.gather(task, return_exceptions=True)
    await run_until(
        EventConsumer(
            kafka_bootstrap, f"g-{topic}", [topic], records, inbox=InMemoryInbox(), backoff=FAST
        ),
        lambda: bool(seen),
    )
    assert seen == [str(env.id)]


async def test_offsets_are_committed_in_batches_and_when_the_consumer_stops(
    kafka_bootstrap: str,
) -> None:
    """With a commit interval longer than the run, records handled after the first round
    are committed only by the stop, and a restarted consumer replays none of them."""
    topic = await new_topic(kafka_bootstrap, partitions=1)
    seen: list[int] = []

    async def handler(env: Envelope, uow: Any) -> None:
        seen.append(env.data["n"])

    def consumer() -> EventConsumer:
        return EventConsumer(
            kafka_bootstrap,
            f"g-{topic}",
            [topic],
            handler,
            inbox=InMemoryInbox(),  # fresh each time: only the committed offset prevents a replay
            backoff=FAST,
            commit_interval_s=3600,
        )

    first = consumer()
    task = asyncio.create_task(first.run())
    await asyncio.sleep(1)  # assigned, first commit round done with nothing to commit
    await produce(kafka_bootstrap, topic, [Envelope(type="T", source="s", data={"n": 0})])
    async with asyncio.timeout(60):
        while not seen:
            await asyncio.sleep(0.05)
    assert await committed(kafka_bootstrap, f"g-{topic}", topic) is None  # not yet: batched
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert await committed(kafka_bootstrap, f"g-{topic}", topic) == 1  # the stop committed it
    await produce(kafka_bootstrap, topic, [Envelope(type="T", source="s", data={"n": 1})])
    await run_until(consumer(), lambda: len(seen) >= 2)
    assert seen == [0, 1]


async def committed(bootstrap: str, group: str, topic: str) -> int | None:
    from aiokafka import TopicPartition
    from aiokafka.admin import AIOKafkaAdminClient

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        offsets = await admin.list_consumer_group_offsets(group)
    finally:
        await admin.close()
    found = offsets.get(TopicPartition(topic, 0))
    return None if found is None or found.offset < 0 else found.offset
