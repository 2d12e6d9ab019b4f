"""The event store in PostgreSQL, on the session of the caller's unit of work.

Every statement runs in the caller's transaction, so the events, the outbox rows and the
inbox row of one step commit together. Loading is one statement (the snapshot and the
events after it); appending one event is one statement whose unique (stream, version)
index is the concurrency guard; a conflict is answered with no row instead of an error,
so the transaction stays usable for a reload and a second decision.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    FetchedValue,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    func,
    null,
    select,
    union_all,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.types import TypeEngine

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

TEXT_STREAM_ID = String(100)


@dataclass(frozen=True)
class StreamTable:
    """Where a service keeps its streams: the events table, the snapshots table, and the
    names of the columns that differ from service to service."""

    events: Table
    snapshots: Table
    stream: str = "stream_id"
    data: str = "data"
    recorded: str = "recorded_at"


def stream_table(
    metadata: MetaData,
    *,
    events: str = "event_store",
    snapshots: str = "event_snapshots",
    stream: str = "stream_id",
    stream_type: TypeEngine[Any] | type[TypeEngine[Any]] = TEXT_STREAM_ID,
    data: str = "data",
    recorded: str = "recorded_at",
) -> StreamTable:
    """Core descriptions of the two tables a migration creates (docs/event-sourcing.md)."""
    events_table = Table(
        events,
        metadata,
        Column("id", BigInteger, primary_key=True, server_default=FetchedValue()),
        Column(stream, stream_type, nullable=False),
        Column("version", Integer, nullable=False),
        Column("event_type", String(100), nullable=False),
        Column("schema_version", SmallInteger, nullable=False),
        Column(data, JSONB),
        Column(recorded, DateTime(timezone=True), server_default=FetchedValue()),
    )
    snapshots_table = Table(
        snapshots,
        metadata,
        Column(stream, stream_type, primary_key=True),
        Column("version", Integer, nullable=False),
        Column("schema_version", SmallInteger, nullable=False),
        Column("state", JSONB, nullable=False),
        Column("taken_at", DateTime(timezone=True), server_default=FetchedValue()),
    )
    return StreamTable(events_table, snapshots_table, stream, data, recorded)


class PostgresEventStore(EventStore):
    def __init__(
        self,
        session: AsyncSession,
        table: StreamTable,
        *,
        upcasters: Upcasters | None = None,
        snapshot_schema_version: int = 1,
    ) -> None:
        self.session = session
        self.table = table
        self.upcasters = upcasters or Upcasters()
        self.snapshot_schema_version = snapshot_schema_version

    async def load(self, stream_id: StreamId) -> Stream:
        snapshot: Snapshot | None = None
        events: list[RecordedEvent] = []
        for row in await self.session.execute(self._load_query(stream_id)):
            if row.event_type is None:
                snapshot = Snapshot(row.version, dict(row.data), row.schema_version)
                continue
            stored = RecordedEvent(
                stream_id, row.version, row.event_type, dict(row.data or {}),
                row.schema_version, row.recorded_at,
            )  # fmt: skip
            events.append(self.upcasters.upcast(stored))
        return Stream(stream_id, snapshot, events)

    async def append(
        self, stream_id: StreamId, expected_version: int, events: Sequence[NewEvent]
    ) -> int:
        if not events:
            return expected_version
        rows = [self._row(stream_id, expected_version + n, e) for n, e in enumerate(events, 1)]
        if len(rows) == 1:
            await self._insert_one(stream_id, expected_version, rows[0])
        else:
            await self._insert_many(stream_id, expected_version, rows)
        return expected_version + len(rows)

    async def save_snapshot(self, stream_id: StreamId, snapshot: Snapshot) -> None:
        snapshots, stream = self.table.snapshots, self.table.stream
        values = {
            stream: stream_id,
            "version": snapshot.version,
            "schema_version": snapshot.schema_version,
            "state": snapshot.state,
        }
        upsert = pg_insert(snapshots).values(**values)
        changed = {k: upsert.excluded[k] for k in ("version", "schema_version", "state")}
        await self.session.execute(
            upsert.on_conflict_do_update(
                index_elements=[snapshots.c[stream]],
                set_={**changed, "taken_at": func.now()},
                # A slower writer's older snapshot never replaces a newer one.
                where=snapshots.c.version <= upsert.excluded.version,
            )
        )

    def _load_query(self, stream_id: StreamId) -> Any:
        t, s = self.table.events, self.table.snapshots
        usable = (s.c[self.table.stream] == stream_id) & (
            s.c.schema_version == self.snapshot_schema_version
        )
        floor = select(func.coalesce(func.max(s.c.version), 0)).where(usable).scalar_subquery()
        snapshot = select(
            s.c.version,
            null().cast(String).label("event_type"),
            s.c.schema_version,
            s.c.state.label("data"),
            s.c.taken_at.label("recorded_at"),
        ).where(usable)
        later = select(
            t.c.version,
            t.c.event_type,
            t.c.schema_version,
            t.c[self.table.data].label("data"),
            t.c[self.table.recorded].label("recorded_at"),
        ).where(t.c[self.table.stream] == stream_id, t.c.version > floor)
        both = union_all(snapshot, later).subquery()
        # The snapshot's version is below every later event's: it comes first.
        return select(both).order_by(both.c.version, both.c.event_type.nulls_first())

    def _row(self, stream_id: StreamId, version: int, event: NewEvent) -> dict[str, Any]:
        return {
            self.table.stream: stream_id,
            "version": version,
            "event_type": event.type,
            "schema_version": event.schema_version,
            self.table.data: event.data,
        }

    async def _insert_one(self, stream_id: StreamId, expected: int, row: dict[str, Any]) -> None:
        t = self.table.events
        insert = (
            pg_insert(t)
            .values(**row)
            .on_conflict_do_nothing(index_elements=[t.c[self.table.stream], t.c.version])
            .returning(t.c.version)
        )
        if (await self.session.execute(insert)).first() is None:
            raise ConcurrencyConflict(stream_id, expected)

    async def _insert_many(
        self, stream_id: StreamId, expected: int, rows: list[dict[str, Any]]
    ) -> None:
        """All or none: a conflict on any row undoes the others (a savepoint; only
        appends of several events pay its two statements)."""
        savepoint = await self.session.begin_nested()
        try:
            await self.session.execute(self.table.events.insert(), rows)
        except IntegrityError as error:
            await savepoint.rollback()
            raise ConcurrencyConflict(stream_id, expected) from error
        await savepoint.commit()


__all__ = ["PostgresEventStore", "StreamTable", "stream_table"]
