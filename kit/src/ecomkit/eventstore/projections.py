"""Asynchronous projections of the event log: the port and the plain values (no database).

A projection turns the log of every stream, read in commit order, into read-model tables
it owns. Each (projection, generation) has a tracking record, its position in the log;
a batch of events is applied and the position moved in ONE transaction, so a crash
repeats nothing and loses nothing (eventsourcing's "process event with tracking").

Generations let a read model be rebuilt while it serves: generation g+1 is built into
its own tables from position zero while g keeps following the log; when g+1 has caught
up, one transaction makes it current, and g is dropped after a grace period.

A projection may seed a generation's tables with state the log does not hold (`seed`), in
the transaction that starts the generation at position zero.
"""

from __future__ import annotations

import abc
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ecomkit.eventstore.model import RecordedEvent


@dataclass(frozen=True, order=True)
class Position:
    """Where a reader is in the log: the writing transaction's id, then the row id.

    Row ids are drawn at insert, not at commit, so "after id N" could skip a row that a
    slower transaction commits later; (tx_id, id) read only below the oldest running
    transaction cannot (docs/event-sourcing.md, "Reading the log in commit order")."""

    tx: int = 0
    id: int = 0


@dataclass(frozen=True)
class LogEntry:
    position: Position
    event: RecordedEvent


@dataclass(frozen=True)
class Tracking:
    """A generation's tracking record."""

    name: str
    generation: int
    position: Position
    retired_at: datetime | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True)
class Lag:
    """How far a position is behind the log's head: events not applied yet, and the age of
    the oldest of them (0 when none)."""

    events: int
    seconds: float


class UnknownProjection(LookupError):
    def __init__(self, name: str, known: Sequence[str]) -> None:
        super().__init__(f"unknown projection {name!r} (known: {', '.join(known)})")
        self.name = name


class RebuildInProgress(RuntimeError):
    def __init__(self, name: str, generation: int) -> None:
        super().__init__(f"projection {name!r} is already rebuilding generation {generation}")
        self.name = name
        self.generation = generation


class Projection(abc.ABC):
    """A read model: its tables per generation, and how events change them.

    `session` is what the store's transaction gives (a SQLAlchemy AsyncSession for
    PostgreSQL); everything a projection writes goes through it, so it commits with the
    tracking record or not at all."""

    name: str

    @abc.abstractmethod
    async def create(self, session: Any, generation: int) -> None:
        """Create the generation's (empty) tables; idempotent."""

    @abc.abstractmethod
    async def drop(self, session: Any, generation: int) -> None:
        """Drop the generation's tables; idempotent."""

    @abc.abstractmethod
    async def apply(self, session: Any, generation: int, events: Sequence[RecordedEvent]) -> None:
        """Apply events (in log order) to the generation's tables."""

    async def seed(self, session: Any, generation: int) -> None:
        """Fill the generation's new tables with what the log does not hold (state that
        predates the log, e.g. rows migrated from before event sourcing), before its first
        event. Called once per generation, in the transaction that creates its tracking
        record at position zero, so a seed is exactly once and a rebuild seeds again.
        Events of a seeded stream that the seed already covers must change nothing: the
        projection skips them (by stream version). None by default."""
        return None


class ProjectionTransaction(abc.ABC):
    """One transaction on the log, the tracking records and the read models."""

    session: Any

    @abc.abstractmethod
    async def read_after(self, position: Position, limit: int) -> list[LogEntry]:
        """Committed events after `position` in commit order, none that a running
        transaction could still precede."""

    @abc.abstractmethod
    async def lag(self, position: Position) -> Lag: ...

    @abc.abstractmethod
    async def current(self, name: str) -> int | None:
        """The generation that serves, None before the projection's first start."""

    @abc.abstractmethod
    async def make_current(self, name: str, generation: int) -> None:
        """Point the projection at `generation`; the one it replaces is retired now."""

    @abc.abstractmethod
    async def tracking(self, name: str) -> list[Tracking]:
        """Every generation's record, oldest first."""

    @abc.abstractmethod
    async def start(self, name: str, generation: int) -> bool:
        """A record at position zero; False when it exists already."""

    @abc.abstractmethod
    async def claim(self, name: str, generation: int) -> Tracking | None:
        """The record, locked until this transaction ends; None when it is gone or another
        runner holds it (it is applying a batch: this one skips, never waits)."""

    @abc.abstractmethod
    async def advance(self, name: str, generation: int, position: Position) -> None: ...

    @abc.abstractmethod
    async def forget(self, name: str, generation: int) -> None:
        """Delete the record (its tables are dropped in the same transaction)."""


class ProjectionStore(abc.ABC):
    @abc.abstractmethod
    def transaction(self) -> AbstractAsyncContextManager[ProjectionTransaction]:
        """Commits when the block ends, rolls back when it raises."""


__all__ = [
    "Lag",
    "LogEntry",
    "Position",
    "Projection",
    "ProjectionStore",
    "ProjectionTransaction",
    "RebuildInProgress",
    "Tracking",
    "UnknownProjection",
]
