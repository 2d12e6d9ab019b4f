"""Storage ports and their PostgreSQL implementations (SQLAlchemy Core, parameterised).

An order is event-sourced (docs/event-sourcing.md): a state change loads it from its
stream (`order_events`, and the snapshot its migration took), and appends its new event at
the version it loaded, which the unique (order_id, version) index guards instead of a row
lock; the `orders` row is kept up to date in the same transaction, as the read model the
queries use (a user's orders, overdue orders, the API's reads).

The in-memory fakes in tests/ pass the same contract tests (tests/contracts.py).
Datetimes are timezone-aware UTC everywhere (TIMESTAMPTZ columns).
"""

from __future__ import annotations

import abc
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from ecomkit.eventstore import NewEvent, PostgresEventStore, Upcasters
from ecomkit.records import record_from_row, record_values
from sqlalchemy import (
    JSON,
    Text,
    cast,
    func,
    insert,
    literal_column,
    select,
    type_coerce,
    update,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from order.adapters.tables import (
    ORDER_STREAMS,
    idempotency_keys,
    order_events,
    order_items,
    orders,
)
from order.domain.errors import KeyTaken
from order.domain.history import rebuild
from order.domain.model import Order, OrderLine, OrderStatus
from order.domain.tracking import StoredEvent

# What placing an order writes (the database adds the id and the timestamps), and what a
# state change may touch afterwards.
_PLACED = (
    "order_number",
    "user_id",
    "total_amount",
    "currency",
    "status",
    "payment_method_id",
    "shipping_address",
    "saga_state",
    "saga_deadline",
    "trace_id",
)
_MUTABLE = ("status", "saga_state", "saga_deadline", "payment_id", "cancel_reason")

# An order's lines as one JSON array [[product_id, quantity, "price"], ...] in the row that
# reads the order: the whole aggregate in one round trip (prices as text: exact decimals).
_LINES = type_coerce(
    select(
        func.coalesce(
            func.json_agg(
                aggregate_order_by(
                    func.json_build_array(
                        order_items.c.product_id,
                        order_items.c.quantity,
                        cast(order_items.c.price, Text),
                    ),
                    order_items.c.id,
                )
            ),
            literal_column("'[]'::json"),
        )
    )
    .where(order_items.c.order_id == orders.c.id)
    .scalar_subquery(),
    JSON,
).label("lines")


class OrderRepository(abc.ABC):
    @abc.abstractmethod
    async def add(self, order: Order) -> Order:
        """Store a new order with its lines; sets id and timestamps."""

    @abc.abstractmethod
    async def get(self, order_id: int, *, for_update: bool = False) -> Order | None:
        """`for_update`: the order to change, rebuilt from its events (its `version` is the
        one its next event must follow); otherwise the order as the read model has it."""

    @abc.abstractmethod
    async def save(self, order: Order) -> None:
        """Write the fields a state change touches (status, saga, payment, reason) to the
        read model."""

    @abc.abstractmethod
    async def for_user(self, user_id: int, *, offset: int, limit: int) -> list[Order]:
        """Newest first."""

    @abc.abstractmethod
    async def overdue(self, now: datetime, *, limit: int) -> list[int]:
        """Ids of PENDING orders past their saga deadline, locked; rows another sweeper
        holds are skipped (several instances may sweep at once)."""

    @abc.abstractmethod
    async def append_event(
        self, order: Order, event_type: str, data: dict[str, Any], *, schema_version: int = 1
    ) -> None:
        """Append to the order's stream after `order.version` (and move it on); raises
        ConcurrencyConflict, with nothing written, when another writer appended first."""

    @abc.abstractmethod
    async def events_of(self, order_id: int) -> list[tuple[str, dict[str, Any], datetime]]:
        """(event_type, data, created_at), oldest first."""

    @abc.abstractmethod
    async def events_after(self, order_id: int, after: int, *, limit: int) -> list[StoredEvent]:
        """The order's events with a position above `after`, oldest first, at most `limit`.

        Positions only grow within an order: a writer appends event n+1 only after it read
        event n committed (the unique (order_id, version) index makes a second writer of
        n+1 wait, then load again), so its events are inserted and committed in order."""


class IdempotencyKeys(abc.ABC):
    @abc.abstractmethod
    async def find(self, user_id: int, key: str) -> tuple[int, str] | None:
        """(order id, request hash) stored for the key, or None."""

    @abc.abstractmethod
    async def add(self, user_id: int, key: str, request_hash: str, order_id: int) -> None:
        """Raises KeyTaken when the key exists (a concurrent request stored it first)."""


def order_upcasters() -> Upcasters:
    """Version 1 rows (stored before event sourcing) in the shape version 2 has."""
    upcasters = Upcasters()

    @upcasters.register("OrderCreated", 1)
    def _created(data: dict[str, Any]) -> dict[str, Any]:
        return {"saga_deadline": None, "shipping_address": None, "trace_id": None, **data}

    @upcasters.register("OrderPaid", 1)
    def _paid(data: dict[str, Any]) -> dict[str, Any]:
        return {"payment_id": None, **data}

    return upcasters


UPCASTERS = order_upcasters()


class PostgresOrderRepository(OrderRepository):
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.streams = PostgresEventStore(session, ORDER_STREAMS, upcasters=UPCASTERS)

    async def add(self, order: Order) -> Order:
        row = record_values(order, only=_PLACED)
        result = await self.session.execute(
            insert(orders).values(**row).returning(orders.c.id, orders.c.created_at)
        )
        inserted = result.one()
        order.id, order.created_at = int(inserted.id), inserted.created_at
        order.updated_at = order.created_at
        await self.session.execute(
            insert(order_items),
            [record_values(line, order_id=order.id) for line in order.items],
        )
        return order

    async def get(self, order_id: int, *, for_update: bool = False) -> Order | None:
        if for_update:
            return await self._rebuilt(order_id)
        query = select(orders, _LINES).where(orders.c.id == order_id)
        row = (await self.session.execute(query)).first()
        if row is None:
            return None
        lines = [OrderLine(int(p), int(q), Decimal(price)) for p, q, price in row.lines]
        return _order(row._mapping, lines)

    async def save(self, order: Order) -> None:
        values = record_values(order, only=_MUTABLE)
        result = await self.session.execute(
            update(orders).where(orders.c.id == order.id).values(**values)
            .returning(orders.c.updated_at)
        )
        order.updated_at = result.scalar_one()

    async def for_user(self, user_id: int, *, offset: int, limit: int) -> list[Order]:
        query = (
            select(orders)
            .where(orders.c.user_id == user_id)
            .order_by(orders.c.created_at.desc(), orders.c.id.desc())
            .offset(offset)
            .limit(limit)
        )
        rows = [r._mapping for r in await self.session.execute(query)]
        return await self._with_items(rows)

    async def overdue(self, now: datetime, *, limit: int) -> list[int]:
        query = (
            select(orders.c.id)
            .where(orders.c.status == OrderStatus.PENDING.value, orders.c.saga_deadline <= now)
            .order_by(orders.c.saga_deadline)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return [int(i) for i in (await self.session.scalars(query))]

    async def append_event(
        self, order: Order, event_type: str, data: dict[str, Any], *, schema_version: int = 1
    ) -> None:
        assert order.id is not None
        event = NewEvent(event_type, data, schema_version)
        order.version = await self.streams.append(order.id, order.version, [event])

    async def _rebuilt(self, order_id: int) -> Order | None:
        stream = await self.streams.load(order_id)
        snapshot = stream.snapshot.state if stream.snapshot else None
        order = rebuild(order_id, [(e.type, e.data) for e in stream.events], snapshot)
        if order is not None:
            order.version = stream.version
        return order

    async def events_of(self, order_id: int) -> list[tuple[str, dict[str, Any], datetime]]:
        query = (
            select(order_events)
            .where(order_events.c.order_id == order_id)
            .order_by(order_events.c.id)
        )
        rows = await self.session.execute(query)
        return [(r.event_type, dict(r.event_data or {}), r.created_at) for r in rows]

    async def events_after(self, order_id: int, after: int, *, limit: int) -> list[StoredEvent]:
        query = (
            select(order_events)
            .where(order_events.c.order_id == order_id, order_events.c.id > after)
            .order_by(order_events.c.id)
            .limit(limit)
        )
        rows = await self.session.execute(query)
        return [
            StoredEvent(int(r.id), r.event_type, dict(r.event_data or {}), r.created_at)
            for r in rows
        ]

    async def _with_items(self, rows: Sequence[Any]) -> list[Order]:
        if not rows:
            return []
        ids = [int(r["id"]) for r in rows]
        query = (
            select(order_items).where(order_items.c.order_id.in_(ids)).order_by(order_items.c.id)
        )
        lines: dict[int, list[OrderLine]] = {i: [] for i in ids}
        for item in await self.session.execute(query):
            lines[int(item.order_id)].append(
                OrderLine(int(item.product_id), int(item.quantity), item.price)
            )
        return [_order(r, lines[int(r["id"])]) for r in rows]


def _order(row: Any, items: list[OrderLine]) -> Order:
    # currency is a CHAR(3) (V1__create_orders.sql): padded as stored
    return record_from_row(Order, row, items=items, currency=row["currency"].strip())


class PostgresIdempotencyKeys(IdempotencyKeys):
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def find(self, user_id: int, key: str) -> tuple[int, str] | None:
        query = select(idempotency_keys.c.order_id, idempotency_keys.c.request_hash).where(
            idempotency_keys.c.user_id == user_id, idempotency_keys.c.idempotency_key == key
        )
        row = (await self.session.execute(query)).first()
        return (int(row.order_id), row.request_hash) if row else None

    async def add(self, user_id: int, key: str, request_hash: str, order_id: int) -> None:
        # A concurrent insert of the same key waits on the primary key, then fails here.
        try:
            await self.session.execute(
                insert(idempotency_keys).values(
                    user_id=user_id, idempotency_key=key, request_hash=request_hash,
                    order_id=order_id,
                )
            )
        except IntegrityError as error:
            raise KeyTaken(key) from error
