"""Spans to Zipkin (its v2 JSON API), encoded for a fraction of the official exporter's cost.

`opentelemetry-exporter-zipkin-json` builds each span's tags again from the resource
(`service.name`, the SDK's three attributes) and the instrumentation scope (four more tags)
and encodes with the standard `json` module: about 33 us a span, on the export thread
but under the GIL every request of the service needs (tracing_cost in docs/benchmarks.md).
The tags that come from the resource and the scope are the same for every span of a
provider, so they are made once per (resource, scope), and the batch is encoded by orjson.

Of those constant tags, the ones that tell a reader of a trace nothing are not sent:
`service.name` (the span's `localEndpoint` names the service already), the SDK's language,
name and version, the deprecated `otel.library.*` twins of `otel.scope.*`, and a scope
version that is empty. Seven of the nine tags every span carried, a third of its bytes
(536 vs 799 a read's span), and of Zipkin's CPU to take it in (26 vs 36-61 us a span, in
tracing_cost's notes). The rest of the payload is the official exporter's, field for field:
kit/tests/test_zipkin.py encodes the same spans with both and compares.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from typing import Any

import orjson
import requests
from opentelemetry.sdk.resources import SERVICE_NAME
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult
from opentelemetry.trace import SpanKind, StatusCode

log = logging.getLogger(__name__)

KINDS = {
    SpanKind.SERVER: "SERVER",
    SpanKind.CLIENT: "CLIENT",
    SpanKind.PRODUCER: "PRODUCER",
    SpanKind.CONSUMER: "CONSUMER",
}


# Resource attributes every span would repeat with nothing to tell (see the module's doc).
UNSENT_RESOURCE_TAGS = frozenset({
    SERVICE_NAME, "telemetry.sdk.language", "telemetry.sdk.name", "telemetry.sdk.version",
})  # fmt: skip


def tag_value(value: Any) -> str | None:
    """Zipkin's tags are strings: booleans lower-case, sequences as compact JSON lists."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, Sequence):
        items = [
            tag_value(item) if item is not None else None
            for item in value
            if item is None or isinstance(item, bool | int | float | str)
        ]
        return json.dumps(items, separators=(",", ":"))
    return None


def tags_of(attributes: Mapping[str, Any] | None) -> dict[str, str]:
    tags: dict[str, str] = {}
    for key, value in (attributes or {}).items():
        if type(value) is str:  # most tags: no conversion
            tags[key] = value
            continue
        text = tag_value(value)
        if text is None:
            log.warning("Could not serialize tag %s", key)
        else:
            tags[key] = text
    return tags


def _usec(nanoseconds: int) -> int:
    return (nanoseconds + 500) // 1000


class ZipkinJsonExporter(SpanExporter):
    """Posts each batch to Zipkin's `/api/v2/spans` over one kept-alive connection."""

    def __init__(self, endpoint: str, *, timeout: float = 10.0) -> None:
        self.endpoint = endpoint
        self.timeout = timeout
        self._session = requests.Session()
        self._session.headers["Content-Type"] = "application/json"
        # By the ids of a resource and a scope, which the entry keeps alive (so an id is
        # never reused for another while it is a key here).
        self._constant: dict[tuple[int, int], tuple[Any, Any, dict[str, Any], dict[str, Any]]] = {}

    def encode(self, spans: Sequence[ReadableSpan]) -> bytes:
        return orjson.dumps([self._encode(span) for span in spans])

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        body = self.encode(spans)
        try:
            response = self._post(body)
        except requests.ConnectionError:
            # Zipkin closes a kept-alive connection after it idles; a batch sent on one it
            # has just closed is reset before Zipkin read it, and the whole batch (a trace's
            # gateway spans, seen in a CI run) was lost. Once more, on a new connection.
            try:
                response = self._post(body)
            except requests.RequestException as error:
                log.warning("Zipkin did not take %d spans: %s", len(spans), error)
                return SpanExportResult.FAILURE
        if response.status_code >= 300:
            log.error("Zipkin refused %d spans: %s %s", len(spans), response.status_code,
                      response.text[:200])  # fmt: skip
            return SpanExportResult.FAILURE
        return SpanExportResult.SUCCESS

    def _post(self, body: bytes) -> requests.Response:
        return self._session.post(self.endpoint, data=body, timeout=self.timeout)

    def shutdown(self) -> None:
        self._session.close()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True

    def _encode(self, span: ReadableSpan) -> dict[str, Any]:
        context = span.get_span_context()
        assert context is not None and span.start_time is not None and span.end_time is not None
        tags: dict[str, Any] = tags_of(span.attributes)
        provider_tags, endpoint = self._of_provider(span)
        tags.update(provider_tags)
        status = span.status.status_code
        if status is not StatusCode.UNSET:
            tags["otel.status_code"] = status.name
            if status is StatusCode.ERROR:
                tags["error"] = span.status.description or ""
        for what, count in (
            ("attributes", span.dropped_attributes),
            ("events", span.dropped_events),
            ("links", span.dropped_links),
        ):
            if count:
                tags[f"otel.dropped_{what}_count"] = str(count)
        encoded: dict[str, Any] = {
            "traceId": f"{context.trace_id:032x}",
            "id": f"{context.span_id:016x}",
            "name": span.name,
            "timestamp": _usec(span.start_time),
            "duration": _usec(span.end_time - span.start_time),
            "localEndpoint": endpoint,
            "kind": KINDS.get(span.kind),
        }
        if tags:
            encoded["tags"] = tags
        if span.events:
            encoded["annotations"] = [
                {
                    "timestamp": _usec(event.timestamp),
                    "value": json.dumps({event.name: dict(event.attributes or {})}, sort_keys=True),
                }
                for event in span.events
            ]
        if context.trace_flags.sampled:
            encoded["debug"] = True
        if span.parent is not None:
            encoded["parentId"] = f"{span.parent.span_id:016x}"
        return encoded

    def _of_provider(self, span: ReadableSpan) -> tuple[dict[str, Any], dict[str, Any]]:
        """The resource's and the instrumentation scope's tags worth sending, and the local
        endpoint: the same for every span of a provider and scope, so made once."""
        scope = span.instrumentation_scope
        key = (id(span.resource), id(scope))
        known = self._constant.get(key)
        if known is None:
            tags: dict[str, Any] = {
                key: value
                for key, value in tags_of(span.resource.attributes).items()
                if key not in UNSENT_RESOURCE_TAGS
            }
            if scope is not None:
                tags["otel.scope.name"] = scope.name
                if scope.version:
                    tags["otel.scope.version"] = scope.version
            endpoint = {"serviceName": span.resource.attributes.get(SERVICE_NAME)}
            known = self._constant[key] = (span.resource, scope, tags, endpoint)
        return known[2], known[3]
