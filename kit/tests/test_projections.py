"""The projection runner on the in-memory store: batches with tracking (exactly once when a
batch fails), generations, the switch when a rebuild caught up, the grace period (the
PostgreSQL store: tests/integration/test_kit_projections.py)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from ecomkit.eventstore import ProjectionRunner, RebuildInProgress, UnknownProjection
from ecomkit.eventstore.model import RecordedEvent
from ecomkit.eventstore.projections import Projection
from ecomkit.testing.projections import InMemoryProjectionStore

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class CountPerStream(Projection):
    """Events per stream; `fail_after` makes a batch raise after applying that many."""

    name = "counts"

    def __init__(self) -> None:
        self.fail_after: int | None = None

    async def create(self, session: Any, generation: int) -> None:
        session.setdefault(generation, {})

    async def drop(self, session: Any, generation: int) -> None:
        session.pop(generation, None)

    async def apply(self, session: Any, generation: int, events: Sequence[RecordedEvent]) -> None:
        counts = session[generation]
        for n, event in enumerate(events):
            if self.fail_after is not None and n == self.fail_after:
                raise RuntimeError("the runner died in the middle of a batch")
            counts[event.stream_id] = counts.get(event.stream_id, 0) + 1


def a_log(store: InMemoryProjectionStore, events: int, streams: int = 3) -> None:
    for n in range(events):
        store.record(f"s{n % streams}", "Happened", {"n": n})


async def caught_up(runner: ProjectionRunner) -> None:
    while await runner.step():
        pass


async def test_batches_follow_the_log_and_move_the_tracking_record() -> None:
    store, projection = InMemoryProjectionStore(), CountPerStream()
    runner = ProjectionRunner(store, [projection], batch=4)
    await runner.start()
    a_log(store, 10)
    assert [await runner.step() for _ in range(4)] == [4, 4, 2, 0]
    assert store.state.models[1] == {"s0": 4, "s1": 3, "s2": 3}
    [status] = await runner.status()
    assert (status.current, status.generations[0].position) == (1, 10)
    assert status.generations[0].lag.events == 0


async def test_a_failed_batch_repeats_nothing_and_loses_nothing() -> None:
    store, projection = InMemoryProjectionStore(), CountPerStream()
    runner = ProjectionRunner(store, [projection], batch=5)
    await runner.start()
    a_log(store, 12)
    await runner.step()
    projection.fail_after = 3  # dies with 3 of the next 5 applied
    with pytest.raises(RuntimeError):
        await runner.step()
    projection.fail_after = None
    await caught_up(runner)
    assert store.state.models[1] == {"s0": 4, "s1": 4, "s2": 4}


async def test_two_runners_never_apply_the_same_batch() -> None:
    store = InMemoryProjectionStore()
    runners = [ProjectionRunner(store, [CountPerStream()], batch=3) for _ in range(2)]
    await runners[0].start()
    await runners[1].start()
    a_log(store, 30)
    for _ in range(12):
        await asyncio.gather(*(r.step() for r in runners))
    assert sum(store.state.models[1].values()) == 30


async def test_a_rebuild_builds_beside_the_serving_generation_then_switches() -> None:
    store = InMemoryProjectionStore()
    runner = ProjectionRunner(store, [CountPerStream()], batch=4)
    await runner.start()
    a_log(store, 6)
    await caught_up(runner)
    assert await runner.rebuild("counts") == 2
    with pytest.raises(RebuildInProgress):
        await runner.rebuild("counts")
    await runner.step()  # generation 2 has 4 of 6: generation 1 still serves
    [status] = await runner.status()
    assert status.current == 1
    assert [(g.generation, g.state) for g in status.generations] == [
        (1, "serving"), (2, "building")
    ]  # fmt: skip
    a_log(store, 3)  # written during the rebuild
    await caught_up(runner)
    [status] = await runner.status()
    assert status.current == 2
    assert [g.state for g in status.generations] == ["retired", "serving"]
    assert store.state.models[2] == {"s0": 3, "s1": 3, "s2": 3}


async def test_a_retired_generation_is_dropped_after_the_grace_period() -> None:
    now = [datetime.now(UTC)]
    store = InMemoryProjectionStore()
    runner = ProjectionRunner(store, [CountPerStream()], grace_s=60, clock=lambda: now[0])
    await runner.start()
    a_log(store, 2)
    await runner.rebuild("counts")
    await caught_up(runner)
    assert set(store.state.models) == {1, 2}
    now[0] += timedelta(seconds=61)
    await runner.step()
    assert set(store.state.models) == {2}
    [status] = await runner.status()
    assert [g.generation for g in status.generations] == [2]


async def test_an_unknown_projection_is_named_with_the_known_ones() -> None:
    runner = ProjectionRunner(InMemoryProjectionStore(), [CountPerStream()])
    with pytest.raises(UnknownProjection, match="known: counts"):
        await runner.rebuild("nope")


async def test_the_loop_sleeps_until_woken() -> None:
    store = InMemoryProjectionStore()
    runner = ProjectionRunner(store, [CountPerStream()])
    woken = asyncio.Event()
    running = asyncio.create_task(runner.run(woken, poll_s=3600))
    try:
        await asyncio.sleep(0.05)
        a_log(store, 3)
        woken.set()
        for _ in range(100):
            if store.state.models.get(1, {}) and sum(store.state.models[1].values()) == 3:
                break
            await asyncio.sleep(0.01)
        assert sum(store.state.models[1].values()) == 3
        await runner.rebuild("counts")  # wakes the sleeping loop itself
        for _ in range(100):
            if (await runner.status())[0].current == 2:
                break
            await asyncio.sleep(0.01)
        assert store.state.models[2] == store.state.models[1]
    finally:
        running.cancel()


class SeededCounts(CountPerStream):
    """Counts on top of a seed: each legacy stream starts at its count as of a version, and
    its events up to that version (already in the count) are skipped."""

    def __init__(self, legacy: dict[str, tuple[int, int]]) -> None:
        super().__init__()
        self.legacy = legacy  # stream -> (version seeded, count as of it)
        self.seeds = 0
        self.fail_seed = False

    async def seed(self, session: Any, generation: int) -> None:
        self.seeds += 1
        session[generation].update({s: count for s, (_, count) in self.legacy.items()})
        if self.fail_seed:
            raise RuntimeError("the seed died half way")

    async def apply(self, session: Any, generation: int, events: Sequence[RecordedEvent]) -> None:
        seeded = {s: version for s, (version, _) in self.legacy.items()}
        fresh = [e for e in events if e.version > seeded.get(e.stream_id, 0)]
        await super().apply(session, generation, fresh)


def a_legacy_log(store: InMemoryProjectionStore) -> SeededCounts:
    """s0 has 2 events from before the seed (covered by it), s9 none; s0's count of 5 and
    s9's of 1 come from the seed."""
    store.record("s0", "Old")
    store.record("s0", "Old")
    return SeededCounts({"s0": (2, 5), "s9": (0, 1)})


async def test_a_generation_is_seeded_once_with_its_tracking_record() -> None:
    store = InMemoryProjectionStore()
    projection = a_legacy_log(store)
    runner = ProjectionRunner(store, [projection], batch=2)
    await runner.start()
    await ProjectionRunner(store, [projection]).start()  # a second instance seeds nothing
    await caught_up(runner)
    await caught_up(runner)  # nothing left to read: no second seed either
    assert projection.seeds == 1
    assert store.state.models[1] == {"s0": 5, "s9": 1}
    store.record("s9", "New")  # later events of a seeded stream count on top of the seed
    store.record("s0", "New")
    await caught_up(runner)
    assert store.state.models[1] == {"s0": 6, "s9": 2}


async def test_a_rebuild_seeds_again_and_equals_the_live_generation() -> None:
    store = InMemoryProjectionStore()
    projection = a_legacy_log(store)
    runner = ProjectionRunner(store, [projection], batch=2)
    await runner.start()
    a_log(store, 7)
    await caught_up(runner)
    await runner.rebuild("counts")
    a_log(store, 2)
    await caught_up(runner)
    assert (await runner.status())[0].current == 2
    assert projection.seeds == 2
    assert store.state.models[2] == store.state.models[1]
    assert store.state.models[2]["s9"] == 1


async def test_a_failed_seed_leaves_no_generation_and_the_next_start_seeds() -> None:
    store = InMemoryProjectionStore()
    projection = a_legacy_log(store)
    projection.fail_seed = True
    runner = ProjectionRunner(store, [projection])
    with pytest.raises(RuntimeError):
        await runner.start()
    assert (store.state.tracking, store.state.current, store.state.models) == ({}, {}, {})
    projection.fail_seed = False
    await runner.start()
    await caught_up(runner)
    assert store.state.models[1] == {"s0": 5, "s9": 1}
