"""Spans exported from the service's own event loop, not from a thread of their own.

The SDK's BatchSpanProcessor encodes and posts on a thread. Under the GIL that thread
takes turns with the event loop: each of its turns held every request in flight (up to
5 ms at the interpreter's default switch interval), and each hand-off of the GIL costs
both threads. Measured on the gateway's reads (tracing_cost), that was most of what
tracing cost, more than making the spans.

Here the loop does it, between requests, in small pieces: a batch is encoded a slice of
ENCODE_SLICE spans at a time (about half a millisecond each, then the loop serves what is
waiting) and posted with the kit's asyncio HTTP client. Nothing a request does waits on it:
`on_end` appends to a bounded queue (a full queue drops the span and counts it), and a
Zipkin that is down or does not answer costs one connection attempt or EXPORT_TIMEOUT_S
per batch, on a task of its own, one batch at a time.

A span ended on another thread (pymongo's monitoring, a thread pool) is queued the same
way and the loop is woken through `call_soon_threadsafe`.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from urllib.parse import urlsplit

from opentelemetry.context import Context
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor

from ecomkit.upstream_pool import Origin, UpstreamError, UpstreamPool, UpstreamTimeout
from ecomkit.zipkin import ZipkinJsonExporter

log = logging.getLogger(__name__)

MAX_QUEUED_SPANS = 4096
EXPORT_BATCH = 512
EXPORT_DELAY_S = 5.0  # the SDK's default schedule delay: a quiet service posts this often
EXPORT_TIMEOUT_S = 2.0
ENCODE_SLICE = 32
_JSON = [(b"content-type", b"application/json")]


class LoopSpanProcessor(SpanProcessor):
    """Queues each sampled span as it ends and posts batches to Zipkin from the event loop
    the spans end on: at once when EXPORT_BATCH are waiting, else EXPORT_DELAY_S after the
    first of them."""

    def __init__(
        self,
        exporter: ZipkinJsonExporter,
        *,
        max_queued: int = MAX_QUEUED_SPANS,
        batch: int = EXPORT_BATCH,
        delay_s: float = EXPORT_DELAY_S,
        timeout_s: float = EXPORT_TIMEOUT_S,
    ) -> None:
        self._exporter = exporter
        parts = urlsplit(exporter.endpoint)
        self._origin = Origin.parse(exporter.endpoint)
        self._target = parts.path or "/"
        self._max_queued, self._batch = max_queued, batch
        self._delay_s, self._timeout_s = delay_s, timeout_s
        self._queue: deque[ReadableSpan] = deque()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pool: UpstreamPool | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._export: asyncio.Task[None] | None = None
        self._backing_off = False  # the last post failed: the next waits for the delay
        self.dropped = 0  # spans not queued because the queue was full
        self.failed = 0  # spans Zipkin did not take (down, refused, timed out)

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        pass

    def on_end(self, span: ReadableSpan) -> None:
        context = span.context
        if context is None or not context.trace_flags.sampled:
            return
        if len(self._queue) >= self._max_queued:
            self.dropped += 1
            return
        self._queue.append(span)
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # ended on another thread: wake the loop that exports
            if self._loop is not None and not self._loop.is_closed():
                self._loop.call_soon_threadsafe(self._schedule)
            return
        if loop is not self._loop:
            self._bind(loop)
        self._schedule()

    def _bind(self, loop: asyncio.AbstractEventLoop) -> None:
        """The first span on a loop (a process has one; tests make many): what belonged to
        another loop cannot run on this one."""
        self._loop = loop
        self._pool = UpstreamPool(connect_timeout_s=self._timeout_s, read_timeout_s=self._timeout_s)
        self._timer = None
        self._export = None
        self._backing_off = False

    def _schedule(self) -> None:
        if self._export is not None or self._loop is None:
            return  # the running export looks at the queue again when it ends
        if len(self._queue) >= self._batch and not self._backing_off:
            self._start_export()
        elif self._timer is None and self._queue:
            self._timer = self._loop.call_later(self._delay_s, self._start_export)

    def _start_export(self) -> None:
        self._backing_off = False
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._export is None and self._queue and self._loop is not None:
            self._export = self._loop.create_task(self._export_full_batches())
            self._export.add_done_callback(self._exported)

    def _exported(self, task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            log.error("exporting spans failed", exc_info=task.exception())
        if self._export is task:
            self._export = None
            self._schedule()  # a remainder waits for the delay; a full batch goes now

    async def _export_full_batches(self) -> None:
        """One batch, then more while a whole batch is waiting and Zipkin takes them."""
        while True:
            if not await self._post(self._take(self._batch)):
                # Zipkin is down or slow: try again after the delay, not batch after batch
                # (meanwhile the queue fills and then drops).
                self._backing_off = True
                return
            if len(self._queue) < self._batch:
                return

    def _take(self, count: int) -> list[ReadableSpan]:
        queue = self._queue
        return [queue.popleft() for _ in range(min(count, len(queue)))]

    async def _post(self, spans: list[ReadableSpan]) -> bool:
        """Whether Zipkin took the spans."""
        if not spans:
            return True
        body = await self._encode(spans)
        assert self._pool is not None
        for attempt in (1, 2):
            try:
                response = await self._pool.request("POST", self._origin, self._target, _JSON, body)
                await response.read()
            except UpstreamError as error:
                # Zipkin closed a kept-alive connection as the batch went out on it (or
                # is down): once more, on a new connection.
                if attempt == 2:
                    return self._lost(spans, error)
                continue
            except (UpstreamTimeout, OSError) as error:
                return self._lost(spans, error)
            if response.status >= 300:
                return self._lost(spans, f"HTTP {response.status}")
            return True
        return False

    async def _encode(self, spans: list[ReadableSpan]) -> bytes:
        """The batch as one JSON array, encoded a slice at a time with a turn of the loop
        between slices."""
        parts = []
        for start in range(0, len(spans), ENCODE_SLICE):
            if start:
                await asyncio.sleep(0)
            parts.append(self._exporter.encode(spans[start : start + ENCODE_SLICE])[1:-1])
        return b"[" + b",".join(parts) + b"]"

    def _lost(self, spans: list[ReadableSpan], why: object) -> bool:
        self.failed += len(spans)
        log.warning("Zipkin did not take %d spans: %s", len(spans), why)
        return False

    async def flush(self) -> None:
        """Post everything queued, the export under way first."""
        while self._export is not None:
            await asyncio.wait([self._export])
        while self._queue:
            await self._post(self._take(self._batch))

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        """From another thread: waits for the loop to post everything. On the loop's own
        thread (which cannot wait for itself), or with no loop running: posts what is
        queued now, blocking, and leaves an export under way to finish on its own."""
        loop = self._loop
        if loop is not None and loop.is_running() and not _on_loop(loop):
            future = asyncio.run_coroutine_threadsafe(self.flush(), loop)
            try:
                future.result(timeout_millis / 1000)
            except TimeoutError:
                return False
            return True
        while self._queue:
            self._exporter.export(self._take(self._batch))
        return True

    def shutdown(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self.force_flush()
        self._exporter.shutdown()


def _on_loop(loop: asyncio.AbstractEventLoop) -> bool:
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return False
