"""The event store's port and the plain values it trades in (no database here)."""

from __future__ import annotations

import abc
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, TypeVar

log = logging.getLogger(__name__)

StreamId = int | str
Data = dict[str, Any]
T = TypeVar("T")


@dataclass(frozen=True)
class NewEvent:
    """An event to append; `schema_version` is the shape of `data` the code writes today."""

    type: str
    data: Data
    schema_version: int = 1


@dataclass(frozen=True)
class RecordedEvent:
    stream_id: StreamId
    version: int
    """1, 2, ... within its stream: the stream's version once this event is applied."""
    type: str
    data: Data
    schema_version: int = 1
    recorded_at: datetime | None = None


@dataclass(frozen=True)
class Snapshot:
    """The folded state of a stream at `version` (a cache: the events stay the truth)."""

    version: int
    state: Data
    schema_version: int = 1


@dataclass(frozen=True)
class Stream:
    """What a load returns: the latest usable snapshot and the events after it."""

    stream_id: StreamId
    snapshot: Snapshot | None = None
    events: list[RecordedEvent] = field(default_factory=list)

    @property
    def version(self) -> int:
        """The version an append must expect (0: the stream has no event yet)."""
        if self.events:
            return self.events[-1].version
        return self.snapshot.version if self.snapshot else 0


class ConcurrencyConflict(Exception):
    """Another writer appended to the stream after it was loaded: load again, decide again."""

    def __init__(self, stream_id: StreamId, expected_version: int) -> None:
        super().__init__(f"stream {stream_id} moved past version {expected_version}")
        self.stream_id = stream_id
        self.expected_version = expected_version


Upcast = Callable[[Data], Data]


class Upcasters:
    """Turns stored events of an older schema version into the shape the code reads.

    One step per (event type, stored version), each returning the data at the next
    version; steps chain. Events are upcast when read, never rewritten in the table.
    """

    def __init__(self) -> None:
        self._steps: dict[tuple[str, int], Upcast] = {}

    def register(self, event_type: str, from_version: int) -> Callable[[Upcast], Upcast]:
        def add(step: Upcast) -> Upcast:
            self._steps[(event_type, from_version)] = step
            return step

        return add

    def upcast(self, event: RecordedEvent) -> RecordedEvent:
        data, version = event.data, event.schema_version
        while (step := self._steps.get((event.type, version))) is not None:
            data, version = step(dict(data)), version + 1
        if version == event.schema_version:
            return event
        return replace(event, data=data, schema_version=version)


@dataclass(frozen=True)
class SnapshotPolicy:
    """Take a snapshot each time a stream's version crosses a multiple of `every`."""

    every: int

    def due(self, before: int, after: int) -> bool:
        return self.every > 0 and after // self.every > before // self.every


class EventStore(abc.ABC):
    """Streams of events, each guarded by its version (optimistic concurrency)."""

    @abc.abstractmethod
    async def load(self, stream_id: StreamId) -> Stream:
        """The latest snapshot of the current schema version and the events after it,
        oldest first, upcast to the shapes the code reads."""

    @abc.abstractmethod
    async def append(
        self, stream_id: StreamId, expected_version: int, events: Sequence[NewEvent]
    ) -> int:
        """Append `events` after `expected_version`; returns the stream's new version.

        Raises ConcurrencyConflict, with nothing written, when the stream has moved on.
        The transaction stays usable: the caller may load again and retry in it."""

    @abc.abstractmethod
    async def save_snapshot(self, stream_id: StreamId, snapshot: Snapshot) -> None:
        """Replace the stream's snapshot."""


async def retrying(step: Callable[[], Awaitable[T]], *, attempts: int = 3) -> T:
    """Run load-decide-append again when another writer got there first.

    `step` must load the stream itself each time (the retry decides on the new state); a
    conflict that outlasts `attempts` is raised to the caller's transaction."""
    for attempt in range(1, attempts + 1):
        try:
            return await step()
        except ConcurrencyConflict as conflict:
            if attempt == attempts:
                raise
            log.info("%s; retrying (%d of %d)", conflict, attempt + 1, attempts)
    raise AssertionError("unreachable")
