"""The kit's SQL spans against a real PostgreSQL: one CLIENT span per statement under the
request that ran it, with the official names and tags, a failed statement marked, and none
outside a sampled request."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from ecomkit.sql_spans import trace_statements
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode
from sqlalchemy import text
from sqlalchemy.exc import ProgrammingError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

pytestmark = pytest.mark.anyio

EXPORTER = InMemorySpanExporter()
PROVIDER = TracerProvider()
PROVIDER.add_span_processor(SimpleSpanProcessor(EXPORTER))
TRACER = PROVIDER.get_tracer("test")


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def engine(postgres_url: str) -> AsyncIterator[AsyncEngine]:
    trace_statements(TRACER)
    engine = create_async_engine(postgres_url.replace("postgresql://", "postgresql+asyncpg://"))
    EXPORTER.clear()
    yield engine
    await engine.dispose()


def client_spans() -> list[ReadableSpan]:
    return [s for s in EXPORTER.get_finished_spans() if s.kind is SpanKind.CLIENT]


async def test_a_statement_in_a_request_is_a_client_span_of_it(engine: AsyncEngine) -> None:
    with TRACER.start_as_current_span("request", kind=SpanKind.SERVER) as request:
        async with engine.connect() as connection:
            assert (await connection.execute(text("select 41 + 1"))).scalar() == 42
    (span,) = [s for s in client_spans() if s.name == "select"]
    assert span.parent is not None and span.parent.span_id == request.get_span_context().span_id
    assert span.context.trace_id == request.get_span_context().trace_id
    tags = dict(span.attributes or {})
    assert tags["db.system"] == "postgresql" and tags["db.statement"] == "select 41 + 1"
    assert tags["db.operation"] == "SELECT" and tags["db.name"] == "postgres"
    assert tags["net.peer.name"] == "127.0.0.1" and isinstance(tags["net.peer.port"], int)


async def test_a_statement_outside_a_sampled_request_makes_no_span(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        await connection.execute(text("select 1"))
    assert client_spans() == []


async def test_a_failed_statement_is_marked_and_still_raises(engine: AsyncEngine) -> None:
    missing = f"missing_{uuid.uuid4().hex[:8]}"
    with TRACER.start_as_current_span("request"), pytest.raises(ProgrammingError):
        async with engine.connect() as connection:
            await connection.execute(text(f"select * from {missing}"))
    (failed,) = [s for s in client_spans() if missing in str((s.attributes or {})["db.statement"])]
    assert failed.status.status_code is StatusCode.ERROR
    assert "does not exist" in (failed.status.description or "")
    assert [event.name for event in failed.events] == ["exception"]
