"""Kafka consumers that lose nothing and apply each event once (DESIGN 5).

Per record: decode the envelope, hand it to the inbox (which skips a handled event id),
retry transient errors with exponential backoff, and after `max_attempts` (or at once for
a `PermanentError`/undecodable record) publish it to `<topic>.DLQ` with `dlq-error`,
`dlq-attempts` and `dlq-original-topic` headers. Offsets are committed only after every
record of a batch was handled or dead-lettered; a crash before that redelivers the batch,
which the inbox turns into no-ops.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from opentelemetry import trace
from tenacity import (
    AsyncRetrying,
    RetryError,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential,
)

from ecomkit.context import correlation_id_var
from ecomkit.events import HEADER_CORRELATION_ID, UndecodableEvent, decode
from ecomkit.inbox import Handler, Inbox
from ecomkit.kafka import Headers, Producer, create_consumer, create_producer, ensure_topics
from ecomkit.tracing import context_from_headers, kafka_headers_to_dict

log = logging.getLogger(__name__)
tracer = trace.get_tracer("ecomkit.consumer")

DLQ_SUFFIX = ".DLQ"
HEADER_DLQ_ERROR = "dlq-error"
HEADER_DLQ_ATTEMPTS = "dlq-attempts"
HEADER_DLQ_ORIGINAL_TOPIC = "dlq-original-topic"
HEADER_DLQ_ORIGINAL_PARTITION = "dlq-original-partition"
HEADER_DLQ_ORIGINAL_OFFSET = "dlq-original-offset"


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
                attributes={"messaging.destination.name": record.topic},
            ):
                return await self._process(record)
        finally:
            correlation_id_var.reset(token)

    async def _process(self, record: Record) -> str:
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
                    handled = await self._inbox.handle(envelope, self._name, self._handler)
            return "handled" if handled else "duplicate"
        except RetryError as exc:
            error = exc.last_attempt.exception()
        except (PermanentError, UndecodableEvent) as exc:
            error = exc
        log.error(
            "event at %s[%d]@%d failed %d time(s), sending it to the DLQ: %r",
            record.topic,
            record.partition,
            record.offset,
            max(attempts, 1),
            error,
        )
        await self.dead_letter(record, error, max(attempts, 1))
        return "dead-lettered"

    async def dead_letter(self, record: Record, error: BaseException | None, attempts: int) -> None:
        headers: Headers = [(k, v) for k, v in (record.headers or []) if not k.startswith("dlq-")]
        headers += [
            (HEADER_DLQ_ERROR, f"{type(error).__name__}: {error}"[:1000].encode()),
            (HEADER_DLQ_ATTEMPTS, str(attempts).encode()),
            (HEADER_DLQ_ORIGINAL_TOPIC, record.topic.encode()),
            (HEADER_DLQ_ORIGINAL_PARTITION, str(record.partition).encode()),
            (HEADER_DLQ_ORIGINAL_OFFSET, str(record.offset).encode()),
        ]
        await self._dlq.send_and_wait(
            record.topic + DLQ_SUFFIX, record.value, key=record.key, headers=headers
        )


class EventConsumer:
    """A consumer-group member that feeds records to a `RecordProcessor`; run it as a
    background task of the app (`background=[consumer]`)."""

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
        consumer = create_consumer(
            self.bootstrap, self.group_id, self.topics, **self._consumer_options
        )
        await consumer.start()
        try:
            while True:
                batches = await consumer.getmany(timeout_ms=1000, max_records=100)
                for partition, records in batches.items():
                    for record in records:
                        await processor.process(record)
                    await consumer.commit({partition: records[-1].offset + 1})
        finally:
            await consumer.stop()
            if own_producer is not None:
                await own_producer.stop()

    __call__ = run
