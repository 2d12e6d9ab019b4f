"""The kit's Redis spans against a real Redis: one CLIENT span per command and pipeline under
the request that ran it, the official names and tags, errors marked, and none outside a
sampled request."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from ecomkit.redis_spans import instrument_redis
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode
from redis.asyncio import Redis
from redis.exceptions import ResponseError

pytestmark = pytest.mark.anyio

EXPORTER = InMemorySpanExporter()
PROVIDER = TracerProvider()
PROVIDER.add_span_processor(SimpleSpanProcessor(EXPORTER))
TRACER = PROVIDER.get_tracer("test")


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    instrument_redis(TRACER)
    client = Redis.from_url(redis_url)
    EXPORTER.clear()
    yield client
    await client.aclose()


def client_spans() -> list[ReadableSpan]:
    return [s for s in EXPORTER.get_finished_spans() if s.kind is SpanKind.CLIENT]


async def test_a_command_in_a_request_is_a_client_span_of_it(redis: Redis) -> None:
    with TRACER.start_as_current_span("request", kind=SpanKind.SERVER) as request:
        await redis.set("spans:a", "1")
        assert await redis.mget("spans:a", "spans:b") == [b"1", None]
    set_span, mget = client_spans()
    assert (set_span.name, mget.name) == ("SET", "MGET")
    assert mget.parent is not None and mget.parent.span_id == request.get_span_context().span_id
    tags = dict(mget.attributes or {})
    assert tags["db.system"] == "redis" and tags["db.statement"] == "MGET ? ?"
    assert tags["net.peer.name"] == "127.0.0.1" and isinstance(tags["net.peer.port"], int)


async def test_a_command_outside_a_sampled_request_makes_no_span(redis: Redis) -> None:
    await redis.ping()
    assert client_spans() == []


async def test_a_failed_command_is_marked_and_still_raises(redis: Redis) -> None:
    await redis.set("spans:text", "not a number")
    with TRACER.start_as_current_span("request"), pytest.raises(ResponseError):
        await redis.incr("spans:text")
    (failed,) = client_spans()
    assert failed.name == "INCRBY" and failed.status.status_code is StatusCode.ERROR


async def test_a_pipeline_is_one_span_naming_its_commands(redis: Redis) -> None:
    with TRACER.start_as_current_span("request"):
        async with redis.pipeline(transaction=False) as pipe:
            pipe.incr("spans:n").expire("spans:n", 60).incr("spans:n")
            assert (await pipe.execute())[-1] >= 2
    (pipeline,) = client_spans()
    assert pipeline.name == "INCRBY EXPIRE"
    tags = dict(pipeline.attributes or {})
    assert tags["db.statement"] == "INCRBY ? ?\nEXPIRE ? ?\nINCRBY ? ?"
    assert tags["db.redis.pipeline_length"] == 3


async def test_a_registered_script_runs_as_a_traced_evalsha(redis: Redis) -> None:
    script = redis.register_script("return redis.call('INCR', KEYS[1])")
    with TRACER.start_as_current_span("request"):
        assert await script(keys=["spans:script"]) >= 1
    names = [s.name for s in client_spans()]
    # The first call loads the script when the server did not know it yet.
    assert names[-1] == "EVALSHA" and set(names) <= {"EVALSHA", "SCRIPT LOAD", "SCRIPT"}
