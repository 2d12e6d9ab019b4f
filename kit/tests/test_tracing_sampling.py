"""Which traces are kept (RequestRoots under ParentBased) and the Mongo command spans."""

import sys
import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest
from opentelemetry import trace
from opentelemetry.propagate import extract
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import ParentBased
from opentelemetry.trace import SpanKind, StatusCode
from pymongo import monitoring

from ecomkit.tracing import (
    MongoCommandSpans,
    RequestRoots,
    create_tracer_provider,
    current_trace_headers,
)


def tracer_sampling(ratio: float) -> tuple[trace.Tracer, InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider(sampler=ParentBased(root=RequestRoots(ratio)))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider.get_tracer("test"), exporter


def test_a_client_call_outside_any_request_starts_no_trace() -> None:
    tracer, exported = tracer_sampling(1.0)
    with tracer.start_as_current_span("SELECT outbox", kind=SpanKind.CLIENT):
        pass
    with tracer.start_as_current_span("send order-created-events", kind=SpanKind.PRODUCER):
        pass
    assert [s.name for s in exported.get_finished_spans()] == ["send order-created-events"]


def test_a_request_keeps_its_client_calls() -> None:
    tracer, exported = tracer_sampling(1.0)
    with (
        tracer.start_as_current_span("POST /orders", kind=SpanKind.SERVER),
        tracer.start_as_current_span("INSERT orders", kind=SpanKind.CLIENT),
    ):
        pass
    assert {s.name for s in exported.get_finished_spans()} == {"POST /orders", "INSERT orders"}


@pytest.mark.parametrize(("ratio", "low", "high"), [(0.0, 0, 0), (0.25, 30, 70), (1.0, 200, 200)])
def test_the_ratio_decides_whole_traces(ratio: float, low: int, high: int) -> None:
    tracer, exported = tracer_sampling(ratio)
    for _ in range(200):
        with (
            tracer.start_as_current_span("order", kind=SpanKind.SERVER),
            tracer.start_as_current_span("INSERT orders", kind=SpanKind.CLIENT),
        ):
            pass
    finished = exported.get_finished_spans()
    roots = [s for s in finished if s.parent is None]
    assert low <= len(roots) <= high
    assert len(finished) == 2 * len(roots)  # a kept trace keeps its children


def test_the_provider_samples_the_configured_share() -> None:
    provider = create_tracer_provider("order", "http://127.0.0.1:9/api/v2/spans", sample_ratio=0.5)
    try:
        assert "0.5" in provider.sampler.get_description()
    finally:
        provider.shutdown()


def test_without_zipkin_nothing_is_recorded_but_the_trace_id_carries_on() -> None:
    provider = create_tracer_provider("order", "", sample_ratio=1.0)
    tracer = provider.get_tracer("test")
    caller = extract({"traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"})
    with tracer.start_as_current_span("GET /api/orders/{id}", context=caller) as span:
        assert not span.is_recording()
        assert span.get_span_context().trace_id == 0x4BF92F3577B34DA6A3CE929D0E0E4736
        assert current_trace_headers()["traceparent"].startswith(
            "00-4bf92f3577b34da6a3ce929d0e0e4736-"
        )


@pytest.fixture
def mongo_spans() -> Iterator[tuple[MongoCommandSpans, InMemorySpanExporter]]:
    tracer, exported = tracer_sampling(1.0)
    yield MongoCommandSpans(tracer), exported


def started(
    request_id: int, name: str, command: dict[str, object]
) -> monitoring.CommandStartedEvent:
    return monitoring.CommandStartedEvent(
        {name: "notifications", **command}, "shop", request_id, ("127.0.0.1", 27017), request_id
    )


def test_a_mongo_command_is_a_client_span_of_the_current_request(
    mongo_spans: tuple[MongoCommandSpans, InMemorySpanExporter],
) -> None:
    listener, exported = mongo_spans
    tracer = listener.tracer
    with tracer.start_as_current_span("consume order-paid-events", kind=SpanKind.CONSUMER):
        listener.started(started(7, "insert", {"documents": []}))
        listener.succeeded(
            monitoring.CommandSucceededEvent(
                timedelta(milliseconds=1),
                {"ok": 1},
                "insert",
                7,
                ("127.0.0.1", 27017),
                7,
                database_name="shop",
            )
        )
        listener.started(started(8, "find", {}))
        listener.failed(
            monitoring.CommandFailedEvent(
                timedelta(milliseconds=1), {"errmsg": "boom"}, "find", 8, ("127.0.0.1", 27017), 8,
                database_name="shop",
            )
        )  # fmt: skip
    by_name = {s.name: s for s in exported.get_finished_spans()}
    consumer = by_name["consume order-paid-events"]
    insert, find = (
        by_name["mongo insert shop.notifications"],
        by_name["mongo find shop.notifications"],
    )
    for span in (insert, find):
        assert span.kind is SpanKind.CLIENT and span.parent is not None
        assert span.parent.span_id == consumer.context.span_id
    assert insert.attributes is not None and insert.attributes["db.system"] == "mongodb"
    assert find.status.status_code is StatusCode.ERROR and "boom" in str(find.status.description)


def test_an_exporting_provider_starts_no_thread_and_leaves_the_gil_turns_alone() -> None:
    before = (sys.getswitchinterval(), threading.active_count())
    provider = create_tracer_provider("order", "http://127.0.0.1:9/api/v2/spans")
    with provider.get_tracer("t").start_as_current_span("GET /api/orders/{id}"):
        pass
    assert (sys.getswitchinterval(), threading.active_count()) == before
    provider.shutdown()  # Zipkin is not there: the batch is lost, quietly
