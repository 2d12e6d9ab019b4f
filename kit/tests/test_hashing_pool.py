"""The hashing pool takes waiting clients in turn: counted by the order in which a fake
hasher receives its jobs, never by time."""

from __future__ import annotations

import asyncio
import os
import sys
import threading
import time

import pytest

from ecomkit.hashing_pool import FairHashingPool

pytestmark = pytest.mark.anyio


class RecordingHasher:
    """Records the jobs in the order it receives them."""

    def __init__(self) -> None:
        self.received: list[str] = []

    def verify(self, job: str) -> bool:
        self.received.append(job)
        return False


async def hold(pool: FairHashingPool) -> tuple[asyncio.Task[None], asyncio.Event]:
    """Someone else's turn, held until the returned event is set."""
    held, release = asyncio.Event(), asyncio.Event()

    async def holder() -> None:
        async with pool.turn("holder"):
            held.set()
            await release.wait()

    holding = asyncio.create_task(holder())
    await held.wait()
    return holding, release


async def queued(
    pool: FairHashingPool, hasher: RecordingHasher, jobs: list[tuple[str, str]]
) -> None:
    """Runs `jobs` (key, name) queued in this order behind a turn held meanwhile."""
    holding, release = await hold(pool)
    tasks = []
    for key, job in jobs:
        tasks.append(asyncio.create_task(pool.run(key, hasher.verify, job)))
        await asyncio.sleep(0)  # queued before the next one
    assert pool.waiting == len(jobs)
    release.set()
    await asyncio.gather(holding, *tasks)


async def test_a_victim_behind_a_burst_waits_for_one_of_its_hashes_not_all() -> None:
    hasher = RecordingHasher()
    burst = [("ip:attacker", f"guess{i}") for i in range(50)]
    await queued(FairHashingPool(1), hasher, [*burst, ("ip:victim", "victim")])
    assert hasher.received.index("victim") == 1  # 1 of the 50 guesses ran first, not 50
    assert [j for j in hasher.received if j != "victim"] == [j for _, j in burst]  # FIFO per key


async def test_waiting_keys_take_turns_one_job_each() -> None:
    hasher = RecordingHasher()
    jobs = [("a", "a1"), ("a", "a2"), ("a", "a3"), ("b", "b1"), ("b", "b2"), ("c", "c1")]
    await queued(FairHashingPool(1), hasher, jobs)
    assert hasher.received == ["a1", "b1", "c1", "a2", "b2", "a3"]


async def test_a_waiter_that_goes_away_gives_up_its_place_and_loses_no_slot() -> None:
    pool, hasher = FairHashingPool(1), RecordingHasher()
    holding, release = await hold(pool)
    gone = asyncio.create_task(pool.run("a", hasher.verify, "gone"))
    stays = asyncio.create_task(pool.run("b", hasher.verify, "stays"))
    await asyncio.sleep(0)
    gone.cancel()
    release.set()
    await asyncio.gather(holding, stays)
    assert hasher.received == ["stays"] and pool.waiting == 0
    await pool.run("c", hasher.verify, "after")  # the slot came back
    assert hasher.received == ["stays", "after"]


def test_no_more_hashes_at_once_than_threads() -> None:
    most, running, lock = 0, 0, threading.Lock()

    def slow_hash(_: int) -> None:
        nonlocal most, running
        with lock:
            running += 1
            most = max(most, running)
        time.sleep(0.005)
        with lock:
            running -= 1

    async def burst() -> None:
        pool = FairHashingPool.threads(2)
        await asyncio.gather(*(pool.run(f"ip:{i % 3}", slow_hash, i) for i in range(20)))

    asyncio.run(burst())
    assert most <= 2


@pytest.mark.skipif(sys.platform != "linux", reason="per-thread priority is Linux's")
async def test_hashing_threads_yield_the_cpu_to_requests() -> None:
    """A hash thread runs niced and in the idle class; the event loop's thread does not."""

    def priority() -> tuple[int, int]:
        thread = threading.get_native_id()
        return os.getpriority(os.PRIO_PROCESS, thread), os.sched_getscheduler(thread)

    pool = FairHashingPool.threads(1, nice=7)
    assert await pool.run("k", priority) == (7, os.SCHED_IDLE)
    assert priority() == (os.getpriority(os.PRIO_PROCESS, 0), os.SCHED_OTHER)
