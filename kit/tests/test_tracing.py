"""One order is one trace: the kit's producer, consumer and client spans link up through
the `traceparent` header, checked with the SDK's in-memory exporter."""

import asyncio
from collections.abc import Iterator
from types import SimpleNamespace

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from ecomkit.consumer import Backoff, RecordProcessor
from ecomkit.events import Envelope, encode
from ecomkit.outbox import traced_message_of
from ecomkit.testing import InMemoryInbox, InMemoryProducer
from ecomkit.tracing import (
    client_span,
    end_when_acked,
    kafka_headers_to_dict,
    producer_span,
    server_span,
)

pytestmark = pytest.mark.anyio
TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
REQUEST_SPAN = "00f067aa0ba902b7"
STORED = {"traceparent": f"00-{TRACE}-{REQUEST_SPAN}-01", "event-type": "OrderCreated"}


_EXPORTER = InMemorySpanExporter()


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    """The process's SDK provider (set here if no test set one), exporting to memory too;
    added once per process (a provider keeps its processors)."""
    if not isinstance(trace.get_tracer_provider(), TracerProvider):
        trace.set_tracer_provider(TracerProvider())
    provider = trace.get_tracer_provider()
    assert isinstance(provider, TracerProvider)
    if not getattr(provider, "_test_exporter", False):
        provider.add_span_processor(SimpleSpanProcessor(_EXPORTER))
        provider._test_exporter = True  # type: ignore[attr-defined]
    _EXPORTER.clear()
    yield _EXPORTER
    _EXPORTER.clear()


def only(exporter: InMemorySpanExporter, kind: SpanKind) -> list[ReadableSpan]:
    return [s for s in exporter.get_finished_spans() if s.kind is kind]


def ids(span: ReadableSpan) -> tuple[str, str, str | None]:
    context = span.get_span_context()
    parent = f"{span.parent.span_id:016x}" if span.parent else None
    return f"{context.trace_id:032x}", f"{context.span_id:016x}", parent


async def test_producer_span_is_a_child_of_the_stored_context(
    spans: InMemorySpanExporter,
) -> None:
    span, headers = producer_span("order-created-events", STORED)
    span.end()
    (sent,) = only(spans, SpanKind.PRODUCER)
    trace_id, span_id, parent = ids(sent)
    assert (trace_id, parent) == (TRACE, REQUEST_SPAN)
    carried = kafka_headers_to_dict(headers)
    assert carried["traceparent"] == f"00-{TRACE}-{span_id}-01"
    assert carried["event-type"] == "OrderCreated"


async def test_relay_message_carries_its_producer_span(spans: InMemorySpanExporter) -> None:
    row = SimpleNamespace(
        id="e1", topic="order-created-events", message_key="42", event_type="OrderCreated",
        payload={"id": "e1"}, headers=STORED,
    )  # fmt: skip
    key, _value, headers, span = traced_message_of(row)  # type: ignore[arg-type]
    loop = asyncio.get_running_loop()
    ack: asyncio.Future[None] = loop.create_future()
    done = end_when_acked(span, ack)
    assert not spans.get_finished_spans()  # ends with the broker's ack, not the send
    ack.set_result(None)
    await done
    await asyncio.sleep(0)  # the span ends in the ack's done-callback
    (sent,) = only(spans, SpanKind.PRODUCER)
    assert key == b"42" and sent.name == "send order-created-events"
    assert sent.attributes is not None and sent.attributes["event.type"] == "OrderCreated"
    assert kafka_headers_to_dict(headers)["traceparent"].split("-")[2] == ids(sent)[1]


async def test_a_refused_send_marks_the_producer_span_failed(
    spans: InMemorySpanExporter,
) -> None:
    span, _ = producer_span("t", STORED)
    ack: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    done = end_when_acked(span, ack)
    ack.set_exception(ConnectionError("broker gone"))
    with pytest.raises(ConnectionError):
        await done
    await asyncio.sleep(0)
    (sent,) = only(spans, SpanKind.PRODUCER)
    assert sent.status.status_code is StatusCode.ERROR


class Failing:
    def __init__(self, times: int) -> None:
        self.times = times

    async def __call__(self, envelope: Envelope, uow: object) -> None:
        if self.times:
            self.times -= 1
            raise ConnectionError("flaky")


def record(headers: dict[str, str]) -> SimpleNamespace:
    value = encode(Envelope(type="OrderCreated", source="order", data={}))
    return SimpleNamespace(
        topic="order-created-events", partition=1, offset=7, key=b"42", value=value,
        headers=[(k, v.encode()) for k, v in headers.items()],
    )  # fmt: skip


def processor(handler: Failing, dlq: InMemoryProducer, attempts: int) -> RecordProcessor:
    return RecordProcessor(
        "inventory",
        handler,
        inbox=InMemoryInbox(),
        dlq_producer=dlq,
        max_attempts=attempts,
        backoff=Backoff(initial_s=0, max_s=0),
    )


async def test_consumer_span_is_the_child_of_the_producer_and_shows_retries(
    spans: InMemorySpanExporter,
) -> None:
    producer, headers = producer_span("order-created-events", STORED)
    producer.end()
    proc = processor(Failing(times=1), InMemoryProducer(), attempts=3)
    outcome = await proc.process(record(kafka_headers_to_dict(headers)))  # type: ignore[arg-type]
    assert outcome == "handled"
    (consumed,) = only(spans, SpanKind.CONSUMER)
    assert ids(consumed)[2] == ids(only(spans, SpanKind.PRODUCER)[0])[1]
    assert ids(consumed)[0] == TRACE
    assert [e.name for e in consumed.events] == ["attempt failed"]
    assert consumed.status.status_code is not StatusCode.ERROR


async def test_the_dlq_hop_is_a_producer_span_under_the_failed_consumer_span(
    spans: InMemorySpanExporter,
) -> None:
    dlq = InMemoryProducer()
    proc = processor(Failing(times=99), dlq, attempts=2)
    assert await proc.process(record(STORED)) == "dead-lettered"  # type: ignore[arg-type]
    (consumed,) = only(spans, SpanKind.CONSUMER)
    (dead_letter,) = only(spans, SpanKind.PRODUCER)
    assert consumed.status.status_code is StatusCode.ERROR
    assert dead_letter.name == "send order-created-events.DLQ"
    assert ids(dead_letter)[2] == ids(consumed)[1]
    (sent,) = dlq.sent
    assert dict(sent.headers)["traceparent"].decode().split("-")[2] == ids(dead_letter)[1]


async def test_client_span_under_a_server_span_marks_a_failure(
    spans: InMemorySpanExporter,
) -> None:
    with (
        server_span("POST orders", traceparent=STORED["traceparent"]),
        pytest.raises(TimeoutError),
        client_span("GET user-auth"),
    ):
        raise TimeoutError("slow")
    (server,) = only(spans, SpanKind.SERVER)
    (client,) = only(spans, SpanKind.CLIENT)
    assert ids(server)[2] == REQUEST_SPAN and ids(client)[2] == ids(server)[1]
    assert client.status.status_code is StatusCode.ERROR


def test_sql_statements_get_spans_and_a_pool_checkout_none(spans: InMemorySpanExporter) -> None:
    import sqlalchemy

    from ecomkit.tracing import trace_sql_statements

    trace_sql_statements()
    engine = sqlalchemy.create_engine("sqlite://")
    with server_span("GET /api/orders/{order_id}", traceparent=None):
        for _ in range(2):
            with engine.connect() as connection:
                connection.execute(sqlalchemy.text("select 1"))
    names = [s.name for s in only(spans, SpanKind.CLIENT)]
    assert names == ["select", "select"]  # no "connect" span per transaction
