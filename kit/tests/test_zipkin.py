"""The kit's Zipkin exporter sends what the official one sends, field for field, and posts
it to Zipkin's v2 API (a local HTTP server stands in for Zipkin here; tests/integration/
test_traces.py reads real traces back from a real Zipkin)."""

from __future__ import annotations

import json
from typing import Any

from opentelemetry.exporter.zipkin.encoder import NodeEndpoint
from opentelemetry.exporter.zipkin.json.v2 import JsonV2Encoder
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, Status, StatusCode
from zipkin_standin import Zipkin

from ecomkit.zipkin import ZipkinJsonExporter


def spans_of_every_shape() -> list[ReadableSpan]:
    kept = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource.create({"service.name": "order"}))
    provider.add_span_processor(SimpleSpanProcessor(kept))
    tracer = provider.get_tracer("ecomkit")
    versioned = provider.get_tracer("opentelemetry.instrumentation.redis", "0.66b2")
    attributes: dict[str, Any] = {
        "http.route": "/api/orders/{id}",
        "http.status_code": 200,
        "ratio": 0.25,
        "retried": False,
        "topics": ["a", "b"],
        "ids": [1, 2, 3],
        "flags": [True, False],
        "empty": [],
    }
    with tracer.start_as_current_span("GET /api/orders/{id}", kind=SpanKind.SERVER,
                                      attributes=attributes):  # fmt: skip
        with versioned.start_as_current_span("MGET", kind=SpanKind.CLIENT) as redis:
            redis.set_attribute("db.statement", "MGET ? ?")
        with tracer.start_as_current_span("send order-created-events", kind=SpanKind.PRODUCER):
            pass
        with tracer.start_as_current_span("failed") as failed:
            failed.add_event("retry", {"attempt": 2, "reason": "timeout"})
            failed.set_status(Status(StatusCode.ERROR, "KafkaTimeoutError: no ack"))
        with tracer.start_as_current_span("ok", kind=SpanKind.CONSUMER) as ok:
            ok.set_status(Status(StatusCode.OK))
        with tracer.start_as_current_span("internal"):
            pass
    return list(kept.get_finished_spans())


# The official exporter's tags that ecomkit.zipkin does not send (its module doc says why).
UNSENT = {"service.name", "telemetry.sdk.language", "telemetry.sdk.name",
          "telemetry.sdk.version", "otel.library.name", "otel.library.version"}  # fmt: skip


def test_the_payload_is_the_official_exporters_field_for_field() -> None:
    spans = spans_of_every_shape()
    official = json.loads(JsonV2Encoder().serialize(spans, NodeEndpoint()).replace(
        '"serviceName": null', '"serviceName": "order"'))  # fmt: skip
    for encoded in official:  # the official exporter names the service at export time
        encoded["localEndpoint"] = {"serviceName": "order"}
        tags = encoded["tags"]
        for unsent in UNSENT | (
            {"otel.scope.version"} if not tags["otel.scope.version"] else set()
        ):
            del tags[unsent]
    ours = json.loads(ZipkinJsonExporter("http://127.0.0.1:1/api/v2/spans").encode(spans))
    assert len(ours) == len(spans) == 6
    assert ours == official


def test_a_span_carries_its_scope_and_instance_but_not_the_sdks_constants() -> None:
    resource = Resource.create({"service.name": "order", "service.instance.id": "worker-1"})
    provider = TracerProvider(resource=resource)
    kept = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(kept))
    with provider.get_tracer("opentelemetry.instrumentation.redis", "0.66b2").start_span("GET"):
        pass
    (encoded,) = json.loads(
        ZipkinJsonExporter("http://127.0.0.1:1/x").encode(kept.get_finished_spans())
    )
    assert encoded["localEndpoint"] == {"serviceName": "order"}
    assert encoded["tags"] == {
        "service.instance.id": "worker-1",
        "otel.scope.name": "opentelemetry.instrumentation.redis",
        "otel.scope.version": "0.66b2",
    }


def test_a_batch_is_one_post_to_the_v2_api(zipkin: str) -> None:
    exporter = ZipkinJsonExporter(zipkin, timeout=5)
    spans = spans_of_every_shape()
    assert exporter.export(spans) is SpanExportResult.SUCCESS
    assert exporter.export(spans[:2]) is SpanExportResult.SUCCESS
    exporter.shutdown()
    assert [(path, kind, len(body)) for path, kind, body in Zipkin.received] == [
        ("/api/v2/spans", "application/json", 6),
        ("/api/v2/spans", "application/json", 2),
    ]


def test_a_refused_batch_is_a_failure_not_an_exception(zipkin: str) -> None:
    Zipkin.status = 400
    exporter = ZipkinJsonExporter(zipkin, timeout=5)
    assert exporter.export(spans_of_every_shape()) is SpanExportResult.FAILURE


def test_a_batch_on_a_connection_zipkin_closed_is_sent_again_once(zipkin: str) -> None:
    exporter = ZipkinJsonExporter(zipkin, timeout=5)
    Zipkin.resets = 1
    assert exporter.export(spans_of_every_shape()) is SpanExportResult.SUCCESS
    assert [len(body) for _, _, body in Zipkin.received] == [6]  # taken once, not lost


def test_a_zipkin_that_resets_again_is_a_failure_not_an_exception(zipkin: str) -> None:
    exporter = ZipkinJsonExporter(zipkin, timeout=5)
    Zipkin.resets = 2
    assert exporter.export(spans_of_every_shape()) is SpanExportResult.FAILURE
    assert Zipkin.received == []
