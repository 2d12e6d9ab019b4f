"""Reading and re-publishing the saga's Kafka topics, as an outside observer.

Reads never join the services' consumer groups (partitions are assigned, offsets never
committed), so observing the saga cannot change it. Offsets are plain
`{topic: {partition: offset}}` maps so they serialise into `--json` output.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ecomctl.errors import UserError

Offsets = dict[str, dict[int, int]]
Headers = list[tuple[str, bytes]]

SAGA_TOPICS = (
    "order-created-events",
    "inventory-reserved-events",
    "inventory-reservation-failed-events",
    "payment-completed-events",
    "payment-failed-events",
    "order-paid-events",
    "order-cancelled-events",
    "order-shipped-events",
    "refund-completed-events",
)
DLQ_SUFFIX = ".DLQ"
# Which topics each service's consumer group reads (the issue-5 contract).
SAGA_CONSUMERS: dict[str, tuple[str, ...]] = {
    "order": (
        "inventory-reserved-events",
        "inventory-reservation-failed-events",
        "payment-completed-events",
        "payment-failed-events",
    ),
    "payment": ("inventory-reserved-events", "order-cancelled-events"),
    "inventory": (
        "order-created-events",
        "order-cancelled-events",
        "payment-failed-events",
        "order-paid-events",
    ),
    "notification": (
        "order-created-events",
        "order-paid-events",
        "order-shipped-events",
        "order-cancelled-events",
        "payment-completed-events",
        "payment-failed-events",
    ),
}
READ_TIMEOUT_S = 20.0


@dataclass(frozen=True)
class Record:
    topic: str
    partition: int
    offset: int
    timestamp_ms: int
    key: bytes | None
    value: bytes | None
    headers: Headers = field(default_factory=list)

    def envelope(self) -> dict[str, Any]:
        try:
            found = json.loads(self.value or b"")
        except ValueError:
            return {}
        return found if isinstance(found, dict) else {}

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key == name:
                return value.decode(errors="replace") if value is not None else None
        return None

    @property
    def key_text(self) -> str:
        return self.key.decode(errors="replace") if self.key else ""


def _config(bootstrap: str) -> dict[str, Any]:
    # log_level 4: librdkafka's info chatter (queue purges on close) stays off the terminal.
    return {"bootstrap.servers": bootstrap, "socket.timeout.ms": 10000, "log_level": 4}


class EventLog:
    """Topics of one broker: watermarks, reads from given offsets, byte-identical re-publish."""

    def __init__(self, bootstrap: str) -> None:
        self.bootstrap = bootstrap

    def topics(self) -> list[str]:
        from confluent_kafka.admin import AdminClient

        try:
            metadata = AdminClient(_config(self.bootstrap)).list_topics(timeout=10)
        except Exception as exc:  # KafkaException: the broker did not answer
            raise UserError(
                f"cannot reach Kafka at {self.bootstrap} ({exc})",
                hint="is the stack up? `ecomctl status`",
            ) from None
        return sorted(name for name in metadata.topics if not name.startswith("__"))

    def end_offsets(self, topics: Iterable[str]) -> Offsets:
        """The next offset of every partition (what a read started now would begin with)."""
        return self._watermarks(topics, high=True)

    def start_offsets(self, topics: Iterable[str]) -> Offsets:
        return self._watermarks(topics, high=False)

    def _watermarks(self, topics: Iterable[str], *, high: bool) -> Offsets:
        from confluent_kafka import Consumer, TopicPartition

        consumer = Consumer({**_config(self.bootstrap), "group.id": f"ecomctl-{uuid.uuid4()}"})
        try:
            result: Offsets = {}
            metadata = consumer.list_topics(timeout=10)
            for topic in topics:
                found = metadata.topics.get(topic)
                if found is None or found.error is not None:
                    result[topic] = {}
                    continue
                result[topic] = {}
                for partition in found.partitions:
                    low, hi = consumer.get_watermark_offsets(
                        TopicPartition(topic, partition), timeout=10
                    )
                    result[topic][partition] = hi if high else low
            return result
        finally:
            consumer.close()

    def read(self, start: Offsets, *, end: Offsets | None = None) -> list[Record]:
        """Every record of `start`'s topics from its offsets up to `end` (default: now)."""
        from confluent_kafka import Consumer, KafkaError, TopicPartition

        end = end or self.end_offsets(start)
        # A partition missing from `start` (its topic was created later) is read from 0.
        wanted = {
            (topic, p): (start.get(topic, {}).get(p, 0), last)
            for topic, parts in end.items()
            for p, last in parts.items()
            if last > start.get(topic, {}).get(p, 0)
        }
        if not wanted:
            return []
        consumer = Consumer(
            {
                **_config(self.bootstrap),
                "group.id": f"ecomctl-{uuid.uuid4()}",
                "enable.auto.commit": False,
                "enable.partition.eof": True,
            }
        )
        records: list[Record] = []
        try:
            consumer.assign([TopicPartition(t, p, first) for (t, p), (first, _) in wanted.items()])
            pending = set(wanted)
            deadline = time.monotonic() + READ_TIMEOUT_S
            while pending and time.monotonic() < deadline:
                message = consumer.poll(0.5)
                if message is None:
                    continue
                where = (str(message.topic()), int(message.partition() or 0))
                error = message.error()
                if error is not None:
                    # End of a partition: done with it (offsets may skip, e.g. control records).
                    if error.code() == KafkaError._PARTITION_EOF:
                        pending.discard(where)
                    continue
                offset = int(message.offset() or 0)
                if where not in wanted or offset >= wanted[where][1]:
                    pending.discard(where)
                    continue
                records.append(_record(message))
                if offset + 1 >= wanted[where][1]:
                    pending.discard(where)
        finally:
            consumer.close()
        return records

    def publish(self, records: Iterable[Record], *, topic: str | None = None) -> int:
        """Send each record again, byte-identical (key, value, headers), to its topic or `topic`."""
        from confluent_kafka import Producer

        producer = Producer({**_config(self.bootstrap), "enable.idempotence": True})
        errors: list[str] = []

        def delivered(error: Any, _message: Any) -> None:
            if error is not None:
                errors.append(str(error))

        count = 0
        for record in records:
            producer.produce(
                topic or record.topic,
                value=record.value,
                key=record.key,
                headers=list(record.headers),
                on_delivery=delivered,
            )
            count += 1
        remaining = producer.flush(30)
        if remaining or errors:
            raise UserError(
                f"Kafka did not take {remaining or len(errors)} message(s): {errors[:1]}"
            )
        return count

    def lag(self, consumers: dict[str, tuple[str, ...]]) -> dict[str, int]:
        """Messages each consumer group has still to handle (end offset - committed offset).

        A partition the group never committed counts in full: the kit's consumers start
        from the earliest offset, so those messages are still ahead of it.
        """
        from confluent_kafka import ConsumerGroupTopicPartitions, TopicPartition
        from confluent_kafka.admin import AdminClient

        admin = AdminClient(_config(self.bootstrap))
        ends = self.end_offsets({t for topics in consumers.values() for t in topics})
        starts = self.start_offsets(ends)
        result: dict[str, int] = {}
        for group, topics in consumers.items():
            partitions = [TopicPartition(t, p) for t in topics for p in ends.get(t, {})]
            request = [ConsumerGroupTopicPartitions(group, partitions)]
            committed = admin.list_consumer_group_offsets(request)[group].result()
            behind = 0
            for tp in committed.topic_partitions:
                end = ends[tp.topic][tp.partition]
                done = tp.offset if tp.offset >= 0 else starts[tp.topic][tp.partition]
                behind += max(0, end - done)
            result[group] = behind
        return result


def _record(message: Any) -> Record:
    _kind, timestamp = message.timestamp()
    return Record(
        topic=message.topic(),
        partition=message.partition(),
        offset=message.offset(),
        timestamp_ms=int(timestamp),
        key=message.key(),
        value=message.value(),
        headers=list(message.headers() or []),
    )
