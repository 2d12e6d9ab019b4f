"""Consumer lag, dead letters, outbox age and business counters: what the samplers report."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest
from aiokafka import TopicPartition
from prometheus_client import REGISTRY

from ecomkit.business_metrics import count_committed, reason_kind
from ecomkit.events import Event
from ecomkit.kafka_metrics import OffsetSampler
from ecomkit.store_metrics import age_seconds

pytestmark = pytest.mark.anyio

TOPIC = "order-created-events"


def value(name: str, **labels: str) -> float | None:
    return REGISTRY.get_sample_value(name, labels)


class Offsets:
    """The offsets a broker would answer, per partition."""

    def __init__(self) -> None:
        self.assigned = {TopicPartition(TOPIC, 0), TopicPartition(TOPIC, 1)}
        self.ends = {TopicPartition(TOPIC, 0): 10, TopicPartition(TOPIC, 1): 4}
        self.starts: dict[TopicPartition, int] = {TopicPartition(TOPIC, 1): 1}
        self.commits: dict[TopicPartition, int | None] = {TopicPartition(TOPIC, 0): 7}
        self.dlq = {0, 1}

    def assignment(self) -> set[TopicPartition]:
        return set(self.assigned)

    def partitions_for_topic(self, topic: str) -> set[int] | None:
        return self.dlq if topic.endswith(".DLQ") else {0, 1}

    async def committed(self, partition: TopicPartition) -> int | None:
        return self.commits.get(partition)

    async def end_offsets(self, partitions: Sequence[TopicPartition]) -> dict[TopicPartition, int]:
        return {tp: self.ends.get(tp, 0) for tp in partitions}

    async def beginning_offsets(
        self, partitions: Sequence[TopicPartition]
    ) -> dict[TopicPartition, int]:
        return {tp: self.starts.get(tp, 0) for tp in partitions}


async def test_lag_is_the_records_past_the_committed_offset() -> None:
    offsets = Offsets()
    sampler = OffsetSampler(offsets, "lag-group", [TOPIC + ".DLQ"])
    await sampler.sample()
    lag = "ecom_kafka_consumer_lag"
    assert value(lag, group="lag-group", topic=TOPIC, partition="0") == 3
    # Never committed: everything still on the partition (4 - 1) is owed.
    assert value(lag, group="lag-group", topic=TOPIC, partition="1") == 3


async def test_a_partition_taken_away_stops_being_reported() -> None:
    offsets = Offsets()
    sampler = OffsetSampler(offsets, "moving-group", [])
    await sampler.sample()
    offsets.assigned = {TopicPartition(TOPIC, 0)}
    await sampler.sample()
    lag = "ecom_kafka_consumer_lag"
    assert value(lag, group="moving-group", topic=TOPIC, partition="1") is None
    assert value(lag, group="moving-group", topic=TOPIC, partition="0") == 3
    sampler.forget()
    assert value(lag, group="moving-group", topic=TOPIC, partition="0") is None


async def test_dead_letters_held_are_counted_over_every_partition() -> None:
    offsets = Offsets()
    dlq = "payment-events.DLQ"
    offsets.ends.update({TopicPartition(dlq, 0): 5, TopicPartition(dlq, 1): 2})
    offsets.starts[TopicPartition(dlq, 0)] = 1
    await OffsetSampler(offsets, "dlq-group", [dlq]).sample()
    assert value("ecom_dlq_messages", topic=dlq) == 6


def test_outbox_age_by_the_database_clock_whatever_the_driver_did_with_the_zone() -> None:
    now = datetime(2026, 1, 1, 12, 0, 30, tzinfo=UTC)
    assert age_seconds(None, now) == 0.0
    assert age_seconds(now - timedelta(seconds=30), now) == 30.0
    assert age_seconds(datetime(2026, 1, 1, 12, 0, 0), now) == 30.0
    assert age_seconds(now + timedelta(seconds=5), now) == 0.0  # clock skew is not negative


def event(event_type: str, **data: object) -> Event:
    return Event(type=event_type, topic="t", key="1", data=dict(data))


def test_business_counters_move_with_the_committed_events() -> None:
    def paid() -> float:
        return value("ecom_orders_paid_total", currency="EUR") or 0.0

    def revenue() -> float:
        return value("ecom_order_revenue_total", currency="EUR") or 0.0

    def declined() -> float:
        return value("ecom_payment_failures_total", decline_code="card_declined") or 0.0

    def stock_outs() -> float:
        return value("ecom_stock_outs_total") or 0.0

    before = paid(), revenue(), declined(), stock_outs()
    count_committed(
        [
            event("OrderPaid", order_id=1, currency="EUR", total_amount="12.50"),
            event("PaymentFailed", order_id=2, decline_code="card_declined", reason="declined"),
            event("InventoryReservationFailed", order_id=3, reason="short", items=[{}, {}]),
            event("SomethingElse", order_id=4),
        ]
    )
    assert paid() - before[0] == 1
    assert revenue() - before[1] == 12.5
    assert declined() - before[2] == 1
    assert stock_outs() - before[3] == 2


def test_reasons_are_cut_to_their_kind() -> None:
    assert reason_kind("payment failed: card_declined") == "payment failed"
    assert reason_kind(None) == "unknown"
    assert len(reason_kind("x" * 500)) == 40
