"""What a consumer group owes: lag per partition and the size of its dead-letter topics.

Sampled by each `EventConsumer` every `interval_s` in a task of its own, beside the poll
loop, so a consumer stuck in a handler or paused still reports its lag growing. A member
reports the partitions assigned to it; summed over the instances of a service that is the
group's lag (a partition moves with its assignment, and its series with it).

Metrics:
- `ecom_kafka_consumer_lag{group,topic,partition}`: records on the partition past the
  group's committed offset.
- `ecom_dlq_messages{topic}`: records held in a `<topic>.DLQ` the group feeds. A DLQ is the
  record of what failed, never emptied by a replay (ecomctl dlq): alerts watch its growth.
- `ecom_kafka_consumer_paused{group}`: 1 while an operator paused the consumer.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Sequence
from typing import Protocol

from aiokafka import TopicPartition
from prometheus_client import Gauge

log = logging.getLogger(__name__)

CONSUMER_LAG = Gauge(
    "ecom_kafka_consumer_lag",
    "Records on a partition past the consumer group's committed offset",
    ["group", "topic", "partition"],
    multiprocess_mode="max",
)
DLQ_MESSAGES = Gauge(
    "ecom_dlq_messages",
    "Records held in a dead-letter topic",
    ["topic"],
    multiprocess_mode="max",
)
CONSUMER_PAUSED = Gauge(
    "ecom_kafka_consumer_paused",
    "1 while the consumer group member is paused by an operator",
    ["group"],
    multiprocess_mode="max",
)


class OffsetReader(Protocol):
    """The part of aiokafka's consumer the sampler reads."""

    def assignment(self) -> set[TopicPartition]: ...

    def partitions_for_topic(self, topic: str) -> set[int] | None: ...

    async def committed(self, partition: TopicPartition) -> int | None: ...

    async def end_offsets(
        self, partitions: Sequence[TopicPartition]
    ) -> dict[TopicPartition, int]: ...

    async def beginning_offsets(
        self, partitions: Sequence[TopicPartition]
    ) -> dict[TopicPartition, int]: ...


class OffsetSampler:
    def __init__(self, consumer: OffsetReader, group: str, dlq_topics: Iterable[str]) -> None:
        self._consumer = consumer
        self._group = group
        self._dlq_topics = list(dlq_topics)
        self._reported: set[TopicPartition] = set()

    async def sample(self) -> None:
        await self._sample_lag()
        await self._sample_dead_letters()

    async def _sample_lag(self) -> None:
        assigned = self._consumer.assignment()
        for gone in self._reported - assigned:
            CONSUMER_LAG.remove(self._group, gone.topic, str(gone.partition))
        self._reported = set(assigned)
        if not assigned:
            return
        ends = await self._consumer.end_offsets(sorted(assigned))
        starts = await self._consumer.beginning_offsets(sorted(assigned))
        for tp in assigned:
            committed = await self._consumer.committed(tp)
            # Never committed: everything still on the partition is owed.
            position = starts.get(tp, 0) if committed is None else committed
            lag = max(0, ends.get(tp, 0) - position)
            CONSUMER_LAG.labels(self._group, tp.topic, str(tp.partition)).set(lag)

    async def _sample_dead_letters(self) -> None:
        for topic in self._dlq_topics:
            # Unknown until the broker's metadata names the topic: partition 0 first,
            # which makes the client ask for it, then every partition.
            numbers = self._consumer.partitions_for_topic(topic) or {0}
            partitions = [TopicPartition(topic, n) for n in sorted(numbers)]
            ends = await self._consumer.end_offsets(partitions)
            starts = await self._consumer.beginning_offsets(partitions)
            held = sum(ends.get(tp, 0) - starts.get(tp, 0) for tp in partitions)
            DLQ_MESSAGES.labels(topic).set(held)

    async def run(self, interval_s: float) -> None:
        while True:
            try:
                await self.sample()
            except asyncio.CancelledError:
                raise
            except Exception as error:  # the broker away: the next round tries again
                log.debug("consumer %s: offsets not sampled: %s", self._group, error)
            await asyncio.sleep(interval_s)

    def forget(self) -> None:
        """The member left: its partitions' series go with it."""
        for gone in self._reported:
            CONSUMER_LAG.remove(self._group, gone.topic, str(gone.partition))
        self._reported = set()
