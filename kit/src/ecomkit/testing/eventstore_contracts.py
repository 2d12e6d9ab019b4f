"""The contract every event store passes, PostgreSQL and in-memory alike.

Subclass it and provide `make_store(upcasters=None, snapshot_schema_version=1)`: stores
made by one test share their data (as sessions share one database). Needs pytest and anyio.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest

from ecomkit.eventstore import (
    ConcurrencyConflict,
    EventStore,
    NewEvent,
    Snapshot,
    Upcasters,
)

MakeStore = Callable[..., EventStore]


def placed(n: int = 1) -> NewEvent:
    return NewEvent("OrderPlaced", {"total": f"{n}.00"})


def v1_to_v2() -> Upcasters:
    """OrderPlaced v1 had `total`; v2 names it `amount` and adds the currency."""
    upcasters = Upcasters()

    @upcasters.register("OrderPlaced", 1)
    def _rename(data: dict[str, Any]) -> dict[str, Any]:
        return {"amount": data.pop("total"), "currency": "USD", **data}

    return upcasters


class EventStoreContract:
    pytestmark = pytest.mark.anyio

    @pytest.fixture
    def anyio_backend(self) -> str:
        return "asyncio"

    @pytest.fixture
    def stream(self) -> int:
        return uuid.uuid4().int % 2**62

    async def test_a_new_stream_is_empty(self, make_store: MakeStore, stream: int) -> None:
        loaded = await make_store().load(stream)
        assert loaded.version == 0 and loaded.events == [] and loaded.snapshot is None

    async def test_events_come_back_in_order(self, make_store: MakeStore, stream: int) -> None:
        store = make_store()
        assert await store.append(stream, 0, [placed()]) == 1
        assert await store.append(stream, 1, [NewEvent("Paid", {"p": "x"})]) == 2
        loaded = await store.load(stream)
        assert [(e.version, e.type, e.data) for e in loaded.events] == [
            (1, "OrderPlaced", {"total": "1.00"}),
            (2, "Paid", {"p": "x"}),
        ]
        assert loaded.version == 2

    async def test_a_stale_version_conflicts_and_writes_nothing(
        self, make_store: MakeStore, stream: int
    ) -> None:
        store = make_store()
        await store.append(stream, 0, [placed()])
        with pytest.raises(ConcurrencyConflict):
            await store.append(stream, 0, [NewEvent("Paid", {})])
        with pytest.raises(ConcurrencyConflict):
            await store.append(stream, 0, [NewEvent("Paid", {}), NewEvent("Shipped", {})])
        # The store stays usable after a conflict (same transaction for the real one).
        assert await store.append(stream, 1, [NewEvent("Paid", {})]) == 2
        assert [e.type for e in (await store.load(stream)).events] == ["OrderPlaced", "Paid"]

    async def test_several_events_append_together(self, make_store: MakeStore, stream: int) -> None:
        store = make_store()
        assert await store.append(stream, 0, [placed(), NewEvent("Paid", {})]) == 2
        assert [e.version for e in (await store.load(stream)).events] == [1, 2]

    async def test_a_snapshot_replaces_the_events_before_it(
        self, make_store: MakeStore, stream: int
    ) -> None:
        store = make_store()
        for version in range(5):
            await store.append(stream, version, [placed(version)])
        await store.save_snapshot(stream, Snapshot(4, {"count": 4}))
        await store.save_snapshot(stream, Snapshot(3, {"count": 3}))  # older: kept out
        loaded = await store.load(stream)
        assert loaded.snapshot == Snapshot(4, {"count": 4})
        assert [e.version for e in loaded.events] == [5]
        assert loaded.version == 5

    async def test_a_snapshot_of_another_schema_is_ignored(
        self, make_store: MakeStore, stream: int
    ) -> None:
        await make_store().append(stream, 0, [placed()])
        await make_store().save_snapshot(stream, Snapshot(1, {"old": True}, schema_version=1))
        loaded = await make_store(snapshot_schema_version=2).load(stream)
        assert loaded.snapshot is None and [e.version for e in loaded.events] == [1]

    async def test_a_stored_v1_event_is_upcast_on_load(
        self, make_store: MakeStore, stream: int
    ) -> None:
        await make_store().append(stream, 0, [NewEvent("OrderPlaced", {"total": "9.50"}, 1)])
        await make_store().append(stream, 1, [NewEvent("OrderPlaced", {"amount": "1"}, 2)])
        events = (await make_store(upcasters=v1_to_v2()).load(stream)).events
        assert [(e.schema_version, e.data) for e in events] == [
            (2, {"amount": "9.50", "currency": "USD"}),
            (2, {"amount": "1"}),
        ]
        raw = (await make_store().load(stream)).events[0]  # the stored event is unchanged
        assert (raw.schema_version, raw.data) == (1, {"total": "9.50"})
