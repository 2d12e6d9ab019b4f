"""CLIENT spans that no other span is a child of: a Redis command, a SQL statement, a Mongo
command. Recorded for a fifth of what the SDK's own span costs.

The SDK's `Span` is made for spans that can be current, get children, and change from any
thread: each one asks the sampler, validates its attributes under a lock one by one, and
takes the lock again to end. A leaf needs none of that: its parent is the request's span,
which was sampled already; its attributes are the kit's own, of known types; nothing sees it
before it ends. So a leaf keeps its start time and attributes in plain fields and, at its
end, becomes the `ReadableSpan` the provider's processors take, the same object the SDK
would have handed them (about 4 us a span against 22, measured in-process: every read
through the gateway makes three or four of them, tracing_cost in docs/benchmarks.md).

The processors are the parent span's (the provider that sampled the request), reached
through the SDK span's `_span_processor`: a private attribute of the pinned SDK, which
kit/tests/test_leaf_spans.py checks against the provider's exporter. Under any other kind
of parent the leaf is an ordinary SDK span.
"""

from __future__ import annotations

import random
import time
from collections.abc import Mapping
from typing import Any, Protocol

from opentelemetry import trace
from opentelemetry.sdk.trace import Event, ReadableSpan, SpanProcessor
from opentelemetry.sdk.trace import Span as SdkSpan
from opentelemetry.sdk.util.instrumentation import InstrumentationScope
from opentelemetry.trace import SpanContext, SpanKind, Status, StatusCode, Tracer

__all__ = ["Leaf", "start_leaf"]

SCOPE = InstrumentationScope("ecomkit")


class Leaf(Protocol):
    def fail(self, error: BaseException | str) -> None: ...
    def end(self) -> None: ...


class LeafSpan:
    __slots__ = ("_attributes", "_events", "_name", "_parent", "_processor", "_start", "_status")

    def __init__(self, name: str, parent: SdkSpan, attributes: Mapping[str, Any]) -> None:
        self._name = name
        self._parent = parent
        self._processor: SpanProcessor = parent._span_processor
        self._attributes = attributes
        self._events: tuple[Event, ...] = ()
        self._status = Status(StatusCode.UNSET)
        self._start = time.time_ns()

    def fail(self, error: BaseException | str) -> None:
        """Status ERROR with the reason, and the exception's event (as `mark_failed`)."""
        if isinstance(error, BaseException):
            kind = type(error).__name__
            self._events = (Event("exception", {"exception.type": kind,
                                                "exception.message": str(error)}),)  # fmt: skip
            self._status = Status(StatusCode.ERROR, f"{kind}: {error}")
        else:
            self._status = Status(StatusCode.ERROR, error)

    def end(self) -> None:
        parent = self._parent.get_span_context()
        context = SpanContext(parent.trace_id, random.getrandbits(64), False, parent.trace_flags)
        span = ReadableSpan(
            name=self._name,
            context=context,
            parent=parent,
            resource=self._parent.resource,
            attributes=self._attributes,
            events=self._events,
            kind=SpanKind.CLIENT,
            status=self._status,
            start_time=self._start,
            end_time=time.time_ns(),
            instrumentation_scope=SCOPE,
        )
        self._processor.on_end(span)


class _SdkLeaf:
    """A leaf under a parent that is not the SDK's span: an ordinary span of `tracer`."""

    __slots__ = ("_span",)

    def __init__(self, tracer: Tracer, name: str, attributes: Mapping[str, Any]) -> None:
        self._span = tracer.start_span(name, kind=SpanKind.CLIENT, attributes=attributes)

    def fail(self, error: BaseException | str) -> None:
        from ecomkit.tracing import mark_failed

        mark_failed(self._span, error)

    def end(self) -> None:
        self._span.end()


def start_leaf(tracer: Tracer, name: str, attributes: Mapping[str, Any]) -> Leaf | None:
    """A leaf CLIENT span under the current span, or None when that span does not record
    (no sampled request around the call: it costs nothing)."""
    parent = trace.get_current_span()
    if not parent.is_recording():
        return None
    if isinstance(parent, SdkSpan):
        return LeafSpan(name, parent, attributes)
    return _SdkLeaf(tracer, name, attributes)
