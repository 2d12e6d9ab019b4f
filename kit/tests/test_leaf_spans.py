"""Leaf spans reach the provider's processors as the SDK's own spans would: same trace,
parent, kind, attributes and resource, failures marked, nothing outside a sampled span;
and the Zipkin payload of a leaf is that of an SDK span with the same data."""

from __future__ import annotations

import pytest
from opentelemetry import trace
from opentelemetry.propagate import inject
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF
from opentelemetry.trace import NonRecordingSpan, SpanKind, StatusCode

from ecomkit.leaf_spans import leaf_span, start_leaf
from ecomkit.zipkin import ZipkinJsonExporter

ATTRIBUTES = {"db.system": "redis", "db.statement": "MGET ? ?", "net.peer.port": 6379}


@pytest.fixture
def provider() -> tuple[TracerProvider, InMemorySpanExporter]:
    exported = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource.create({"service.name": "order"}))
    provider.add_span_processor(SimpleSpanProcessor(exported))
    return provider, exported


def leaves(exported: InMemorySpanExporter) -> list[ReadableSpan]:
    return [s for s in exported.get_finished_spans() if s.kind is SpanKind.CLIENT]


def test_a_leaf_is_a_client_span_of_the_current_span(
    provider: tuple[TracerProvider, InMemorySpanExporter],
) -> None:
    sdk, exported = provider
    tracer = sdk.get_tracer("test")
    with tracer.start_as_current_span("request", kind=SpanKind.SERVER) as request:
        leaf = start_leaf(tracer, "MGET", ATTRIBUTES)
        assert leaf is not None
        leaf.end()
    (span,) = leaves(exported)
    parent = request.get_span_context()
    assert span.parent is not None and span.parent.span_id == parent.span_id
    assert span.context.trace_id == parent.trace_id and span.context.span_id != parent.span_id
    assert span.context.trace_flags.sampled
    assert span.name == "MGET" and dict(span.attributes or {}) == ATTRIBUTES
    assert span.resource.attributes["service.name"] == "order"
    assert span.instrumentation_scope is not None
    assert span.instrumentation_scope.name == "ecomkit"
    assert span.start_time is not None and span.end_time is not None
    assert span.start_time <= span.end_time
    assert span.status.status_code is StatusCode.UNSET


def test_no_leaf_outside_a_recording_span(
    provider: tuple[TracerProvider, InMemorySpanExporter],
) -> None:
    sdk, exported = provider
    assert start_leaf(sdk.get_tracer("test"), "MGET", ATTRIBUTES) is None
    unsampled = TracerProvider(sampler=ALWAYS_OFF).get_tracer("off")
    with unsampled.start_as_current_span("request"):
        assert start_leaf(unsampled, "MGET", ATTRIBUTES) is None
    assert exported.get_finished_spans() == ()


def test_a_failed_leaf_carries_the_error(
    provider: tuple[TracerProvider, InMemorySpanExporter],
) -> None:
    sdk, exported = provider
    tracer = sdk.get_tracer("test")
    with tracer.start_as_current_span("request"):
        leaf = start_leaf(tracer, "INCR", ATTRIBUTES)
        assert leaf is not None
        leaf.fail(ValueError("not an integer"))
        leaf.end()
        other = start_leaf(tracer, "find", ATTRIBUTES)
        assert other is not None
        other.fail("find failed: timeout")
        other.end()
    failed, reason = leaves(exported)
    assert failed.status.status_code is StatusCode.ERROR
    assert failed.status.description == "ValueError: not an integer"
    (event,) = failed.events
    assert event.name == "exception" and dict(event.attributes or {}) == {
        "exception.type": "ValueError",
        "exception.message": "not an integer",
    }
    assert reason.status.description == "find failed: timeout" and not reason.events


class _ForeignRecordingSpan(NonRecordingSpan):
    """A recording span that is not the SDK's (another SDK, a test double)."""

    def is_recording(self) -> bool:
        return True


def test_under_a_parent_of_another_kind_the_leaf_is_an_sdk_span(
    provider: tuple[TracerProvider, InMemorySpanExporter],
) -> None:
    sdk, exported = provider
    tracer = sdk.get_tracer("test")
    with tracer.start_as_current_span("request") as request:
        foreign = _ForeignRecordingSpan(request.get_span_context())
        with trace.use_span(foreign):
            leaf = start_leaf(tracer, "GET", ATTRIBUTES)
            assert leaf is not None
            leaf.fail("refused")
            leaf.end()
    (span,) = leaves(exported)
    assert span.parent is not None
    assert span.parent.span_id == request.get_span_context().span_id
    assert span.status.status_code is StatusCode.ERROR


def test_zipkin_sends_a_leaf_as_it_sends_the_same_sdk_span(
    provider: tuple[TracerProvider, InMemorySpanExporter],
) -> None:
    sdk, exported = provider
    tracer = sdk.get_tracer("ecomkit")
    with tracer.start_as_current_span("request"):
        leaf = start_leaf(tracer, "MGET", ATTRIBUTES)
        assert leaf is not None
        leaf.end()
        tracer.start_span("MGET", kind=SpanKind.CLIENT, attributes=ATTRIBUTES).end()
    ours, sdks = leaves(exported)
    encoder = ZipkinJsonExporter("http://127.0.0.1:9/api/v2/spans")
    varying = ("id", "timestamp", "duration")
    first, second = (
        {k: v for k, v in encoder._encode(span).items() if k not in varying}
        for span in (ours, sdks)
    )
    assert first == second


def test_a_call_span_sends_its_own_traceparent_and_records_the_outcome(
    provider: tuple[TracerProvider, InMemorySpanExporter],
) -> None:
    sdk, exported = provider
    tracer = sdk.get_tracer("test")
    with (
        tracer.start_as_current_span("request"),
        pytest.raises(ConnectionError),
        leaf_span(tracer, "proxy order", {"peer.service": "order"}) as call,
    ):
        sent = call.traceparent()
        call.set_attribute("http.response.status_code", 503)
        raise ConnectionError("reset")
    (span,) = leaves(exported)
    # What the SDK's propagator would send for the span.
    carrier: dict[str, str] = {}
    inject(carrier, context=trace.set_span_in_context(NonRecordingSpan(span.context)))
    assert sent == carrier["traceparent"] and span.context.trace_flags.sampled
    assert dict(span.attributes or {}) == {
        "peer.service": "order",
        "http.response.status_code": 503,
    }
    assert span.status.description == "ConnectionError: reset"


def test_outside_a_recording_span_a_call_sends_the_current_context_unsampled() -> None:
    tracer = TracerProvider(sampler=ALWAYS_OFF).get_tracer("off")
    carrier: dict[str, str] = {}
    with (
        tracer.start_as_current_span("request") as request,
        leaf_span(tracer, "proxy order", {}) as call,
    ):
        sent = call.traceparent()
        inject(carrier)
    assert sent == carrier["traceparent"]
    assert not request.get_span_context().trace_flags.sampled
    with leaf_span(tracer, "proxy order", {}) as outside:
        assert outside.traceparent() is None
