"""The relay that moves outbox rows to Kafka (DESIGN 5: no dual writes).

Each round locks the oldest unpublished rows with FOR UPDATE SKIP LOCKED, publishes them in
order, waits for the broker's acks and only then marks them published, all while holding
the row locks. A crash between publish and mark leaves the rows unpublished, so they go out
again: a duplicate (consumers are idempotent), never a loss.

A relay runs a round as soon as a unit of work of its own process committed outbox rows
(`ecomkit.db.outbox_committed`), and otherwise every `poll_interval_s` for rows written
by other processes.

Rows go out in the order they were inserted (`seq`, drawn by the database at insert, after
the writer locked its aggregate), so one aggregate's events keep the order of its changes.
Several relays may run: one that finds the oldest unpublished row locked by another relay
stands by for that round instead of publishing later rows first.

Published rows are kept for `retention_s` (7 days: enough to see what went out, and when)
and then deleted by the relay, a batch at a time, so the table does not grow without end.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Sequence
from typing import Any

from opentelemetry.trace import Span
from sqlalchemy import Float, Integer, Row, bindparam, delete, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from ecomkit.db import outbox_committed
from ecomkit.kafka import Headers, Producer
from ecomkit.tables import outbox_table
from ecomkit.tracing import end_when_acked, mark_failed, producer_span

log = logging.getLogger(__name__)

_UNPUBLISHED = outbox_table.c.published_at.is_(None)
# The order rows were inserted in (a database sequence): for one aggregate that is the
# order its transactions took its lock in, whatever their clocks said.
_ORDER = (outbox_table.c.seq,)
_oldest = outbox_table.alias("oldest")
# The id of the oldest unpublished row, locked or not: read in the same statement that
# locks the batch (a round trip less per round than asking separately).
_HEAD_ID = (
    select(_oldest.c.id)
    .where(_oldest.c.published_at.is_(None))
    .order_by(_oldest.c.seq)
    .limit(1)
    .scalar_subquery()
    .label("head_id")
)


def _ago(dialect: str, seconds: float) -> Any:
    """The database clock `seconds` ago (the clock that wrote published_at)."""
    if dialect == "postgresql":
        ago = bindparam("ago", float(seconds), type_=Float())
        return text("CURRENT_TIMESTAMP - make_interval(secs => :ago)").bindparams(ago)
    ago = bindparam("ago", int(seconds), type_=Integer())
    return text("CURRENT_TIMESTAMP(6) - INTERVAL :ago SECOND").bindparams(ago)


def message_of(row: Row[Any]) -> tuple[bytes, bytes, Headers]:
    """(key, value, headers) of the Kafka record for an outbox row."""
    value = json.dumps(row.payload, separators=(",", ":")).encode()
    headers = [(k, str(v).encode()) for k, v in (row.headers or {}).items() if v is not None]
    return row.message_key.encode(), value, headers


def traced_message_of(row: Row[Any]) -> tuple[bytes, bytes, Headers, Span]:
    """`message_of`, with a producer span: a child of the trace the row was written in
    (its stored traceparent), whose own traceparent the record carries instead, so the
    consumer's span hangs under this send and the whole order stays one trace."""
    key, value, _ = message_of(row)
    stored = {k: str(v) for k, v in (row.headers or {}).items() if v is not None}
    span, headers = producer_span(row.topic, stored)
    span.set_attribute("messaging.message.id", str(row.id))
    span.set_attribute("messaging.kafka.message.key", row.message_key)
    span.set_attribute("event.type", row.event_type)
    return key, value, headers, span


class OutboxRelay:
    def __init__(
        self,
        engine: AsyncEngine,
        producer: Producer,
        *,
        batch: int = 100,
        poll_interval_s: float = 0.2,
        max_backoff_s: float = 5.0,
        retention_s: float | None = 7 * 86_400.0,
        sweep_interval_s: float = 300.0,
    ) -> None:
        self._engine = engine
        self._producer = producer
        self._batch = batch
        self._poll_interval_s = poll_interval_s
        self._max_backoff_s = max_backoff_s
        self._retention_s = retention_s  # None keeps published rows forever
        self._sweep_interval_s = sweep_interval_s

    async def run(self) -> None:
        """Relay until cancelled; failures are logged and retried with a growing pause."""
        wake = outbox_committed.subscribe()
        try:
            await self._loop(wake)
        finally:
            outbox_committed.unsubscribe(wake)

    async def _loop(self, wake: asyncio.Event) -> None:
        failures = 0
        next_sweep = time.monotonic() + self._sweep_interval_s
        while True:
            wake.clear()  # before the round: a commit during it triggers the next one
            try:
                published = await self.publish_pending()
                failures = 0
            except asyncio.CancelledError:
                raise
            except Exception:
                failures += 1
                log.exception("outbox relay round failed (%d in a row)", failures)
                published = 0
            if time.monotonic() >= next_sweep:
                next_sweep = time.monotonic() + self._sweep_interval_s
                await self._sweep()
            if failures:
                await asyncio.sleep(self._pause(failures))
            elif published < self._batch:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(wake.wait(), self._poll_interval_s)

    __call__ = run  # so `background=[relay]` works in create_app

    def _pause(self, failures: int) -> float:
        if failures == 0:
            return self._poll_interval_s
        return float(min(self._max_backoff_s, self._poll_interval_s * 2**failures))

    async def publish_pending(self) -> int:
        """One round: returns how many rows went out (0 when idle or standing by)."""
        failed: Sequence[Row[Any]] = ()
        try:
            async with self._engine.connect() as conn, conn.begin():
                await self._relax_durability(conn)
                rows = await self._lock_batch(conn)
                if not rows or rows[0].head_id != rows[0].id:
                    return 0  # empty, or an older row is locked by another relay
                try:
                    await self._publish(rows)
                except Exception:
                    failed = rows
                    raise
                await conn.execute(
                    update(outbox_table)
                    .where(outbox_table.c.id.in_([r.id for r in rows]))
                    .values(
                        published_at=text("CURRENT_TIMESTAMP(6)"),
                        attempts=outbox_table.c.attempts + 1,
                    )
                )
            return len(rows)
        finally:
            if failed:  # after the round's transaction let go of the row locks
                await self._count_attempt(failed)

    async def _sweep(self) -> None:
        try:
            deleted = await self.delete_published()
        except asyncio.CancelledError:
            raise
        except Exception:  # publishing matters more: try again next time
            log.warning("could not delete old published outbox rows", exc_info=True)
            return
        if deleted:
            log.info("deleted %d outbox rows published over %.0f s ago", deleted, self._retention_s)

    async def delete_published(self, *, batch: int = 1_000) -> int:
        """Delete rows published more than `retention_s` ago, `batch` per transaction (short
        transactions: writers keep inserting meanwhile); returns how many went."""
        if self._retention_s is None:
            return 0
        deleted = 0
        while True:
            async with self._engine.begin() as conn:
                cutoff = _ago(conn.dialect.name, self._retention_s)
                old = (
                    select(outbox_table.c.id)
                    .where(outbox_table.c.published_at.is_not(None))
                    .where(outbox_table.c.published_at < cutoff)
                    .limit(batch)
                )
                if conn.dialect.name == "mysql":  # no LIMIT in an IN subquery there
                    old = select(old.subquery().c.id)
                result = await conn.execute(delete(outbox_table).where(outbox_table.c.id.in_(old)))
            deleted += result.rowcount
            if result.rowcount < batch:
                return deleted

    @staticmethod
    async def _relax_durability(conn: AsyncConnection) -> None:
        """On PostgreSQL, the round's commit does not wait for its WAL flush (an fsync,
        10-30 ms on a busy disk, that held up the next round). Losing that commit in a
        crash only unmarks rows that were published: they go out again, a duplicate
        the consumers' inboxes absorb."""
        if conn.dialect.name == "postgresql":
            await conn.execute(text("SET LOCAL synchronous_commit = off"))

    async def _lock_batch(self, conn: AsyncConnection) -> Sequence[Row[Any]]:
        """The oldest unlocked unpublished rows, locked, each with the overall `head_id`."""
        query = (
            select(outbox_table, _HEAD_ID)
            .where(_UNPUBLISHED)
            .order_by(*_ORDER)
            .limit(self._batch)
            .with_for_update(skip_locked=True, of=outbox_table)
        )
        return (await conn.execute(query)).all()

    async def _publish(self, rows: Sequence[Row[Any]]) -> None:
        acks = []
        for row in rows:
            key, value, headers, span = traced_message_of(row)
            try:
                ack = await self._producer.send(row.topic, value, key=key, headers=headers)
            except Exception as error:
                mark_failed(span, error)
                span.end()
                raise
            acks.append(end_when_acked(span, ack))
        await asyncio.gather(*acks)

    async def _count_attempt(self, rows: Sequence[Row[Any]]) -> None:
        """Record the failed try in its own transaction (the round's one rolls back)."""
        try:
            async with self._engine.begin() as conn:
                await conn.execute(
                    update(outbox_table)
                    .where(outbox_table.c.id.in_([r.id for r in rows]))
                    .values(attempts=outbox_table.c.attempts + 1)
                )
        except Exception:
            log.warning("could not count the failed outbox attempt", exc_info=True)
