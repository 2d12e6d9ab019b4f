"""Kafka clients with the settings the outbox relay and consumers rely on.

aiokafka 0.14 talks to the Kafka 4.x (KRaft) broker of the platform: produce, consumer
groups and offset commits are covered by tests/integration/test_kit_kafka.py.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Sequence
from typing import Any, Protocol

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

Headers = list[tuple[str, bytes]]


class Producer(Protocol):
    """The part of `AIOKafkaProducer` the kit uses; fakes implement the same two calls.

    `send` returns once the record is queued, and its result resolves when the broker acked.
    """

    async def send(
        self,
        topic: str,
        value: bytes | None = None,
        key: bytes | None = None,
        partition: int | None = None,
        timestamp_ms: int | None = None,
        headers: Headers | None = None,
    ) -> Awaitable[Any]: ...

    async def send_and_wait(
        self,
        topic: str,
        value: bytes | None = None,
        key: bytes | None = None,
        partition: int | None = None,
        timestamp_ms: int | None = None,
        headers: Headers | None = None,
    ) -> Any: ...


def create_producer(bootstrap: str, *, client_id: str | None = None) -> AIOKafkaProducer:
    """Idempotent, acks=all: a retried send neither duplicates nor reorders within a partition."""
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        client_id=client_id,
        acks="all",
        enable_idempotence=True,
        linger_ms=5,
        request_timeout_ms=15_000,
    )


def create_consumer(
    bootstrap: str, group_id: str, topics: Sequence[str], **overrides: Any
) -> AIOKafkaConsumer:
    """Offsets are committed by the caller after handling (never automatically).

    A fetch request to the broker leaves out the partitions that still have fetched
    records waiting; records arriving on them meanwhile wait for that request to return.
    A short long-poll (`fetch_max_wait_ms`) bounds that wait (aiokafka's default is 500 ms).
    """
    options: dict[str, Any] = {
        "bootstrap_servers": bootstrap,
        "group_id": group_id,
        "enable_auto_commit": False,
        "auto_offset_reset": "earliest",
        "isolation_level": "read_committed",
        "fetch_max_wait_ms": 50,
    }
    options.update(overrides)
    return AIOKafkaConsumer(*topics, **options)


async def ensure_topics(
    bootstrap: str, topics: Sequence[str], *, partitions: int = 3, replication: int = 1
) -> None:
    """Create the topics that do not exist yet (idempotent; for start-up and tests)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [t for t in topics if t not in existing]
        if not missing:
            return
        # Another process may create one between the listing and now.
        with contextlib.suppress(TopicAlreadyExistsError):
            await admin.create_topics(
                [
                    NewTopic(t, num_partitions=partitions, replication_factor=replication)
                    for t in missing
                ]
            )
    finally:
        await admin.close()
