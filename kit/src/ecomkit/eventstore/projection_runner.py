"""Runs projections in the background: batches with tracking, rebuilds, the switch, and
dropping retired generations (docs/event-sourcing.md, step 3).

Nothing here runs in a command's transaction: the runner reads what commands committed
and writes only the read models and their tracking records.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from ecomkit.eventstore.projections import (
    Lag,
    Projection,
    ProjectionStore,
    ProjectionTransaction,
    RebuildInProgress,
    Tracking,
    UnknownProjection,
)

log = logging.getLogger(__name__)

BATCH = 200
POLL_S = 5.0  # the fallback when a NOTIFY is lost
GRACE_S = 300.0  # a retired generation's tables stay this long (readers mid-query)


@dataclass(frozen=True)
class GenerationStatus:
    generation: int
    state: str  # "serving", "building" or "retired"
    position: int
    lag: Lag
    updated_at: datetime | None


@dataclass(frozen=True)
class ProjectionStatus:
    name: str
    current: int | None
    generations: list[GenerationStatus]

    def to_json(self) -> dict[str, object]:
        return {
            "name": self.name,
            "current": self.current,
            "generations": [
                {
                    "generation": g.generation,
                    "state": g.state,
                    "position": g.position,
                    "lag_events": g.lag.events,
                    "lag_seconds": round(g.lag.seconds, 3),
                    "updated_at": g.updated_at.isoformat() if g.updated_at else None,
                }
                for g in self.generations
            ],
        }


def utc_now() -> datetime:
    return datetime.now(UTC)


class ProjectionRunner:
    def __init__(
        self,
        store: ProjectionStore,
        projections: Sequence[Projection],
        *,
        batch: int = BATCH,
        grace_s: float = GRACE_S,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.store = store
        self.projections = {p.name: p for p in projections}
        self.batch = batch
        self.grace = timedelta(seconds=grace_s)
        self.clock = clock
        self._woken: asyncio.Event | None = None  # the running loop's, to start a rebuild now

    def projection(self, name: str) -> Projection:
        if name not in self.projections:
            raise UnknownProjection(name, sorted(self.projections))
        return self.projections[name]

    async def start(self) -> None:
        """Generation 1 of each projection that has none (several instances may race:
        only the one whose tracking insert wins makes it current)."""
        for name, projection in self.projections.items():
            async with self.store.transaction() as tx:
                if await tx.current(name) is not None:
                    continue
                await projection.create(tx.session, 1)
                if await _started(tx, projection, 1):
                    await tx.make_current(name, 1)

    async def rebuild(self, name: str) -> int:
        """Start generation g+1 at position zero; the runner builds it beside g and makes
        it current once caught up. Returns the new generation."""
        projection = self.projection(name)
        async with self.store.transaction() as tx:
            current = await tx.current(name) or 0
            records = await tx.tracking(name)
            building = [t.generation for t in records if t.generation > current]
            if building:
                raise RebuildInProgress(name, building[-1])
            generation = max([current, *(t.generation for t in records)]) + 1
            await projection.create(tx.session, generation)
            if not await _started(tx, projection, generation):
                raise RebuildInProgress(name, generation)  # a concurrent rebuild won
        log.info("projection %s: rebuilding as generation %d", name, generation)
        if self._woken is not None:
            self._woken.set()
        return generation

    async def step(self) -> int:
        """One batch of each generation that follows the log; then the switch of a caught
        up rebuild and the drop of expired generations. Returns the events applied."""
        applied = 0
        for name in self.projections:
            async with self.store.transaction() as tx:
                current, records = await tx.current(name), await tx.tracking(name)
            for record in records:
                if record.retired_at is None:
                    applied += await self._batch(name, record.generation, current)
                elif self.clock() - record.retired_at >= self.grace:
                    await self._drop(name, record.generation)
        return applied

    async def run(self, woken: asyncio.Event, *, poll_s: float = POLL_S) -> None:
        """Forever: batches while there is work, then sleep until woken (the log's NOTIFY)
        or the poll comes round. A failed round is logged and tried again."""
        self._woken = woken
        started = False
        while True:
            try:
                if not started:
                    await self.start()
                    started = True
                busy = await self.step() > 0
            except Exception:  # a database hiccup must not end the loop
                log.exception("projections: a round failed; trying again in %.0f s", poll_s)
                busy = False
            if not busy:
                woken.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(woken.wait(), poll_s)

    async def status(self) -> list[ProjectionStatus]:
        found = []
        for name in self.projections:
            async with self.store.transaction() as tx:
                current, records = await tx.current(name), await tx.tracking(name)
                generations = [
                    GenerationStatus(
                        r.generation,
                        _state(r, current),
                        r.position.id,
                        await tx.lag(r.position),
                        r.updated_at,
                    )
                    for r in records
                ]
            found.append(ProjectionStatus(name, current, generations))
        return found

    async def _batch(self, name: str, generation: int, current: int | None) -> int:
        """Apply the next batch and move the tracking record, in one transaction; a
        building generation that has caught up becomes current in that same transaction."""
        async with self.store.transaction() as tx:
            record = await tx.claim(name, generation)
            if record is None or record.retired_at is not None:
                return 0
            entries = await tx.read_after(record.position, self.batch)
            if entries:
                events = [entry.event for entry in entries]
                await self.projections[name].apply(tx.session, generation, events)
                await tx.advance(name, generation, entries[-1].position)
            if len(entries) < self.batch and generation > (current or 0):
                await self._switch(tx, name, generation)
            return len(entries)

    async def _switch(self, tx: ProjectionTransaction, name: str, generation: int) -> None:
        if (await tx.current(name) or 0) >= generation:
            return
        await tx.make_current(name, generation)
        log.info("projection %s: generation %d is current", name, generation)

    async def _drop(self, name: str, generation: int) -> None:
        async with self.store.transaction() as tx:
            if await tx.claim(name, generation) is None:
                return
            await self.projections[name].drop(tx.session, generation)
            await tx.forget(name, generation)
        log.info("projection %s: dropped retired generation %d", name, generation)


async def _started(tx: ProjectionTransaction, projection: Projection, generation: int) -> bool:
    """The generation's tracking record at position zero, and its seed with it: only the
    transaction whose record wins seeds, so a seed is applied exactly once."""
    if not await tx.start(projection.name, generation):
        return False
    await projection.seed(tx.session, generation)
    return True


def _state(record: Tracking, current: int | None) -> str:
    if record.retired_at is not None:
        return "retired"
    return "serving" if record.generation == current else "building"


__all__ = ["GenerationStatus", "ProjectionRunner", "ProjectionStatus"]
