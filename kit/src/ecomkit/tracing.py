"""OpenTelemetry set-up (Zipkin export) and W3C trace context carried in Kafka headers.

One order is one trace (docs/observability.md): the gateway's server span is the root,
every HTTP call is a client span whose context travels in `traceparent`, and every Kafka
hop is a producer span (the outbox relay's send, whose context replaces the request's in
the record's headers) followed by a consumer span that is its child. The helpers below are
the one place that does this, so services do not each propagate context their own way.
"""

from __future__ import annotations

from collections.abc import Awaitable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.propagate import extract, inject
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import Span, SpanKind, Status, StatusCode

__all__ = [
    "Span",
    "client_span",
    "context_from_headers",
    "current_trace_headers",
    "current_trace_id",
    "end_when_acked",
    "headers_of",
    "kafka_headers_to_dict",
    "mark_failed",
    "producer_span",
    "server_span",
]

TRACEPARENT = "traceparent"
TRACESTATE = "tracestate"

_tracer = trace.get_tracer("ecomkit")


def create_tracer_provider(service_name: str, zipkin_url: str) -> TracerProvider | None:
    """A provider exporting to Zipkin, or None when tracing is off (empty URL)."""
    if not zipkin_url:
        return None
    from opentelemetry.exporter.zipkin.json import ZipkinExporter

    provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
    provider.add_span_processor(BatchSpanProcessor(ZipkinExporter(endpoint=zipkin_url)))
    return provider


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
