"""The in-memory event store services' unit tests use (passes EventStoreContract)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from ecomkit.eventstore.model import (
    ConcurrencyConflict,
    EventStore,
    NewEvent,
    RecordedEvent,
    Snapshot,
    Stream,
    StreamId,
    Upcasters,
)


@dataclass
class StoredStreams:
    """What several fake stores share, as several sessions share one database."""

    events: dict[StreamId, list[RecordedEvent]] = field(default_factory=dict)
    snapshots: dict[StreamId, Snapshot] = field(default_factory=dict)


class InMemoryEventStore(EventStore):
    def __init__(
        self,
        streams: StoredStreams | None = None,
        *,
        upcasters: Upcasters | None = None,
        snapshot_schema_version: int = 1,
    ) -> None:
        self.streams = streams if streams is not None else StoredStreams()
        self.upcasters = upcasters or Upcasters()
        self.snapshot_schema_version = snapshot_schema_version

    async def load(self, stream_id: StreamId) -> Stream:
        snapshot = self.streams.snapshots.get(stream_id)
        if snapshot is not None and snapshot.schema_version != self.snapshot_schema_version:
            snapshot = None
        floor = snapshot.version if snapshot else 0
        later = [e for e in self.streams.events.get(stream_id, []) if e.version > floor]
        return Stream(stream_id, snapshot, [self.upcasters.upcast(e) for e in later])

    async def append(
        self, stream_id: StreamId, expected_version: int, events: Sequence[NewEvent]
    ) -> int:
        stored = self.streams.events.setdefault(stream_id, [])
        current = stored[-1].version if stored else 0
        if current != expected_version:
            raise ConcurrencyConflict(stream_id, expected_version)
        for n, event in enumerate(events, 1):
            stored.append(
                RecordedEvent(
                    stream_id,
                    expected_version + n,
                    event.type,
                    dict(event.data),
                    event.schema_version,
                )
            )
        return expected_version + len(events)

    async def save_snapshot(self, stream_id: StreamId, snapshot: Snapshot) -> None:
        held = self.streams.snapshots.get(stream_id)
        if held is None or held.version <= snapshot.version:
            self.streams.snapshots[stream_id] = snapshot
