"""The consumer's pipelines: one key's records in offset order, other keys concurrently,
and a partition's offset committed only up to its first record not handled yet."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pytest
from aiokafka import TopicPartition

from ecomkit import consumer as consumer_module
from ecomkit.consumer import Backoff, EventConsumer, RecordProcessor, _Pipelines
from ecomkit.events import Envelope, encode
from ecomkit.testing import InMemoryInbox, InMemoryProducer

pytestmark = pytest.mark.anyio
TP = TopicPartition("order-created-events", 0)
TP1 = TopicPartition("order-created-events", 1)


@dataclass
class Record:
    offset: int
    key: bytes | None
    topic: str = TP.topic
    partition: int = TP.partition
    value: bytes | None = None
    headers: Sequence[tuple[str, bytes]] = ()

    def __post_init__(self) -> None:
        self.value = encode(Envelope(type="OrderCreated", source="order", data={"n": self.offset}))


class Consumer:
    def __init__(self) -> None:
        self.commits: list[dict[TopicPartition, int]] = []

    async def commit(self, offsets: dict[TopicPartition, int]) -> None:
        self.commits.append(dict(offsets))


class GatedHandler:
    """Each event waits for its gate; records what started and finished, in order."""

    def __init__(self) -> None:
        self.gates: dict[int, asyncio.Event] = {}
        self.started: list[int] = []
        self.finished: list[int] = []

    def gate(self, n: int) -> asyncio.Event:
        return self.gates.setdefault(n, asyncio.Event())

    async def __call__(self, envelope: Envelope, uow: Any) -> None:
        n = envelope.data["n"]
        self.started.append(n)
        await self.gate(n).wait()
        self.finished.append(n)


def pipelines(handler: GatedHandler, consumer: Consumer, concurrency: int = 8) -> _Pipelines:
    processor = RecordProcessor(
        "inventory",
        handler,
        inbox=InMemoryInbox(),
        dlq_producer=InMemoryProducer(),
        backoff=Backoff(0, 0),
    )
    return _Pipelines(consumer, processor, concurrency)


async def settle() -> None:
    for _ in range(20):
        await asyncio.sleep(0)


async def test_one_key_in_order_other_keys_meanwhile() -> None:
    handler, consumer = GatedHandler(), Consumer()
    work = pipelines(handler, consumer)
    work.add(TP, [Record(0, b"a"), Record(1, b"a"), Record(2, b"b")])
    await settle()
    assert handler.started == [0, 2]  # 1 waits for 0 (same key); 2 does not
    handler.gate(2).set()
    await settle()
    await work.commit_finished()
    assert consumer.commits == []  # 2 is done, but 0 before it is not
    handler.gate(0).set()
    handler.gate(1).set()
    await settle()
    await work.commit_finished()
    assert handler.finished == [2, 0, 1]
    assert consumer.commits == [{TP: 3}]
    assert work.pending == 0


async def test_commits_up_to_the_first_unfinished_record() -> None:
    handler, consumer = GatedHandler(), Consumer()
    work = pipelines(handler, consumer)
    work.add(TP, [Record(5, b"a"), Record(6, b"b"), Record(7, b"c")])
    handler.gate(5).set()
    handler.gate(7).set()
    await settle()
    await work.commit_finished()
    assert consumer.commits == [{TP: 6}]
    await work.cancel()


async def test_concurrency_is_bounded() -> None:
    handler, consumer = GatedHandler(), Consumer()
    work = pipelines(handler, consumer, concurrency=2)
    work.add(TP, [Record(i, str(i).encode()) for i in range(5)])
    await settle()
    assert len(handler.started) == 2
    for i in range(5):
        handler.gate(i).set()
    await settle()
    await work.commit_finished()
    assert sorted(handler.finished) == [0, 1, 2, 3, 4]
    assert consumer.commits == [{TP: 5}]


async def test_finish_hands_over_revoked_partitions_committed() -> None:
    handler, consumer = GatedHandler(), Consumer()
    work = pipelines(handler, consumer)
    work.add(TP, [Record(0, b"a")])
    finishing = asyncio.create_task(work.finish([TP]))
    await settle()
    assert not finishing.done()
    handler.gate(0).set()
    await finishing
    assert consumer.commits == [{TP: 1}]


async def test_wait_one_waits_for_a_record_in_flight_not_one_handled_already() -> None:
    """Handled records stay pending until the next commit; waiting on them would return at
    once and turn the consumer's back-pressure into a busy loop."""
    handler, consumer = GatedHandler(), Consumer()
    work = pipelines(handler, consumer)
    work.add(TP, [Record(0, b"a"), Record(1, b"b")])
    handler.gate(1).set()
    await settle()
    assert handler.finished == [1] and work.pending == 2
    waiting = asyncio.create_task(work.wait_one())
    await settle()
    assert not waiting.done()
    handler.gate(0).set()
    await asyncio.wait_for(waiting, 5)
    await work.cancel()


async def test_a_stop_finishes_started_records_and_cancels_the_rest() -> None:
    handler, consumer = GatedHandler(), Consumer()
    work = pipelines(handler, consumer, concurrency=2)
    work.add(TP, [Record(0, b"a"), Record(1, b"a"), Record(2, b"b"), Record(3, b"c")])
    await settle()
    assert handler.started == [0, 2]  # 1 waits for 0; 3 for a free slot
    stopping = asyncio.create_task(work.finish_started(timeout_s=5))
    await settle()
    assert not stopping.done()
    handler.gate(0).set()
    handler.gate(2).set()
    await asyncio.wait_for(stopping, 5)
    await settle()
    assert sorted(handler.finished) == [0, 2] and handler.started == [0, 2]
    await work.commit_finished()
    assert consumer.commits == [{TP: 1}]  # 1 was not handled: it is delivered again
    await work.cancel()


async def test_a_stop_waits_for_started_records_only_so_long() -> None:
    handler, consumer = GatedHandler(), Consumer()
    work = pipelines(handler, consumer)
    work.add(TP, [Record(0, b"a")])
    await settle()
    await asyncio.wait_for(work.finish_started(timeout_s=0.01), 5)
    assert handler.finished == []
    await work.cancel()
    await work.commit_finished()
    assert consumer.commits == []


class KafkaConsumer(Consumer):
    """The AIOKafkaConsumer calls EventConsumer.run makes: one batch, then nothing."""

    def __init__(self, batches: list[dict[TopicPartition, list[Record]]]) -> None:
        super().__init__()
        self.batches = batches
        self.calls: list[str] = []

    def subscribe(self, topics: list[str], listener: Any) -> None:
        self.calls.append("subscribe")

    async def start(self) -> None:
        self.calls.append("start")

    async def getmany(self, timeout_ms: int, max_records: int) -> dict[TopicPartition, Any]:
        if self.batches:
            return self.batches.pop(0)
        await asyncio.sleep(timeout_ms / 1000)
        return {}

    async def commit(self, offsets: dict[TopicPartition, int]) -> None:
        await super().commit(offsets)
        self.calls.append("commit")

    async def stop(self) -> None:
        self.calls.append("stop")

    # Pausing and the offset sampler: no partition assigned in these tests.
    def assignment(self) -> set[TopicPartition]:
        return set()

    def paused(self) -> set[TopicPartition]:
        return set()

    def pause(self, *partitions: TopicPartition) -> None:
        self.calls.append("pause")

    def resume(self, *partitions: TopicPartition) -> None:
        self.calls.append("resume")

    def partitions_for_topic(self, topic: str) -> set[int] | None:
        return None

    async def end_offsets(self, partitions: Sequence[TopicPartition]) -> dict[TopicPartition, int]:
        return {}

    async def beginning_offsets(
        self, partitions: Sequence[TopicPartition]
    ) -> dict[TopicPartition, int]:
        return {}


def event_consumer(
    monkeypatch: pytest.MonkeyPatch, handler: GatedHandler, kafka: KafkaConsumer
) -> EventConsumer:
    monkeypatch.setattr(consumer_module, "create_consumer", lambda *args, **kwargs: kafka)
    return EventConsumer(
        "kafka:9092",
        "inventory",
        [TP.topic],
        handler,
        inbox=InMemoryInbox(),
        producer=InMemoryProducer(),
        backoff=Backoff(0, 0),
        commit_interval_s=3600,
    )


async def test_cancelled_consumer_finishes_in_flight_then_commits_then_leaves(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    handler = GatedHandler()
    kafka = KafkaConsumer([{TP: [Record(0, b"a"), Record(1, b"a")], TP1: [Record(2, b"b")]}])
    running = asyncio.create_task(event_consumer(monkeypatch, handler, kafka).run())
    await settle()
    assert handler.started == [0, 2]
    running.cancel()  # the service shuts down, or this color is drained
    await settle()
    assert not running.done() and "stop" not in kafka.calls  # the records in flight finish
    handler.gate(0).set()
    handler.gate(2).set()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(running, 5)
    assert 1 not in handler.started  # not started when the stop came: delivered again
    assert kafka.commits == [{TP: 1, TP1: 3}]
    assert kafka.calls[-2:] == ["commit", "stop"]


async def test_a_stuck_record_does_not_hold_up_the_stop(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(consumer_module, "STOP_GRACE_S", 0.05)
    handler = GatedHandler()
    kafka = KafkaConsumer([{TP: [Record(0, b"a")]}])
    running = asyncio.create_task(event_consumer(monkeypatch, handler, kafka).run())
    await settle()
    running.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(running, 5)
    assert handler.finished == [] and kafka.commits == []
    assert kafka.calls[-1] == "stop"
