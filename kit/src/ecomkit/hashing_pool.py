"""A bounded pool for password hashing that takes its waiting callers in turn by client.

argon2 costs one core for a sixth of a second, so a service hashes a few at a time and the
rest wait. First come, first served would let one client's burst decide everyone's wait:
the 50 failed logins an IP gets free before its backoff are 50 hashes, and a user logging
in behind them waited for all 50. Here waiters queue per key (a client IP, a user) and
a free slot goes to the keys in turn, one waiter each: whoever arrives behind a burst
waits for the hashes in progress and at most one more per other waiting key.

A caller holds its turn for a whole check (`turn`), so the work around the hash (looking
the user up) is bounded by the pool too: a burst holds `slots` database connections,
not one per request.
"""

from __future__ import annotations

import asyncio
import os
import sys
import threading
from collections import OrderedDict, deque
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from contextlib import asynccontextmanager
from typing import Any

Run = Callable[..., Awaitable[Any]]
"""`await run(fn, *args)`: fn(*args) in the pool's thread (or inline without one)."""


class FairHashingPool:
    def __init__(self, slots: int, executor: Executor | None = None) -> None:
        """`executor` None runs the work inline (tests with a fake hasher)."""
        self.slots = slots
        self._free = slots
        self._executor = executor
        self._waiting: OrderedDict[str, deque[asyncio.Future[None]]] = OrderedDict()

    @classmethod
    def threads(cls, threads: int, *, nice: int = 0) -> FairHashingPool:
        """`threads` hashes at once, each in a thread (argon2-cffi releases the GIL). With
        `nice` above 0 (Linux: per thread) the threads run at that nice and in the idle
        scheduling class, so that the event loop's requests, and the database and Redis
        they wait on, get a contended core first and hashes take what is left: at nice 10
        alone a burst of 50 logins still doubled other users' p95, waking into a core a
        hash held (login_burst, docs/benchmarks.md). Hashes still take every idle cycle;
        only a machine busy without pause would hold logins back."""
        executor = ThreadPoolExecutor(
            max_workers=threads, thread_name_prefix="argon2", initializer=_lower_priority(nice)
        )
        return cls(threads, executor)

    @property
    def waiting(self) -> int:
        """Callers waiting for a turn (what a newcomer may wait behind, in the worst case
        of FIFO; here it waits for at most one of them per key)."""
        return sum(len(queue) for queue in self._waiting.values())

    @asynccontextmanager
    async def turn(self, key: str) -> AsyncIterator[Run]:
        await self._acquire(key)
        try:
            yield self._run
        finally:
            self._release()

    async def run(self, key: str, fn: Callable[..., Any], *args: Any) -> Any:
        async with self.turn(key) as run:
            return await run(fn, *args)

    async def _run(self, fn: Callable[..., Any], *args: Any) -> Any:
        if self._executor is None:
            return fn(*args)
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)

    async def _acquire(self, key: str) -> None:
        if self._free > 0 and not self._waiting:
            self._free -= 1
            return
        granted: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(key, deque()).append(granted)
        try:
            await granted
        except asyncio.CancelledError:
            if granted.done() and not granted.cancelled():
                self._release()  # granted as the caller went away: pass the slot on
            else:
                self._forget(key, granted)
            raise

    def _release(self) -> None:
        while self._waiting:
            key, queue = next(iter(self._waiting.items()))
            granted = queue.popleft()
            if queue:
                self._waiting.move_to_end(key)  # its next waiter after every other key's
            else:
                del self._waiting[key]
            if not granted.done():
                granted.set_result(None)  # the slot passes straight to the waiter
                return
        self._free += 1

    def _forget(self, key: str, granted: asyncio.Future[None]) -> None:
        queue = self._waiting.get(key)
        if queue is not None and granted in queue:
            queue.remove(granted)
            if not queue:
                del self._waiting[key]


def _lower_priority(nice: int) -> Callable[[], None]:
    def lower() -> None:
        if nice and sys.platform == "linux":  # elsewhere the call would renice the process
            thread = threading.get_native_id()
            os.setpriority(os.PRIO_PROCESS, thread, nice)
            os.sched_setscheduler(thread, os.SCHED_IDLE, os.sched_param(0))

    return lower
