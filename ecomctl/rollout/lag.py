"""How far a consumer group is behind its topics, for the `lag` gate of a canary step.

Both colors of a service consume in one group, so the group's lag is the backlog of the
service as a whole: a green that handles events slower (or not at all) makes it grow.
Read with confluent-kafka, ecomctl's own Kafka client (aiokafka belongs to the kit that the
services run, not to ecomctl). Reading committed offsets never joins the group, so asking
does not trigger a rebalance of the consumers being judged.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from ecomctl.errors import UserError

# Every admin request carries librdkafka's own timeout and its future is waited for to the
# end, so no request outlives the client that made it.
TIMEOUT_S = 10.0
RETRY_S = 15.0  # how long a coordinator that is still loading is waited for


async def group_lag(bootstrap: str, group: str, topics: list[str] | None = None) -> int | None:
    """Records of `topics` (default: those the group committed on) that `group` has not
    committed yet; None when the group has committed nothing there (it never consumed, or
    does not exist), since its lag is then unknown rather than zero."""
    return await asyncio.to_thread(consumer_lag, bootstrap, group, topics)


def consumer_lag(bootstrap: str, group: str, topics: list[str] | None = None) -> int | None:
    """`group_lag` for callers without an event loop."""
    from confluent_kafka import KafkaException
    from confluent_kafka.admin import AdminClient

    admin = AdminClient(_config(bootstrap))
    deadline = time.monotonic() + RETRY_S
    while True:
        try:
            return _lag(admin, group, topics)
        except KafkaException as exc:
            if _transient(exc) and time.monotonic() < deadline:
                time.sleep(0.5)
                continue
            raise UserError(
                f"cannot read the lag of consumer group {group!r} at {bootstrap} ({exc})",
                hint="is the stack up? `ecomctl status`",
            ) from None


def _lag(admin: Any, group: str, topics: list[str] | None) -> int | None:
    # librdkafka crashes the process (NULL group handle in rd_kafka_cgrp_op) when the
    # answer to ListConsumerGroupOffsets is a coordinator error, as a broker that just
    # started gives (librdkafka#5040, confluent-kafka-python#1982). DescribeGroups fails
    # cleanly instead; once it answers, the group's coordinator is there to answer.
    admin.describe_consumer_groups([group], request_timeout=TIMEOUT_S)[group].result()
    committed = _committed(admin, group, topics)
    if not any(offset >= 0 for offset in committed.values()):
        return None
    ends = _end_offsets(admin, list(committed))
    # A partition the group never committed on counts in full: the kit's consumers start
    # from the earliest offset, so all of it is still ahead of them.
    starts = _start_offsets(admin, [tp for tp, offset in committed.items() if offset < 0])
    return sum(
        max(0, ends[tp] - (offset if offset >= 0 else starts[tp]))
        for tp, offset in committed.items()
    )


def _transient(exc: Exception) -> bool:
    """A broker that just started or moved the group's coordinator answers these for a
    few seconds; asking again is the documented remedy."""
    from confluent_kafka import KafkaError

    error = exc.args[0] if exc.args else None
    if not isinstance(error, KafkaError):
        return False
    return bool(error.retriable()) or error.code() in {
        KafkaError.COORDINATOR_LOAD_IN_PROGRESS,
        KafkaError.COORDINATOR_NOT_AVAILABLE,
        KafkaError.NOT_COORDINATOR,
        KafkaError._TIMED_OUT,
    }


Partition = tuple[str, int]


def _config(bootstrap: str) -> dict[str, Any]:
    # log_level 4: librdkafka's info chatter stays off the terminal.
    return {"bootstrap.servers": bootstrap, "socket.timeout.ms": 10000, "log_level": 4}


def _committed(admin: Any, group: str, topics: list[str] | None) -> dict[Partition, int]:
    """The group's committed offset per partition (-1 when it has none there)."""
    from confluent_kafka import ConsumerGroupTopicPartitions, TopicPartition

    partitions = None
    if topics is not None:
        metadata = admin.list_topics(timeout=TIMEOUT_S)
        partitions = [
            TopicPartition(topic, p)
            for topic in topics
            if topic in metadata.topics
            for p in metadata.topics[topic].partitions
        ]
        if not partitions:
            return {}
    request = [ConsumerGroupTopicPartitions(group, partitions)]
    result = admin.list_consumer_group_offsets(request, request_timeout=TIMEOUT_S)[group].result()
    return {(tp.topic, tp.partition): tp.offset for tp in result.topic_partitions}


def _end_offsets(admin: Any, partitions: list[Partition]) -> dict[Partition, int]:
    """The last stable offset: the end a read_committed consumer (the kit's) can reach."""
    return _offsets(admin, partitions, latest=True)


def _start_offsets(admin: Any, partitions: list[Partition]) -> dict[Partition, int]:
    return _offsets(admin, partitions, latest=False) if partitions else {}


def _offsets(admin: Any, partitions: list[Partition], *, latest: bool) -> dict[Partition, int]:
    from confluent_kafka import IsolationLevel, TopicPartition
    from confluent_kafka.admin import OffsetSpec  # type: ignore[attr-defined]

    spec = OffsetSpec.latest() if latest else OffsetSpec.earliest()  # type: ignore[no-untyped-call]
    futures = admin.list_offsets(
        {TopicPartition(topic, p): spec for topic, p in partitions},
        isolation_level=IsolationLevel.READ_COMMITTED,
        request_timeout=TIMEOUT_S,
    )
    return {(tp.topic, tp.partition): future.result().offset for tp, future in futures.items()}
