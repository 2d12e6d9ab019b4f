"""OpenTelemetry set-up (Zipkin export) and W3C trace context carried in Kafka headers.

One order is one trace (docs/observability.md): the gateway's server span is the root,
every HTTP call is a client span whose context travels in `traceparent`, and every Kafka
hop is a producer span (the outbox relay's send, whose context replaces the request's in
the record's headers) followed by a consumer span that is its child. The helpers below are
the one place that does this, so services do not each propagate context their own way.
"""

from __future__ import annotations

from collections.abc import Awaitable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.propagate import extract, inject
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.sampling import (
    ALWAYS_OFF,
    Decision,
    ParentBased,
    Sampler,
    SamplingResult,
    TraceIdRatioBased,
)
from opentelemetry.trace import Link, Span, SpanKind, Status, StatusCode
from opentelemetry.util.types import Attributes
from pymongo import monitoring

from ecomkit.leaf_spans import Leaf, leaf_span, start_leaf

__all__ = [
    "Leaf",
    "Span",
    "call_span",
    "client_span",
    "context_from_headers",
    "current_trace_headers",
    "current_trace_id",
    "end_when_acked",
    "headers_of",
    "instrument_libraries",
    "kafka_headers_to_dict",
    "mark_failed",
    "producer_span",
    "server_span",
    "trace_sql_statements",
]

TRACEPARENT = "traceparent"
TRACESTATE = "tracestate"

_tracer = trace.get_tracer("ecomkit")


def create_tracer_provider(
    service_name: str, zipkin_url: str, *, sample_ratio: float = 1.0
) -> TracerProvider:
    """A provider sampling `sample_ratio` of new traces, exporting to Zipkin.

    Without a Zipkin URL no span is recorded, since nothing would read it: spans still
    exist (unsampled, with the caller's trace id or a new one), so `traceparent` is
    continued and logs carry trace ids, without the cost of recording (about 30 us a span).
    """
    resource = Resource.create({"service.name": service_name})
    if not zipkin_url:
        return TracerProvider(resource=resource, sampler=ALWAYS_OFF)
    from ecomkit.span_export import EXPORT_TIMEOUT_S, LoopSpanProcessor
    from ecomkit.zipkin import ZipkinJsonExporter

    provider = TracerProvider(
        resource=resource, sampler=ParentBased(root=RequestRoots(sample_ratio))
    )
    # Exported from the event loop, never waited on by a request (ecomkit.span_export).
    exporter = ZipkinJsonExporter(zipkin_url, timeout=EXPORT_TIMEOUT_S)
    provider.add_span_processor(LoopSpanProcessor(exporter))
    return provider


class RequestRoots(Sampler):
    """Which new traces are kept: `ratio` of those a request or an event starts, and none
    that a client call starts. A DB statement, Redis or Mongo command or HTTP call with no
    request around it is a background loop's housekeeping (the outbox relay's poll, a
    readiness ping, a heartbeat): kept, those would be most of Zipkin's traces. Under
    ParentBased, a trace's later spans follow its root, so an order is all or nothing."""

    def __init__(self, ratio: float) -> None:
        self._ratio = TraceIdRatioBased(ratio)

    def should_sample(
        self,
        parent_context: otel_context.Context | None,
        trace_id: int,
        name: str,
        kind: SpanKind | None = None,
        attributes: Attributes = None,
        links: Sequence[Link] | None = None,
        trace_state: Any = None,
    ) -> SamplingResult:
        if kind == SpanKind.CLIENT:
            return SamplingResult(Decision.DROP)
        return self._ratio.should_sample(
            parent_context, trace_id, name, kind, attributes, links, trace_state
        )

    def get_description(self) -> str:
        return f"RequestRoots{{{self._ratio.get_description()}}}"


_instrumented: set[str] = set()


def instrument_libraries() -> None:
    """Client spans for every Redis and Mongo command, made once per process before the
    service opens its connections: the kit's lean Redis spans (`ecomkit.redis_spans`: the
    official instrumentation cost three times as much a command), and Mongo's own command
    events (opentelemetry-instrumentation-pymongo is not released in the family the kit
    pins). SQL statements: `trace_sql_statements`, called by the kit's engines."""
    if "clients" in _instrumented:
        return
    _instrumented.add("clients")
    from ecomkit.redis_spans import instrument_redis

    instrument_redis(_tracer)
    monitoring.register(MongoCommandSpans())


def trace_sql_statements() -> None:
    """A client span per SQL statement of every engine (`ecomkit.sql_spans`: SQLAlchemy's
    cursor events, for a third of the official instrumentation's cost a statement). No span
    per pool checkout: one per transaction, for a checkout that opens no connection, told
    nothing (tracing_cost in docs/benchmarks.md)."""
    from ecomkit.sql_spans import trace_statements

    trace_statements(_tracer)


class MongoCommandSpans(monitoring.CommandListener):
    """A CLIENT span per Mongo command, from pymongo's command monitoring events (called
    in the task that runs the command, so the span's parent is that task's current span)."""

    def __init__(self, tracer: trace.Tracer | None = None) -> None:
        self.tracer = tracer or _tracer
        self._open: dict[tuple[int, Any], Leaf] = {}

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        collection = event.command.get(event.command_name)
        target = f"{event.database_name}.{collection}" if isinstance(collection, str) else ""
        span = start_leaf(
            self.tracer,
            f"mongo {event.command_name} {target}".strip(),
            {
                "db.system": "mongodb",
                "db.name": event.database_name,
                "db.operation": event.command_name,
                "db.mongodb.collection": collection if isinstance(collection, str) else "",
            },
        )
        if span is not None:
            self._open[(event.request_id, event.connection_id)] = span

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        span = self._open.pop((event.request_id, event.connection_id), None)
        if span is not None:
            span.end()

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        span = self._open.pop((event.request_id, event.connection_id), None)
        if span is not None:
            span.fail(f"{event.command_name} failed: {event.failure.get('errmsg', '')}")
            span.end()


def current_trace_headers() -> dict[str, str]:
    """The W3C headers (traceparent, tracestate) of the current span, if any."""
    carrier: dict[str, str] = {}
    inject(carrier)
    return carrier


def context_from_headers(headers: Mapping[str, str]) -> otel_context.Context:
    return extract(dict(headers))


def current_trace_id() -> str | None:
    span_context = trace.get_current_span().get_span_context()
    if not span_context.is_valid:
        return None
    return f"{span_context.trace_id:032x}"


def kafka_headers_to_dict(headers: Iterable[tuple[str, bytes]] | None) -> dict[str, str]:
    return {k: v.decode("utf-8", "replace") for k, v in (headers or []) if v is not None}


def headers_of(span: Span) -> dict[str, str]:
    """The W3C headers that make `span` the parent of whatever receives them."""
    carrier: dict[str, str] = {}
    inject(carrier, context=trace.set_span_in_context(span))
    return carrier


def mark_failed(span: Span, error: BaseException | str) -> None:
    """Status ERROR with the reason (Zipkin shows the `error` tag in red)."""
    if isinstance(error, BaseException):
        span.record_exception(error)
        span.set_status(Status(StatusCode.ERROR, f"{type(error).__name__}: {error}"))
    else:
        span.set_status(Status(StatusCode.ERROR, error))


@contextmanager
def client_span(name: str, **attributes: Any) -> Iterator[Span]:
    """A CLIENT span around a call to another system (a service, Stripe, SMTP), current
    while it runs so the call's `traceparent` names it; an exception marks it failed."""
    with _tracer.start_as_current_span(
        name, kind=SpanKind.CLIENT, attributes=attributes, record_exception=False
    ) as span:
        try:
            yield span
        except Exception as error:
            mark_failed(span, error)
            raise


def call_span(name: str, **attributes: Any) -> AbstractContextManager[Leaf]:
    """A CLIENT span around a call to another service of the stack (the gateway's upstream
    attempt, the kit's HTTP client): nothing in this process is its child, the callee's
    server span is, through the `traceparent()` sent with the call; so it is a leaf span
    (`ecomkit.leaf_spans`), not made current. An exception marks it failed."""
    return leaf_span(_tracer, name, attributes)


@contextmanager
def server_span(name: str, *, traceparent: str | None, **attributes: Any) -> Iterator[Span]:
    """A SERVER span for a request the framework does not trace (the gateway's bare ASGI
    proxy): a child of the caller's `traceparent` when it sent one, else a trace's root."""
    parent = extract({TRACEPARENT: traceparent}) if traceparent else None
    with _tracer.start_as_current_span(
        name, context=parent, kind=SpanKind.SERVER, attributes=attributes
    ) as span:
        yield span


def producer_span(topic: str, headers: Mapping[str, str]) -> tuple[Span, list[tuple[str, bytes]]]:
    """A PRODUCER span for one Kafka record, child of the trace context stored with it
    (the outbox row's headers: the request that wrote the event), and the record's headers
    with the span's own traceparent in place of the stored one. The caller ends the span
    (`end_when_acked`), so its duration is the broker's round trip."""
    span = _tracer.start_span(
        f"send {topic}",
        context=extract(dict(headers)),
        kind=SpanKind.PRODUCER,
        attributes={"messaging.system": "kafka", "messaging.destination.name": topic},
    )
    merged = {k: v for k, v in headers.items() if k not in (TRACEPARENT, TRACESTATE)}
    merged.update(headers_of(span))
    return span, [(k, str(v).encode()) for k, v in merged.items() if v is not None]


def end_when_acked(span: Span, ack: Awaitable[Any]) -> Awaitable[Any]:
    """End `span` when the broker acked (or refused) the record `ack` stands for."""
    import asyncio

    future = asyncio.ensure_future(ack)

    def _done(done: asyncio.Future[Any]) -> None:
        if done.cancelled():
            mark_failed(span, "cancelled")
        elif done.exception() is not None:
            mark_failed(span, done.exception())  # type: ignore[arg-type]
        span.end()

    future.add_done_callback(_done)
    return future
