"""OpenTelemetry set-up (Zipkin export) and W3C trace context carried in Kafka headers."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.propagate import extract, inject
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

TRACEPARENT = "traceparent"


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
