"""The lag of a consumer group, read from a real broker (a Kafka-only stack of its own)."""

from __future__ import annotations

import asyncio
import json
import os
import uuid
from collections.abc import Iterator

import pytest

from ecomctl.rollout.lag import consumer_lag, group_lag
from tests.integration.conftest import OFFSET, UP_TIMEOUT_S, run_ecomctl

# Small: every port of the stack (mongo 27017 the highest) must stay below 65536.
KAFKA_OFFSET = OFFSET + int(os.environ.get("ECOMCTL_TEST_ROLLOUT_SHIFT", "300"))


@pytest.fixture(scope="module")
def kafka(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    workspace = str(tmp_path_factory.mktemp("kafka-only"))
    up = run_ecomctl(
        "-w", workspace, "up", "--runtime", "local", "--yes", "--json", "--only", "kafka",
        "--port-offset", str(KAFKA_OFFSET), timeout=UP_TIMEOUT_S,
    )  # fmt: skip
    if up.returncode != 0:
        run_ecomctl("-w", workspace, "down")
        pytest.fail(f"ecomctl up --only kafka failed ({up.returncode}):\n{up.stderr[-4000:]}")
    port = next(c["port"] for c in json.loads(up.stdout)["components"] if c["name"] == "kafka")
    yield f"127.0.0.1:{port}"
    run_ecomctl("-w", workspace, "down", "--volumes", check=True)


def new_topic(bootstrap: str, partitions: int) -> str:
    from confluent_kafka.admin import AdminClient, NewTopic  # type: ignore[attr-defined]

    name = f"rollout-lag-{uuid.uuid4().hex[:8]}"
    admin = AdminClient({"bootstrap.servers": bootstrap})  # alive until the topic exists
    created = admin.create_topics([NewTopic(name, num_partitions=partitions, replication_factor=1)])
    created[name].result(timeout=30)
    return name


def produce(bootstrap: str, topic: str, partition: int, count: int) -> None:
    from confluent_kafka import Producer

    producer = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True})
    for i in range(count):
        producer.produce(topic, value=f"record {i}".encode(), partition=partition)
    assert producer.flush(30) == 0


def consume_and_commit(bootstrap: str, group: str, topic: str, count: int) -> None:
    """Reads `count` records of partition 0 as `group` and commits after them."""
    from confluent_kafka import Consumer, TopicPartition

    consumer = Consumer(
        {"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False}
    )
    try:
        consumer.assign([TopicPartition(topic, 0, 0)])
        read = 0
        for _ in range(100):
            message = consumer.poll(0.5)
            if message is not None and message.error() is None:
                read += 1
                if read == count:
                    break
        assert read == count
        consumer.commit(offsets=[TopicPartition(topic, 0, count)], asynchronous=False)
    finally:
        consumer.close()


def test_lag_is_the_records_after_the_committed_offset(kafka: str) -> None:
    topic = new_topic(kafka, partitions=1)
    group = f"rollout-lag-{uuid.uuid4().hex[:8]}"
    produce(kafka, topic, 0, 5)
    assert consumer_lag(kafka, group) is None  # nothing committed yet: unknown, not 0

    consume_and_commit(kafka, group, topic, 2)

    assert consumer_lag(kafka, group) == 3
    assert asyncio.run(group_lag(kafka, group, [topic])) == 3


def test_a_partition_the_group_never_committed_on_counts_in_full_for_its_topics(
    kafka: str,
) -> None:
    topic = new_topic(kafka, partitions=2)
    group = f"rollout-lag-{uuid.uuid4().hex[:8]}"
    produce(kafka, topic, 0, 5)
    produce(kafka, topic, 1, 4)
    consume_and_commit(kafka, group, topic, 5)

    assert consumer_lag(kafka, group) == 0  # the partitions it committed on
    assert asyncio.run(group_lag(kafka, group, [topic])) == 4  # and the one it has not
    assert asyncio.run(group_lag(kafka, group, ["no-such-topic"])) is None
