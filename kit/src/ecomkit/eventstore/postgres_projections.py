"""Projections on PostgreSQL: the log read in commit order, and the tracking tables.

The events table needs the `tx_id xid8 DEFAULT pg_current_xact_id()` column (the order
service's V8 added it) and an index on (tx_id, id). The tracking tables, which a service's
migration creates (the order service's V9__projection_tracking.sql):

- `projection_current (name, generation, switched_at)`: the generation that serves;
- `projection_tracking (name, generation, last_tx, last_id, updated_at, retired_at)`.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from ecomkit.eventstore.model import RecordedEvent, Upcasters
from ecomkit.eventstore.postgres import StreamTable
from ecomkit.eventstore.projections import (
    Lag,
    LogEntry,
    Position,
    ProjectionStore,
    ProjectionTransaction,
    Tracking,
)

# Only transactions below the oldest one still running: nothing can commit behind them.
_VISIBLE = "tx_id < pg_snapshot_xmin(pg_current_snapshot())"
# xid8 travels as text: the driver has no codec of its own for it.
_TX = "CAST(CAST(:tx AS text) AS xid8)"
_AFTER = f"(tx_id, id) > ({_TX}, :id)"
_TRACKING = "name, generation, last_tx::text AS last_tx, last_id, updated_at, retired_at"


class PostgresProjectionStore(ProjectionStore):
    def __init__(
        self, engine: AsyncEngine, table: StreamTable, *, upcasters: Upcasters | None = None
    ) -> None:
        self.engine = engine
        self.table = table
        self.upcasters = upcasters or Upcasters()

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[ProjectionTransaction]:
        async with AsyncSession(self.engine) as session, session.begin():
            yield PostgresProjectionTransaction(session, self.table, self.upcasters)


class PostgresProjectionTransaction(ProjectionTransaction):
    def __init__(self, session: AsyncSession, table: StreamTable, upcasters: Upcasters) -> None:
        self.session = session
        self.table = table
        self.upcasters = upcasters

    async def read_after(self, position: Position, limit: int) -> list[LogEntry]:
        t = self.table
        query = text(
            f"SELECT id, tx_id::text AS tx, {t.stream} AS stream_id, version, event_type,"
            f" schema_version, {t.data} AS data, {t.recorded} AS recorded_at"
            f" FROM {t.events.name} WHERE {_AFTER} AND {_VISIBLE}"
            " ORDER BY tx_id, id LIMIT :limit"
        )
        rows = await self.session.execute(query, {**_bind(position), "limit": limit})
        return [LogEntry(Position(int(r.tx), int(r.id)), self._event(r)) for r in rows]

    def _event(self, row: Any) -> RecordedEvent:
        stored = RecordedEvent(
            row.stream_id, row.version, row.event_type, dict(row.data or {}),
            row.schema_version, row.recorded_at,
        )  # fmt: skip
        return self.upcasters.upcast(stored)

    async def lag(self, position: Position) -> Lag:
        t = self.table
        query = text(
            f"SELECT count(*) AS n, min({t.recorded}) AS oldest FROM {t.events.name} WHERE {_AFTER}"
        )
        row = (await self.session.execute(query, _bind(position))).one()
        oldest: datetime | None = row.oldest
        age = (datetime.now(UTC) - oldest).total_seconds() if oldest else 0.0
        return Lag(int(row.n), max(age, 0.0))

    async def current(self, name: str) -> int | None:
        query = text("SELECT generation FROM projection_current WHERE name = :name")
        found = await self.session.scalar(query, {"name": name})
        return None if found is None else int(found)

    async def make_current(self, name: str, generation: int) -> None:
        await self.session.execute(
            text(
                "UPDATE projection_tracking SET retired_at = now()"
                " WHERE name = :name AND generation < :generation AND retired_at IS NULL"
            ),
            {"name": name, "generation": generation},
        )
        await self.session.execute(
            text(
                "INSERT INTO projection_current (name, generation) VALUES (:name, :generation)"
                " ON CONFLICT (name) DO UPDATE"
                " SET generation = excluded.generation, switched_at = now()"
            ),
            {"name": name, "generation": generation},
        )

    async def tracking(self, name: str) -> list[Tracking]:
        query = text(
            f"SELECT {_TRACKING} FROM projection_tracking WHERE name = :name ORDER BY generation"
        )
        return [_tracking(r) for r in await self.session.execute(query, {"name": name})]

    async def start(self, name: str, generation: int) -> bool:
        inserted = await self.session.execute(
            text(
                "INSERT INTO projection_tracking (name, generation) VALUES (:name, :generation)"
                " ON CONFLICT DO NOTHING RETURNING generation"
            ),
            {"name": name, "generation": generation},
        )
        return inserted.first() is not None

    async def claim(self, name: str, generation: int) -> Tracking | None:
        query = text(
            f"SELECT {_TRACKING} FROM projection_tracking"
            " WHERE name = :name AND generation = :generation FOR UPDATE SKIP LOCKED"
        )
        row = (await self.session.execute(query, {"name": name, "generation": generation})).first()
        return None if row is None else _tracking(row)

    async def advance(self, name: str, generation: int, position: Position) -> None:
        await self.session.execute(
            text(
                f"UPDATE projection_tracking SET last_tx = {_TX}, last_id = :id,"
                " updated_at = now() WHERE name = :name AND generation = :generation"
            ),
            {**_bind(position), "name": name, "generation": generation},
        )

    async def forget(self, name: str, generation: int) -> None:
        await self.session.execute(
            text("DELETE FROM projection_tracking WHERE name = :name AND generation = :generation"),
            {"name": name, "generation": generation},
        )


def _bind(position: Position) -> dict[str, Any]:
    return {"tx": str(position.tx), "id": position.id}


def _tracking(row: Any) -> Tracking:
    return Tracking(
        row.name,
        int(row.generation),
        Position(int(row.last_tx), int(row.last_id)),
        row.retired_at,
        row.updated_at,
    )


__all__ = ["PostgresProjectionStore"]
