from dataclasses import dataclass, field
from typing import Any

import pytest
from prometheus_client import REGISTRY

from ecomkit.consumer import Backoff, PermanentError, RecordProcessor
from ecomkit.events import Envelope, encode
from ecomkit.inbox import IdempotentEffects
from ecomkit.testing import InMemoryInbox, InMemoryProducer

pytestmark = pytest.mark.anyio
NO_WAIT = Backoff(initial_s=0, max_s=0)


@dataclass
class FakeRecord:
    value: bytes | None
    topic: str = "order-created-events"
    partition: int = 0
    offset: int = 7
    key: bytes | None = b"42"
    headers: list[tuple[str, bytes]] = field(default_factory=lambda: [("correlation-id", b"c1")])


def record_of(envelope: Envelope) -> FakeRecord:
    return FakeRecord(encode(envelope))


class Calls:
    def __init__(self, fail_times: int = 0, error: Exception | None = None) -> None:
        self.calls = 0
        self.fail_times = fail_times
        self.error = error or ConnectionError("flaky")

    async def __call__(self, envelope: Envelope, uow: Any) -> None:
        self.calls += 1
        if self.calls <= self.fail_times:
            raise self.error


def processor(handler: Any, dlq: InMemoryProducer, max_attempts: int = 3) -> RecordProcessor:
    return RecordProcessor(
        "inventory",
        handler,
        inbox=InMemoryInbox(),
        dlq_producer=dlq,
        max_attempts=max_attempts,
        backoff=NO_WAIT,
    )


async def test_handles_once_and_skips_redelivery() -> None:
    dlq, handler = InMemoryProducer(), Calls()
    proc = processor(handler, dlq)
    record = record_of(Envelope(type="OrderCreated", source="order", data={}))
    assert await proc.process(record) == "handled"
    assert await proc.process(record) == "duplicate"
    assert handler.calls == 1 and dlq.sent == []


async def test_transient_errors_are_retried() -> None:
    dlq, handler = InMemoryProducer(), Calls(fail_times=2)
    proc = processor(handler, dlq, max_attempts=3)
    assert await proc.process(record_of(Envelope(type="T", source="s", data={}))) == "handled"
    assert handler.calls == 3 and dlq.sent == []


async def test_always_failing_handler_ends_in_the_dlq_with_error_headers() -> None:
    dlq, handler = InMemoryProducer(), Calls(fail_times=99)
    proc = processor(handler, dlq, max_attempts=4)
    record = record_of(Envelope(type="T", source="s", data={}))
    assert await proc.process(record) == "dead-lettered"
    assert handler.calls == 4
    [dead] = dlq.on("order-created-events.DLQ")
    assert dead.value == record.value and dead.key == b"42"
    assert dead.header("dlq-attempts") == "4"
    assert dead.header("dlq-original-topic") == "order-created-events"
    assert dead.header("dlq-error") == "ConnectionError: flaky"
    assert dead.header("correlation-id") == "c1"


async def test_permanent_error_goes_to_the_dlq_at_once() -> None:
    dlq, handler = InMemoryProducer(), Calls(fail_times=99, error=PermanentError("bad data"))
    proc = processor(handler, dlq, max_attempts=5)
    assert await proc.process(record_of(Envelope(type="T", source="s", data={}))) == "dead-lettered"
    assert handler.calls == 1
    assert dlq.sent[0].header("dlq-attempts") == "1"


async def test_undecodable_record_goes_to_the_dlq() -> None:
    dlq, handler = InMemoryProducer(), Calls()
    assert await processor(handler, dlq).process(FakeRecord(b"garbage")) == "dead-lettered"
    assert handler.calls == 0
    assert (
        dlq.sent[0]
        .header(
            "dlq-error",
        )
        .startswith("UndecodableEvent")
    )


async def test_dlq_failure_propagates_so_the_offset_is_not_committed() -> None:
    dlq, handler = InMemoryProducer(fail_next=1), Calls(fail_times=99)
    with pytest.raises(ConnectionError):
        await processor(handler, dlq, max_attempts=1).process(FakeRecord(b"garbage"))


async def test_handler_sees_the_correlation_id() -> None:
    from ecomkit.context import current_correlation_id

    seen: list[str | None] = []

    async def handler(envelope: Envelope, uow: Any) -> None:
        seen.append(current_correlation_id())

    await processor(handler, InMemoryProducer()).process(
        record_of(Envelope(type="T", source="s", data={}))
    )
    assert seen == ["c1"]


async def test_cancellation_while_handling_is_not_retried() -> None:
    import asyncio

    started, calls = asyncio.Event(), []

    async def hangs(envelope: Envelope, uow: Any) -> None:
        calls.append(1)
        started.set()
        await asyncio.sleep(3600)

    proc = processor(hangs, InMemoryProducer())
    task = asyncio.create_task(proc.process(record_of(Envelope(type="T", source="s", data={}))))
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert calls == [1]


async def test_keyed_effects_hands_every_delivery_to_the_handler() -> None:
    """`IdempotentEffects` records nothing itself: a redelivery reaches the handler again (whose
    unique record under the event id keeps the effect single: the notification log's
    contract tests), with no unit of work."""
    handler = Calls()
    seen_uows: list[Any] = []

    async def recording(envelope: Envelope, uow: Any) -> None:
        seen_uows.append(uow)
        await handler(envelope, uow)

    inbox = IdempotentEffects()
    envelope = Envelope(type="OrderPaid", source="t", subject="1", data={})
    assert await inbox.handle(envelope, "notification", recording)
    assert await inbox.handle(envelope, "notification", recording)
    assert handler.calls == 2 and seen_uows == [None, None]


def consumed(consumer: str, outcome: str, topic: str = "order-created-events") -> float:
    labels = {"consumer": consumer, "topic": topic, "outcome": outcome}
    return REGISTRY.get_sample_value("ecom_events_consumed_total", labels) or 0.0


def failures(consumer: str, topic: str = "order-created-events") -> float:
    labels = {"consumer": consumer, "topic": topic}
    return REGISTRY.get_sample_value("ecom_event_failures_total", labels) or 0.0


def named(name: str, handler: Any, dlq: InMemoryProducer, max_attempts: int) -> RecordProcessor:
    """A processor with a consumer name of its own: the metrics are process-wide."""
    return RecordProcessor(
        name,
        handler,
        inbox=InMemoryInbox(),
        dlq_producer=dlq,
        max_attempts=max_attempts,
        backoff=NO_WAIT,
    )


async def test_metrics_count_each_outcome() -> None:
    proc = named("metrics-outcomes", Calls(), InMemoryProducer(), max_attempts=2)
    record = record_of(Envelope(type="T", source="s", data={}))
    await proc.process(record)
    await proc.process(record)
    await proc.process(FakeRecord(b"garbage"))
    assert consumed("metrics-outcomes", "handled") == 1
    assert consumed("metrics-outcomes", "duplicate") == 1
    assert consumed("metrics-outcomes", "dead-lettered") == 1
    assert failures("metrics-outcomes") == 1  # the undecodable record's one attempt


async def test_metrics_count_every_failed_attempt_retried_or_not() -> None:
    flaky = named("metrics-flaky", Calls(fail_times=2), InMemoryProducer(), max_attempts=5)
    await flaky.process(record_of(Envelope(type="T", source="s", data={})))
    assert failures("metrics-flaky") == 2
    assert consumed("metrics-flaky", "handled") == 1

    broken = named("metrics-broken", Calls(fail_times=99), InMemoryProducer(), max_attempts=3)
    await broken.process(record_of(Envelope(type="T", source="s", data={})))
    assert failures("metrics-broken") == 3
    assert consumed("metrics-broken", "dead-lettered") == 1

    permanent = Calls(fail_times=99, error=PermanentError("bad data"))
    once = named("metrics-permanent", permanent, InMemoryProducer(), max_attempts=3)
    await once.process(record_of(Envelope(type="T", source="s", data={})))
    assert failures("metrics-permanent") == 1
