"""The indexer's topics in Kafka, read by a reindex: where the indexer's group stands (the
admin API's committed offsets), and the events from there on (a consumer of no group, on
assigned partitions): the running indexer's group is never joined nor committed to."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Sequence

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from ecomkit.events import Envelope, UndecodableEvent, decode

log = logging.getLogger(__name__)
Offsets = dict[TopicPartition, int]
READ_TIMEOUT_S = 120.0


class EventLog:
    def __init__(self, bootstrap: str, group: str, topics: Sequence[str]) -> None:
        self._topics, self._group = list(topics), group
        self._admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap,
            group_id=None,
            enable_auto_commit=False,
            isolation_level="read_committed",  # as the indexer reads (transactional outbox)
        )

    async def start(self) -> None:
        await self._admin.start()
        await self._consumer.start()

    async def close(self) -> None:
        await self._consumer.stop()
        await self._admin.close()

    async def committed(self) -> Offsets:
        """Per partition, the first event the indexer's group has not committed (the
        beginning when it committed nothing there): every event before it is in the index."""
        partitions = await self._partitions()
        beginning = await self._consumer.beginning_offsets(partitions)
        done = await self._admin.list_consumer_group_offsets(self._group, partitions=partitions)
        offsets: Offsets = {}
        for partition in partitions:
            found = done.get(partition)
            committed = found.offset if found is not None else -1
            offsets[partition] = committed if committed >= 0 else beginning[partition]
        return offsets

    async def ends(self) -> Offsets:
        """Per partition, the offset after the last committed-transaction event now."""
        return dict(await self._consumer.end_offsets(await self._partitions()))

    async def between(self, start: Offsets, end: Offsets) -> AsyncIterator[Envelope]:
        """The events from `start` up to (not including) `end`, partition by partition in
        order; an event that cannot be decoded is left to the indexer (its DLQ)."""
        todo = {tp: stop for tp, stop in end.items() if start.get(tp, 0) < stop}
        if not todo:
            return
        self._consumer.assign(list(todo))
        for partition in todo:
            self._consumer.seek(partition, start.get(partition, 0))
        deadline = time.monotonic() + READ_TIMEOUT_S
        while todo:
            if time.monotonic() > deadline:
                raise TimeoutError(f"events up to {todo} not read in {READ_TIMEOUT_S:.0f} s")
            batches = await self._consumer.getmany(*todo, timeout_ms=500)
            for partition, records in batches.items():
                for record in records:
                    if record.offset >= todo.get(partition, -1):
                        continue
                    try:
                        envelope = decode(record.value)
                    except UndecodableEvent as error:
                        log.warning("skipped %s@%d: %s", partition, record.offset, error)
                        continue
                    yield envelope
            for partition in list(todo):
                if await self._consumer.position(partition) >= todo[partition]:
                    del todo[partition]
        self._consumer.assign([])

    async def _partitions(self) -> list[TopicPartition]:
        """The topics' partitions; a topic not created yet has no events to read."""
        existing = set(await self._admin.list_topics())
        wanted = [topic for topic in self._topics if topic in existing]
        found = await self._admin.describe_topics(wanted) if wanted else []
        return sorted(
            TopicPartition(topic["topic"], part["partition"])
            for topic in found
            if topic["error_code"] == 0
            for part in topic["partitions"]
        )
