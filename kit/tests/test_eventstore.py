"""The in-memory event store passes the store contract (the PostgreSQL one passes it in
tests/integration/test_kit_eventstore.py); the store's plain parts."""

from typing import Any

import pytest

from ecomkit.eventstore import (
    ConcurrencyConflict,
    NewEvent,
    RecordedEvent,
    SnapshotPolicy,
    Upcasters,
    retrying,
)
from ecomkit.testing.eventstore import InMemoryEventStore, StoredStreams
from ecomkit.testing.eventstore_contracts import EventStoreContract


class TestInMemoryEventStore(EventStoreContract):
    @pytest.fixture
    def make_store(self) -> Any:
        shared = StoredStreams()

        def make(**options: Any) -> InMemoryEventStore:
            return InMemoryEventStore(shared, **options)

        return make


def test_snapshot_policy_fires_when_a_multiple_is_crossed() -> None:
    every_3 = SnapshotPolicy(every=3)
    assert [every_3.due(v, v + 1) for v in range(6)] == [False, False, True] * 2
    assert every_3.due(2, 4) and not SnapshotPolicy(every=0).due(0, 100)


def test_upcasters_chain_until_the_current_version() -> None:
    upcasters = Upcasters()
    upcasters.register("E", 1)(lambda d: {**d, "b": 2})
    upcasters.register("E", 2)(lambda d: {**d, "c": 3})
    event = upcasters.upcast(RecordedEvent("s", 1, "E", {"a": 1}, 1))
    assert (event.schema_version, event.data) == (3, {"a": 1, "b": 2, "c": 3})
    other = RecordedEvent("s", 1, "F", {"a": 1}, 1)
    assert upcasters.upcast(other) is other


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_retrying_decides_again_on_the_new_state(anyio_backend: str) -> None:
    store = InMemoryEventStore()
    await store.append("o1", 0, [NewEvent("Placed", {})])
    stale = await store.load("o1")
    await store.append("o1", 1, [NewEvent("Reserved", {})])  # another writer got there first
    attempts: list[int] = []

    async def pay() -> int:
        seen = stale if not attempts else await store.load("o1")
        attempts.append(seen.version)
        return await store.append("o1", seen.version, [NewEvent("Paid", {})])

    assert await retrying(pay) == 3
    assert attempts == [1, 2]


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_retrying_gives_up_after_its_attempts(anyio_backend: str) -> None:
    calls = 0

    async def always_late() -> None:
        nonlocal calls
        calls += 1
        raise ConcurrencyConflict("o1", 0)

    with pytest.raises(ConcurrencyConflict):
        await retrying(always_late, attempts=2)
    assert calls == 2
