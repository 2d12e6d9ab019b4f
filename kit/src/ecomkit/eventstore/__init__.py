"""An event store for event-sourced aggregates, on the unit of work's own transaction.

Why the kit's own store and not the `eventsourcing` library: see docs/event-sourcing.md
(the library works on its own connection and transactions, so the outbox row could not be
written with the event, and it serialises writers behind a table lock). The ideas are the
library's: versioned streams guarded by a unique (stream, version) index, snapshots every
N events, upcasters keyed by the stored schema version, and one contract test suite
(`ecomkit.testing.contracts.EventStoreContract`) for the PostgreSQL store and the fake.
"""

from ecomkit.eventstore.model import (
    ConcurrencyConflict,
    EventStore,
    NewEvent,
    RecordedEvent,
    Snapshot,
    SnapshotPolicy,
    Stream,
    Upcasters,
    retrying,
)
from ecomkit.eventstore.postgres import PostgresEventStore, StreamTable, stream_table
from ecomkit.eventstore.postgres_projections import PostgresProjectionStore
from ecomkit.eventstore.projection_runner import ProjectionRunner, ProjectionStatus
from ecomkit.eventstore.projections import (
    Position,
    Projection,
    RebuildInProgress,
    UnknownProjection,
)

__all__ = [
    "ConcurrencyConflict",
    "EventStore",
    "NewEvent",
    "Position",
    "PostgresEventStore",
    "PostgresProjectionStore",
    "Projection",
    "ProjectionRunner",
    "ProjectionStatus",
    "RebuildInProgress",
    "RecordedEvent",
    "Snapshot",
    "SnapshotPolicy",
    "Stream",
    "StreamTable",
    "UnknownProjection",
    "Upcasters",
    "retrying",
    "stream_table",
]
