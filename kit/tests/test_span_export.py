"""Spans are exported from the event loop they end on: batched, bounded, and never waited
on by the code that ends them (ecomkit.span_export)."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import Decision, Sampler, SamplingResult
from zipkin_standin import Zipkin

from ecomkit.span_export import LoopSpanProcessor
from ecomkit.zipkin import ZipkinJsonExporter

pytestmark = pytest.mark.anyio


def tracer_of(processor: LoopSpanProcessor, sampler: Sampler | None = None) -> Any:
    provider = TracerProvider(
        resource=Resource.create({"service.name": "order"}), sampler=sampler, shutdown_on_exit=False
    )
    provider.add_span_processor(processor)
    return provider.get_tracer("ecomkit")


def end_spans(tracer: Any, count: int, prefix: str = "s") -> None:
    for index in range(count):
        with tracer.start_as_current_span(f"{prefix}{index}"):
            pass


async def until(condition: Callable[[], object], seconds: float = 10) -> None:
    for _ in range(int(seconds / 0.01)):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("not reached in time")


def posted() -> list[list[str]]:
    return [[span["name"] for span in body] for _, _, body in Zipkin.received]


async def test_spans_ended_on_the_loop_are_posted_together_after_the_delay(zipkin: str) -> None:
    tracer = tracer_of(LoopSpanProcessor(ZipkinJsonExporter(zipkin), delay_s=0.05))
    end_spans(tracer, 3)
    assert Zipkin.received == []  # ending a span posts nothing: the loop does, later
    await until(lambda: Zipkin.received)
    assert posted() == [["s0", "s1", "s2"]]
    assert {(path, kind) for path, kind, _ in Zipkin.received} == {
        ("/api/v2/spans", "application/json")
    }


async def test_a_full_batch_goes_at_once_and_a_remainder_waits(zipkin: str) -> None:
    processor = LoopSpanProcessor(ZipkinJsonExporter(zipkin), batch=4, delay_s=3600)
    end_spans(tracer_of(processor), 10)
    await until(lambda: len(Zipkin.received) == 2)
    await asyncio.sleep(0.1)
    assert [len(names) for names in posted()] == [4, 4]
    await processor.flush()
    assert [name for names in posted() for name in names] == [f"s{i}" for i in range(10)]


async def test_a_batch_encoded_in_slices_is_the_exporters_encoding(zipkin: str) -> None:
    exporter = ZipkinJsonExporter(zipkin)
    kept = InMemorySpanExporter()
    processor = LoopSpanProcessor(exporter, batch=1000, delay_s=3600)
    provider = TracerProvider(
        resource=Resource.create({"service.name": "order"}), shutdown_on_exit=False
    )
    provider.add_span_processor(processor)
    provider.add_span_processor(SimpleSpanProcessor(kept))
    tracer = provider.get_tracer("ecomkit")
    for index in range(75):  # three slices of 32, the last one short
        with tracer.start_as_current_span(f"s{index}", attributes={"i": index}):
            pass
    await processor.flush()
    ((_, _, body),) = Zipkin.received
    assert body == json.loads(exporter.encode(kept.get_finished_spans()))


async def test_a_full_queue_drops_what_comes_and_counts_it(zipkin: str) -> None:
    processor = LoopSpanProcessor(ZipkinJsonExporter(zipkin), max_queued=5, batch=100, delay_s=3600)
    end_spans(tracer_of(processor), 8)
    assert processor.dropped == 3
    await processor.flush()
    assert posted() == [["s0", "s1", "s2", "s3", "s4"]]


async def test_spans_recorded_but_not_sampled_are_not_exported(zipkin: str) -> None:
    processor = LoopSpanProcessor(ZipkinJsonExporter(zipkin), delay_s=3600)
    end_spans(tracer_of(processor, sampler=_RecordOnly()), 3)
    end_spans(tracer_of(processor), 1, prefix="sampled")
    await processor.flush()
    assert posted() == [["sampled0"]]


async def test_a_zipkin_that_does_not_answer_holds_nothing_up(silent_zipkin: str) -> None:
    processor = LoopSpanProcessor(
        ZipkinJsonExporter(silent_zipkin, timeout=1.5), batch=1, delay_s=3600, timeout_s=1.5
    )
    tracer = tracer_of(processor)
    end_spans(tracer, 1)  # a full batch: its post starts, and hangs
    served = 0
    for _ in range(20):  # meanwhile the loop goes on serving
        await asyncio.sleep(0.001)
        end_spans(tracer, 1)
        served += 1
    assert served == 20 and processor.failed == 0  # the post is still waiting
    await until(lambda: processor.failed == 1)
    await asyncio.sleep(0.1)
    # One batch lost; the others wait for the delay instead of each waiting for a timeout.
    assert (processor.failed, processor.dropped) == (1, 0)


async def test_a_zipkin_that_is_down_costs_the_batch_only(zipkin: str) -> None:
    processor = LoopSpanProcessor(
        ZipkinJsonExporter("http://127.0.0.1:9/api/v2/spans"), batch=2, delay_s=3600
    )
    end_spans(tracer_of(processor), 2)
    await until(lambda: processor.failed == 2)
    assert processor.dropped == 0


async def test_a_span_ended_on_another_thread_wakes_the_loop(zipkin: str) -> None:
    processor = LoopSpanProcessor(ZipkinJsonExporter(zipkin), batch=2, delay_s=3600)
    tracer = tracer_of(processor)
    end_spans(tracer, 1, prefix="loop")  # the loop that exports is the one spans end on
    await asyncio.to_thread(end_spans, tracer, 1, "thread")
    await until(lambda: Zipkin.received)
    assert posted() == [["loop0", "thread0"]]


async def test_force_flush_on_the_loops_own_thread_posts_the_queue_at_once(zipkin: str) -> None:
    processor = LoopSpanProcessor(ZipkinJsonExporter(zipkin), delay_s=3600)
    end_spans(tracer_of(processor), 2)
    assert processor.force_flush() is True
    assert posted() == [["s0", "s1"]]


def test_force_flush_from_another_thread_waits_for_the_loop(zipkin: str) -> None:
    processor = LoopSpanProcessor(ZipkinJsonExporter(zipkin), delay_s=3600)
    tracer = tracer_of(processor)
    with _loop_in_a_thread() as loop:
        asyncio.run_coroutine_threadsafe(_end_on_loop(tracer), loop).result(5)
        assert Zipkin.received == []
        assert processor.force_flush(timeout_millis=5000) is True
        assert posted() == [["s0", "s1", "s2"]]


async def _end_on_loop(tracer: Any) -> None:
    end_spans(tracer, 3)


@pytest.fixture
def silent_zipkin() -> Iterator[str]:
    """A port that takes connections and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    yield f"http://127.0.0.1:{listener.getsockname()[1]}/api/v2/spans"
    listener.close()


@contextmanager
def _loop_in_a_thread() -> Iterator[asyncio.AbstractEventLoop]:
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        yield loop
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        loop.close()


class _RecordOnly(Sampler):
    """Records every span without sampling it (what a recording but unsampled span is)."""

    def should_sample(self, *args: Any, **kwargs: Any) -> SamplingResult:
        return SamplingResult(Decision.RECORD_ONLY)

    def get_description(self) -> str:
        return "RecordOnly"


async def test_a_stopping_service_posts_every_span_the_batch_under_way_too(zipkin: str) -> None:
    """The app's shutdown waits for an export already posting (Zipkin slow to read it),
    then posts the rest: nothing is left to a loop that is about to stop. (Flushed on the
    loop's own thread, the rest went first and the batch was still unread when the app
    had stopped.)"""
    from ecomkit.settings import ServiceSettings
    from ecomkit.web import create_app

    settings = ServiceSettings(service_name="order", zipkin_url=zipkin)
    app = create_app(settings, title="order", configure_logs=False)
    tracer = app.state.tracer_provider.get_tracer("ecomkit")
    Zipkin.delays = [1.0]  # the batch's post
    async with app.router.lifespan_context(app):
        end_spans(tracer, 512, "batch")  # a whole batch: posted at once
        await until(lambda: Zipkin.arrived)
        end_spans(tracer, 3, "late")  # queued behind it
    names = [name for batch in posted() for name in batch]
    assert len(names) == 515
    assert names[-3:] == ["late0", "late1", "late2"]
