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

A call to another process is a leaf as well (nothing in this process is its child; the
callee's spans are, through the `traceparent` it is sent): `leaf_span` gives the gateway's
upstream attempts and the kit's HTTP client their span, and its `traceparent()`.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Protocol

from opentelemetry import trace
from opentelemetry.sdk.trace import Event, ReadableSpan, SpanProcessor
from opentelemetry.sdk.trace import Span as SdkSpan
from opentelemetry.sdk.util.instrumentation import InstrumentationScope
from opentelemetry.trace import SpanContext, SpanKind, Status, StatusCode, Tracer

__all__ = ["Leaf", "leaf_span", "start_leaf"]

SCOPE = InstrumentationScope("ecomkit")


class Leaf(Protocol):
    def set_attribute(self, key: str, value: Any) -> None: ...
    def traceparent(self) -> str | None: ...
    def fail(self, error: BaseException | str) -> None: ...
    def end(self) -> None: ...


def _traceparent(context: SpanContext) -> str:
    return f"00-{context.trace_id:032x}-{context.span_id:016x}-{int(context.trace_flags):02x}"


class LeafSpan:
    __slots__ = ("_attributes", "_context", "_events", "_name", "_parent", "_processor",
                 "_start", "_status")  # fmt: skip

    def __init__(self, name: str, parent: SdkSpan, attributes: Mapping[str, Any]) -> None:
        self._name = name
        self._parent = parent
        self._processor: SpanProcessor = parent._span_processor
        self._attributes = dict(attributes)
        self._events: tuple[Event, ...] = ()
        self._status = Status(StatusCode.UNSET)
        of = parent.get_span_context()
        self._context = SpanContext(of.trace_id, random.getrandbits(64), False, of.trace_flags)
        self._start = time.time_ns()

    def set_attribute(self, key: str, value: Any) -> None:
        self._attributes[key] = value

    def traceparent(self) -> str:
        return _traceparent(self._context)

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
        span = ReadableSpan(
            name=self._name,
            context=self._context,
            parent=self._parent.get_span_context(),
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

    def set_attribute(self, key: str, value: Any) -> None:
        self._span.set_attribute(key, value)

    def traceparent(self) -> str | None:
        context = self._span.get_span_context()
        return _traceparent(context) if context.is_valid else None

    def fail(self, error: BaseException | str) -> None:
        from ecomkit.tracing import mark_failed

        mark_failed(self._span, error)

    def end(self) -> None:
        self._span.end()


class _NoLeaf:
    """No span: the caller's span does not record. What a call sends is then the current
    span's context (its trace id, not sampled), so the callee continues the trace as
    unsampled, and its logs carry the same trace id."""

    def set_attribute(self, key: str, value: Any) -> None:
        pass

    def traceparent(self) -> str | None:
        context = trace.get_current_span().get_span_context()
        return _traceparent(context) if context.is_valid else None

    def fail(self, error: BaseException | str) -> None:
        pass

    def end(self) -> None:
        pass


NO_LEAF = _NoLeaf()


def start_leaf(tracer: Tracer, name: str, attributes: Mapping[str, Any]) -> Leaf | None:
    """A leaf CLIENT span under the current span, or None when that span does not record
    (no sampled request around the call: it costs nothing)."""
    parent = trace.get_current_span()
    if not parent.is_recording():
        return None
    if isinstance(parent, SdkSpan):
        return LeafSpan(name, parent, attributes)
    return _SdkLeaf(tracer, name, attributes)


@contextmanager
def leaf_span(tracer: Tracer, name: str, attributes: Mapping[str, Any]) -> Iterator[Leaf]:
    """A leaf CLIENT span around a block (a no-op one outside a recording span); an
    exception marks it failed."""
    leaf = start_leaf(tracer, name, attributes) or NO_LEAF
    try:
        yield leaf
    except Exception as error:
        leaf.fail(error)
        raise
    finally:
        leaf.end()
