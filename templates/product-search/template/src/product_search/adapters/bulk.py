"""Index writes gathered into bulk requests.

Each consumer task hands over one change and waits for it to be written; the first
change of a batch waits `linger_s` for others (other partitions' events) to join, then the
whole batch goes out as one `_bulk` request. The version guard in the script makes the
order inside a batch irrelevant. While OpenSearch is unavailable the batch is retried with
a capped backoff and the waiting events stay uncommitted in Kafka: nothing is lost, and
nothing goes to the DLQ because the search server was down.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence

from product_search.domain.documents import IndexChange
from product_search.domain.errors import SearchUnavailable

log = logging.getLogger(__name__)

Flush = Callable[[Sequence[IndexChange]], Awaitable[list[Exception | None]]]


class BulkWriter:
    def __init__(
        self, flush: Flush, *, linger_s: float, max_actions: int, max_backoff_s: float = 5.0
    ) -> None:
        self._flush, self._linger_s, self._max = flush, linger_s, max_actions
        self._max_backoff_s = max_backoff_s
        self._pending: list[tuple[IndexChange, asyncio.Future[None]]] = []
        self._timer: asyncio.Task[None] | None = None
        self._sending: set[asyncio.Task[None]] = set()  # referenced until done

    async def write(self, change: IndexChange) -> None:
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append((change, done))
        if len(self._pending) >= self._max:
            self._send_now()
        elif self._timer is None:
            self._timer = asyncio.create_task(self._after_linger())
        await done

    async def _after_linger(self) -> None:
        await asyncio.sleep(self._linger_s)
        self._timer = None
        self._send_now()

    def _send_now(self) -> None:
        batch, self._pending = self._pending, []
        if batch:
            task = asyncio.create_task(self._send(batch))
            self._sending.add(task)
            task.add_done_callback(self._sending.discard)

    async def _send(self, batch: list[tuple[IndexChange, asyncio.Future[None]]]) -> None:
        wait = 0.2
        while True:
            try:
                outcomes = await self._flush([change for change, _ in batch])
                break
            except SearchUnavailable as error:
                log.warning("search index unavailable, retrying %d writes: %s", len(batch), error)
                await asyncio.sleep(wait)
                wait = min(wait * 2, self._max_backoff_s)
            except Exception as error:
                outcomes = [error] * len(batch)
                break
        for (_, done), outcome in zip(batch, outcomes, strict=True):
            if done.done():
                continue
            if outcome is None:
                done.set_result(None)
            else:
                done.set_exception(outcome)
