"""An in-memory projection store for unit tests: a log, tracking records and read models
(a dict per projection generation) with transactions that commit all or nothing."""

from __future__ import annotations

import contextlib
import copy
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from ecomkit.eventstore.model import RecordedEvent
from ecomkit.eventstore.projections import (
    Lag,
    LogEntry,
    Position,
    ProjectionStore,
    ProjectionTransaction,
    Tracking,
)


@dataclass
class ProjectionState:
    """What one transaction sees and, on commit, what the store keeps."""

    current: dict[str, int] = field(default_factory=dict)
    tracking: dict[tuple[str, int], Tracking] = field(default_factory=dict)
    models: dict[str, Any] = field(default_factory=dict)
    """The read models, for the test's projections to keep what they like in."""


class InMemoryProjectionStore(ProjectionStore):
    def __init__(self) -> None:
        self.log: list[LogEntry] = []
        self.state = ProjectionState()
        self.claimed: set[tuple[str, int]] = set()  # held by a running transaction
        self.commits = 0

    def record(self, stream_id: str, event_type: str, data: dict[str, Any] | None = None) -> None:
        """Append a committed event (the next transaction of the log)."""
        version = 1 + sum(1 for e in self.log if e.event.stream_id == stream_id)
        n = len(self.log) + 1
        event = RecordedEvent(stream_id, version, event_type, data or {}, 1, datetime.now(UTC))
        self.log.append(LogEntry(Position(n, n), event))

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[ProjectionTransaction]:
        tx = InMemoryProjectionTransaction(self, copy.deepcopy(self.state))
        try:
            yield tx
        finally:
            self.claimed -= tx.claims
        self.state = tx.state  # reached only when the block did not raise
        self.commits += 1


class InMemoryProjectionTransaction(ProjectionTransaction):
    def __init__(self, store: InMemoryProjectionStore, state: ProjectionState) -> None:
        self.store = store
        self.state = state
        self.session = state.models
        self.claims: set[tuple[str, int]] = set()

    async def read_after(self, position: Position, limit: int) -> list[LogEntry]:
        return [e for e in self.store.log if e.position > position][:limit]

    async def lag(self, position: Position) -> Lag:
        return Lag(len([e for e in self.store.log if e.position > position]), 0.0)

    async def current(self, name: str) -> int | None:
        return self.state.current.get(name)

    async def make_current(self, name: str, generation: int) -> None:
        for key, record in self.state.tracking.items():
            if key[0] == name and key[1] < generation and record.retired_at is None:
                self.state.tracking[key] = replace(record, retired_at=datetime.now(UTC))
        self.state.current[name] = generation

    async def tracking(self, name: str) -> list[Tracking]:
        return [r for (n, _), r in sorted(self.state.tracking.items()) if n == name]

    async def start(self, name: str, generation: int) -> bool:
        if (name, generation) in self.state.tracking:
            return False
        self.state.tracking[(name, generation)] = Tracking(name, generation, Position())
        return True

    async def claim(self, name: str, generation: int) -> Tracking | None:
        key = (name, generation)
        if key in self.store.claimed or key not in self.state.tracking:
            return None
        self.store.claimed.add(key)
        self.claims.add(key)
        return self.state.tracking[key]

    async def advance(self, name: str, generation: int, position: Position) -> None:
        record = self.state.tracking[(name, generation)]
        self.state.tracking[(name, generation)] = replace(
            record, position=position, updated_at=datetime.now(UTC)
        )

    async def forget(self, name: str, generation: int) -> None:
        del self.state.tracking[(name, generation)]


__all__ = ["InMemoryProjectionStore", "ProjectionState"]
