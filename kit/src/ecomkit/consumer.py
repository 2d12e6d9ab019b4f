"""Kafka consumers that lose nothing and apply each event once (DESIGN 5).

Per record: decode the envelope, hand it to the inbox (which skips a handled event id),
retry transient errors with exponential backoff, and after `max_attempts` (or at once for
a `PermanentError`/undecodable record) publish it to `<topic>.DLQ` with `dlq-error`,
`dlq-attempts` and `dlq-original-topic` headers. Offsets are committed only after every
record fetched from a partition so far was handled or dead-lettered, at most every
`commit_interval_s` and whenever partitions are revoked or the consumer stops; a crash
before that redelivers them, which the inbox turns into no-ops.

Records are handled concurrently except those with the same key, which are handled one
after the other in offset order: events are keyed by their aggregate (the order id), so
one aggregate's events keep their order, while one slow event no longer holds up every
other order's.

Metrics: `ecom_events_consumed_total{consumer,topic,outcome}` (handled, duplicate,
dead-lettered) and `ecom_event_failures_total{consumer,topic}` (every failed attempt, the
retried ones too), so a release that breaks a handler shows before its events reach the DLQ.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, TopicPartition
from opentelemetry import trace
from prometheus_client import Counter
from tenacity import (
    AsyncRetrying,
    RetryError,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential,
)

from ecomkit.context import correlation_id_var
from ecomkit.events import HEADER_CORRELATION_ID, HEADER_EVENT_TYPE, UndecodableEvent, decode
from ecomkit.inbox import Handler, Inbox
from ecomkit.kafka import Producer, create_consumer, create_producer, ensure_topics
from ecomkit.kafka_metrics import CONSUMER_PAUSED, OffsetSampler
from ecomkit.tracing import (
    context_from_headers,
    current_trace_headers,
    kafka_headers_to_dict,
    mark_failed,
    producer_span,
)

log = logging.getLogger(__name__)
tracer = trace.get_tracer("ecomkit.consumer")

DLQ_SUFFIX = ".DLQ"
HEADER_DLQ_ERROR = "dlq-error"
HEADER_DLQ_ATTEMPTS = "dlq-attempts"
HEADER_DLQ_ORIGINAL_TOPIC = "dlq-original-topic"
HEADER_DLQ_ORIGINAL_PARTITION = "dlq-original-partition"
HEADER_DLQ_ORIGINAL_OFFSET = "dlq-original-offset"
# A stop waits this long for the records being handled before cancelling them.
STOP_GRACE_S = 5.0

EVENTS_CONSUMED = Counter(
    "ecom_events_consumed_total",
    "Events consumed, by outcome (handled, duplicate, dead-lettered)",
    ["consumer", "topic", "outcome"],
)
EVENT_FAILURES = Counter(
    "ecom_event_failures_total",
    "Failed attempts at handling an event (each retry counts)",
    ["consumer", "topic"],
)


class PermanentError(Exception):
    """Raised by a handler when retrying cannot help (the event goes to the DLQ at once)."""


@dataclass(frozen=True)
class Backoff:
    initial_s: float = 0.2
    max_s: float = 5.0


class Record(Protocol):
    """The fields of aiokafka's ConsumerRecord the processor reads."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: Sequence[tuple[str, bytes]]


def _transient(exc: BaseException) -> bool:
    """Worth another try. Never a CancelledError: tenacity would otherwise swallow a
    shutdown and call the handler again."""
    return isinstance(exc, Exception) and not isinstance(exc, PermanentError | UndecodableEvent)


class RecordProcessor:
    """Handles one record to the end: handled, skipped as duplicate, or dead-lettered."""

    def __init__(
        self,
        consumer_name: str,
        handler: Handler,
        *,
        inbox: Inbox,
        dlq_producer: Producer,
        max_attempts: int = 5,
        backoff: Backoff = Backoff(),
    ) -> None:
        self._name = consumer_name
        self._handler = handler
        self._inbox = inbox
        self._dlq = dlq_producer
        self._max_attempts = max_attempts
        self._backoff = backoff

    async def process(self, record: Record) -> str:
        """Returns "handled", "duplicate" or "dead-lettered"; raises only if the DLQ fails."""
        headers = kafka_headers_to_dict(record.headers)
        token = correlation_id_var.set(headers.get(HEADER_CORRELATION_ID))
        try:
            with tracer.start_as_current_span(
                f"consume {record.topic}",
                context=context_from_headers(headers),
                kind=trace.SpanKind.CONSUMER,
                attributes={
                    "messaging.system": "kafka",
                    "messaging.destination.name": record.topic,
                    "messaging.consumer.group.name": self._name,
                    "messaging.kafka.message.offset": record.offset,
                    "messaging.destination.partition.id": str(record.partition),
                },
            ) as span:
                event_type = headers.get(HEADER_EVENT_TYPE)
                if event_type:
                    span.set_attribute("event.type", event_type)
                return await self._process(record)
        finally:
            correlation_id_var.reset(token)

    async def _process(self, record: Record) -> str:
        outcome = await self._outcome(record)
        EVENTS_CONSUMED.labels(self._name, record.topic, outcome).inc()
        return outcome

    async def _outcome(self, record: Record) -> str:
        attempts = 0
        try:
            envelope = decode(record.value)
            async for attempt in AsyncRetrying(
                stop=stop_after_attempt(self._max_attempts),
                wait=wait_exponential(multiplier=self._backoff.initial_s, max=self._backoff.max_s),
                retry=retry_if_exception(_transient),
            ):
                with attempt:
                    attempts += 1
                    try:
                        handled = await self._inbox.handle(envelope, self._name, self._handler)
                    except Exception as failed:
                        EVENT_FAILURES.labels(self._name, record.topic).inc()
                        # A retry shows in the trace as an event of the consumer span.
                        trace.get_current_span().add_event(
                            "attempt failed",
                            {"attempt": attempts, "error": f"{type(failed).__name__}: {failed}"},
                        )
                        raise
            return "handled" if handled else "duplicate"
        except RetryError as exc:
            error = exc.last_attempt.exception()
        except (PermanentError, UndecodableEvent) as exc:
            if attempts == 0:  # undecodable before any handler ran: its one failed attempt
                EVENT_FAILURES.labels(self._name, record.topic).inc()
            error = exc
        log.error(
            "event at %s[%d]@%d failed %d time(s), sending it to the DLQ: %r",
            record.topic,
            record.partition,
            record.offset,
            max(attempts, 1),
            error,
        )
        mark_failed(trace.get_current_span(), error or "dead-lettered")
        await self.dead_letter(record, error, max(attempts, 1))
        return "dead-lettered"

    async def dead_letter(self, record: Record, error: BaseException | None, attempts: int) -> None:
        kept = {
            k: v
            for k, v in kafka_headers_to_dict(record.headers).items()
            if not k.startswith("dlq-")
        }
        # The DLQ hop is a producer span of its own, under this consumer's span (current).
        parent = {**kept, **current_trace_headers()}
        span, headers = producer_span(record.topic + DLQ_SUFFIX, parent)
        headers += [
            (HEADER_DLQ_ERROR, f"{type(error).__name__}: {error}"[:1000].encode()),
            (HEADER_DLQ_ATTEMPTS, str(attempts).encode()),
            (HEADER_DLQ_ORIGINAL_TOPIC, record.topic.encode()),
            (HEADER_DLQ_ORIGINAL_PARTITION, str(record.partition).encode()),
            (HEADER_DLQ_ORIGINAL_OFFSET, str(record.offset).encode()),
        ]
        try:
            await self._dlq.send_and_wait(
                record.topic + DLQ_SUFFIX, record.value, key=record.key, headers=headers
            )
        except Exception as failure:
            mark_failed(span, failure)
            raise
        finally:
            span.end()


class EventConsumer:
    """A consumer-group member that feeds records to a `RecordProcessor`; run it as a
    background task of the app (`background=[consumer]`).

    Each assigned partition is a pipeline of its own: its records are handled one after
    the other, while other partitions' records are handled at the same time (at most
    `concurrency` records at once) and the next batch is fetched meanwhile. A partition's
    offset is committed once everything fetched from it so far was handled; before a
    rebalance takes partitions away, their work is finished and committed.
    """

    def __init__(
        self,
        bootstrap: str,
        group_id: str,
        topics: Sequence[str],
        handler: Handler,
        *,
        inbox: Inbox,
        max_attempts: int = 5,
        backoff: Backoff = Backoff(),
        producer: Producer | None = None,
        create_topics: bool = False,
        consumer_options: dict[str, Any] | None = None,
        concurrency: int = 8,
        max_pending: int = 500,
        commit_interval_s: float = 0.5,
        metrics_interval_s: float = 5.0,
    ) -> None:
        self.bootstrap = bootstrap
        self.group_id = group_id
        self.topics = list(topics)
        self._handler = handler
        self._inbox = inbox
        self._max_attempts = max_attempts
        self._backoff = backoff
        self._producer = producer
        self._create_topics = create_topics
        self._consumer_options = consumer_options or {}
        # Records handled at once; keep it under the database pool's size.
        self._concurrency = concurrency
        # Records fetched but not yet handled before fetching pauses.
        self._max_pending = max_pending
        # Offsets are committed at most this often (and when partitions are revoked or the
        # consumer stops): an OffsetCommit per fetch was a broker write per handful of
        # records. A crash re-delivers at most this much handled work; the inbox absorbs it.
        self._commit_interval_s = commit_interval_s
        self._metrics_interval_s = metrics_interval_s
        self._paused = False

    @property
    def paused(self) -> bool:
        return self._paused

    def pause(self) -> None:
        """Stop fetching (records in flight finish); the member keeps its partitions, so
        their lag grows where an operator can see it. `resume` goes on where it stopped."""
        self._paused = True
        CONSUMER_PAUSED.labels(self.group_id).set(1)

    def resume(self) -> None:
        self._paused = False
        CONSUMER_PAUSED.labels(self.group_id).set(0)

    def _apply_pause(self, consumer: AIOKafkaConsumer) -> None:
        # Every round: a rebalance hands over partitions unpaused.
        assigned = consumer.assignment()
        if self._paused:
            consumer.pause(*assigned)
        elif consumer.paused():
            consumer.resume(*consumer.paused())

    async def run(self) -> None:
        if self._create_topics:
            await ensure_topics(self.bootstrap, self.topics + [t + DLQ_SUFFIX for t in self.topics])
        own_producer = None
        producer = self._producer
        if producer is None:
            own_producer = create_producer(self.bootstrap, client_id=f"{self.group_id}-dlq")
            await own_producer.start()
            producer = own_producer
        processor = RecordProcessor(
            self.group_id,
            self._handler,
            inbox=self._inbox,
            dlq_producer=producer,
            max_attempts=self._max_attempts,
            backoff=self._backoff,
        )
        consumer = create_consumer(self.bootstrap, self.group_id, [], **self._consumer_options)
        pipelines = _Pipelines(consumer, processor, self._concurrency)
        consumer.subscribe(self.topics, listener=_FinishBeforeRevoke(pipelines))
        await consumer.start()
        RUNNING.add(self)
        sampler = OffsetSampler(consumer, self.group_id, [t + DLQ_SUFFIX for t in self.topics])
        sampling = asyncio.create_task(sampler.run(self._metrics_interval_s))
        next_commit = 0.0
        try:
            while True:
                self._apply_pause(consumer)
                if pipelines.pending >= self._max_pending:
                    # Full: let go of what is handled, then wait for a record in flight.
                    await pipelines.commit_finished()
                    next_commit = time.monotonic() + self._commit_interval_s
                    if pipelines.pending >= self._max_pending:
                        await pipelines.wait_one()
                # Records handled but not committed count as pending: the loop keeps
                # waking up until they are committed.
                batches = await consumer.getmany(
                    timeout_ms=50 if pipelines.pending else 1000, max_records=100
                )
                for partition, records in batches.items():
                    pipelines.add(partition, records)
                if time.monotonic() >= next_commit:
                    await pipelines.commit_finished()
                    next_commit = time.monotonic() + self._commit_interval_s
        finally:
            try:
                # A stop (shutdown, drain) lets the records being handled finish, so the
                # next owner of their partitions does not handle them again, then commits
                # what was handled (bounded both: the broker may be the reason).
                await pipelines.finish_started(timeout_s=STOP_GRACE_S)
                with contextlib.suppress(Exception):
                    async with asyncio.timeout(5):
                        await pipelines.commit_finished()
            finally:
                RUNNING.discard(self)
                sampling.cancel()
                await asyncio.gather(sampling, return_exceptions=True)
                sampler.forget()
                await pipelines.cancel()
                await consumer.stop()  # leaves the group: its partitions move on at once
                if own_producer is not None:
                    await own_producer.stop()

    __call__ = run


# The consumers running in this process: what `PUT /admin/consumers` pauses and resumes.
RUNNING: set[EventConsumer] = set()


class _Pipelines:
    """The records in flight: one task per record, chained behind the previous record of
    the same key ACROSS all subscribed topics (one aggregate's events — OrderCreated and
    OrderCancelled for one order arrive on different topics — are never handled at the same
    time, and different aggregates' are), and per partition the tasks in offset order, so
    the committed offset never passes a record that is not handled yet."""

    def __init__(
        self, consumer: AIOKafkaConsumer, processor: RecordProcessor, concurrency: int
    ) -> None:
        self._consumer = consumer
        self._processor = processor
        self._limit = asyncio.Semaphore(concurrency)
        self._by_partition: dict[TopicPartition, deque[tuple[int, asyncio.Task[None]]]] = {}
        self._last_of_key: dict[object, asyncio.Task[None]] = {}
        # The records past the semaphore, in the processor: what a stop lets finish.
        self._started: set[asyncio.Task[None]] = set()

    @property
    def pending(self) -> int:
        return sum(len(queue) for queue in self._by_partition.values())

    def add(self, partition: TopicPartition, records: Sequence[Record]) -> None:
        queue = self._by_partition.setdefault(partition, deque())
        for record in records:
            # Keyless records have no aggregate to protect: they chain per partition.
            key: object = record.key if record.key is not None else (partition, None)
            task = asyncio.create_task(self._handle(self._last_of_key.get(key), record))
            self._last_of_key[key] = task
            queue.append((record.offset + 1, task))

    async def _handle(self, previous: asyncio.Task[None] | None, record: Record) -> None:
        if previous is not None:
            # A failure before fails the rest of the key's chain, uncommitted. Shielded: a
            # stop cancels this record (not started) but lets the one before it finish.
            await asyncio.shield(previous)
        async with self._limit:
            task = asyncio.current_task()
            assert task is not None
            self._started.add(task)
            try:
                await self._processor.process(record)
            finally:
                self._started.discard(task)

    async def wait_one(self) -> None:
        """Until one more record is handled (records handled already do not count)."""
        tasks = [t for queue in self._by_partition.values() for _, t in queue if not t.done()]
        if tasks:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)

    async def commit_finished(self, only: Iterable[TopicPartition] | None = None) -> None:
        """Commit each partition up to its first record not handled yet; raise the error
        of a record that failed (only a DLQ outage can) after committing the others."""
        offsets: dict[TopicPartition, int] = {}
        failure: BaseException | None = None
        for tp in list(self._by_partition if only is None else only):
            queue = self._by_partition.get(tp)
            while queue and queue[0][1].done():
                offset, task = queue[0]
                if task.cancelled():
                    break  # not handled (a stop): it is delivered again
                error = task.exception()
                if error is not None:
                    failure = failure or error
                    break
                queue.popleft()
                offsets[tp] = offset
            if queue is not None and not queue:
                del self._by_partition[tp]
        self._last_of_key = {k: t for k, t in self._last_of_key.items() if not t.done()}
        if offsets:
            await self._consumer.commit(offsets)
        if failure is not None:
            raise failure

    async def finish(self, partitions: Iterable[TopicPartition]) -> None:
        chosen = list(partitions)
        tasks = [t for tp in chosen for _, t in self._by_partition.get(tp, ())]
        if tasks:
            await asyncio.wait(tasks)
        await self.commit_finished(chosen)

    async def finish_started(self, timeout_s: float) -> None:
        """For a stop: records not started yet are cancelled, those being handled get up to
        `timeout_s` to finish (what is left then is cancelled by `cancel`)."""
        for queue in self._by_partition.values():
            for _, task in queue:
                if task not in self._started:
                    task.cancel()
        if self._started:
            await asyncio.wait(set(self._started), timeout=timeout_s)

    async def cancel(self) -> None:
        tasks = [t for queue in self._by_partition.values() for _, t in queue]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._by_partition.clear()
        self._last_of_key.clear()


class _FinishBeforeRevoke(ConsumerRebalanceListener):  # type: ignore[misc]
    """aiokafka awaits this before giving partitions away: their records in flight are
    handled and committed first, so the next owner does not handle them again."""

    def __init__(self, pipelines: _Pipelines) -> None:
        self._pipelines = pipelines

    async def on_partitions_revoked(self, revoked: Iterable[TopicPartition]) -> None:
        try:
            await self._pipelines.finish(list(revoked))
        except Exception:  # the error surfaces again; the inbox absorbs a redelivery
            log.exception("could not finish the revoked partitions' work")

    async def on_partitions_assigned(self, assigned: Iterable[TopicPartition]) -> None:
        return None
