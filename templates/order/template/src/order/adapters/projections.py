"""The order service's asynchronous read models (docs/event-sourcing.md, step 3).

Each is a projection of the order event log run by the kit's `ProjectionRunner`, in the
background, never in a command's transaction: it owns tables named with its generation
(`rm_order_history_g3`), so a rebuild fills new tables while the current ones serve.
Orders from before the event store (their log is partial: no events, or v1 payloads) are
seeded into each generation from `order_read_seeds` (V10: V8's snapshot of their rows,
frozen) when the generation starts; their events up to the seeded version are skipped,
their later events update the seeded rows.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, ClassVar

from ecomkit.eventstore import Projection
from ecomkit.eventstore.model import RecordedEvent
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

# The status an event leaves the order in; other events (notes, InventoryReserved) keep it.
STATUS_AFTER = {
    "OrderCreated": "PENDING",
    "OrderPaid": "PAID",
    "OrderCancelled": "CANCELLED",
    "OrderShipped": "SHIPPED",
}


# Orders from before the event store, as the read models first see them (V10).
SEEDS = "order_read_seeds"


def table(prefix: str, generation: int) -> str:
    return f"{prefix}_g{int(generation)}"


async def run_all(session: AsyncSession, statements: Sequence[str]) -> None:
    for statement in statements:
        await session.execute(text(statement))


def created_at(event: RecordedEvent) -> datetime | None:
    raw = event.data.get("created_at")
    if raw is None:
        return event.recorded_at
    return datetime.fromisoformat(str(raw).replace("Z", "+00:00"))


class SqlProjection(Projection):
    """Tables named `<prefix>_g<N>`: created from `ddl`, dropped together."""

    prefixes: tuple[str, ...]

    def ddl(self, generation: int) -> list[str]:
        raise NotImplementedError

    async def create(self, session: Any, generation: int) -> None:
        await run_all(session, self.ddl(generation))

    async def drop(self, session: Any, generation: int) -> None:
        await run_all(
            session, [f"DROP TABLE IF EXISTS {table(p, generation)}" for p in self.prefixes]
        )

    async def apply(self, session: Any, generation: int, events: Sequence[RecordedEvent]) -> None:
        await self.project(session, generation, await not_seeded(session, events))

    async def project(self, session: Any, generation: int, events: Sequence[RecordedEvent]) -> None:
        """Apply events that no seed covers (in log order)."""
        raise NotImplementedError


async def copy_seeds(session: Any, target: str, columns: str) -> None:
    """Every seed into `target`: the order's identity, status and amount, then `columns`."""
    await session.execute(
        text(
            f"INSERT INTO {target} SELECT order_id, user_id, order_number, status,"
            f" total_amount, currency, {columns} FROM {SEEDS}"
        )
    )


async def not_seeded(session: Any, events: Sequence[RecordedEvent]) -> list[RecordedEvent]:
    """The events a seed does not already cover: a seeded order's events up to its seeded
    version are in its seed (and may be partial or v1 payloads: they are never read)."""
    ids = sorted({int(e.stream_id) for e in events})
    if not ids:
        return []
    seeded = dict(
        (
            await session.execute(
                text(f"SELECT order_id, version FROM {SEEDS} WHERE order_id = ANY(:ids)"),
                {"ids": ids},
            )
        ).all()
    )
    return [e for e in events if e.version > seeded.get(int(e.stream_id), 0)]


# The columns both read models open with: an order's summary, one row per order.
_ORDER_SUMMARY = (
    "order_id BIGINT PRIMARY KEY, user_id BIGINT NOT NULL, order_number VARCHAR(50) NOT NULL,"
    " status VARCHAR(50) NOT NULL, total_amount NUMERIC(12,2) NOT NULL,"
    " currency VARCHAR(3) NOT NULL"
)


class OrderRows(SqlProjection):
    """A read model of one row per order in one table: the order's summary, then the
    model's own `columns`. A seeded order's row copies these from its seed by position, so
    the table and the seed both read them from the one declaration."""

    columns: ClassVar[dict[str, str]]  # name: SQL type, after the summary
    indexes: ClassVar[dict[str, str]]  # the index's name suffix: what it orders by

    def table(self, generation: int) -> str:
        (prefix,) = self.prefixes
        return table(prefix, generation)

    def ddl(self, generation: int) -> list[str]:
        t = self.table(generation)
        own = ", ".join(f"{name} {kind}" for name, kind in self.columns.items())
        return [
            f"CREATE TABLE IF NOT EXISTS {t} ({_ORDER_SUMMARY}, {own})",
            *(f"CREATE INDEX IF NOT EXISTS {t}_{suffix} ON {t} ({on})"
              for suffix, on in self.indexes.items()),
        ]  # fmt: skip

    async def seed(self, session: Any, generation: int) -> None:
        await copy_seeds(session, self.table(generation), ", ".join(self.columns))


class OrderHistory(OrderRows):
    """A user's orders with their lines and status timeline (one entry per event)."""

    name = "order_history"
    prefixes = ("rm_order_history",)
    columns: ClassVar = {
        "lines": "JSONB NOT NULL",
        "timeline": "JSONB NOT NULL",
        "cancel_reason": "TEXT",
        "created_at": "TIMESTAMPTZ",
        "updated_at": "TIMESTAMPTZ",
    }
    indexes: ClassVar = {"user": "user_id, created_at DESC, order_id DESC"}

    async def project(self, session: Any, generation: int, events: Sequence[RecordedEvent]) -> None:
        t = self.table(generation)
        for event in events:
            entry = json.dumps(_timeline_entry(event))
            if event.type == "OrderCreated":
                await session.execute(
                    text(
                        f"INSERT INTO {t} VALUES (:id, :user, :number, 'PENDING', :total,"
                        " :currency, CAST(:lines AS jsonb), jsonb_build_array(CAST(:entry AS"
                        " jsonb)), NULL, :at, :recorded) ON CONFLICT (order_id) DO NOTHING"
                    ),
                    {**_order_values(event), "entry": entry, "recorded": event.recorded_at},
                )
                continue
            await session.execute(
                text(
                    f"UPDATE {t} SET status = coalesce(:status, status),"
                    " timeline = timeline || jsonb_build_array(CAST(:entry AS jsonb)),"
                    " cancel_reason = coalesce(:reason, cancel_reason), updated_at = :at"
                    " WHERE order_id = :id"
                ),
                {
                    "id": int(event.stream_id),
                    "status": STATUS_AFTER.get(event.type),
                    "entry": entry,
                    "reason": event.data.get("reason") if event.type == "OrderCancelled" else None,
                    "at": event.recorded_at,
                },
            )


class OrderSearch(OrderRows):
    """Orders by status, date and amount, for the admin search."""

    name = "order_search"
    prefixes = ("rm_order_search",)
    columns: ClassVar = {"created_at": "TIMESTAMPTZ", "updated_at": "TIMESTAMPTZ"}
    indexes: ClassVar = {
        "status": "status, created_at", "created": "created_at", "amount": "total_amount"
    }

    async def project(self, session: Any, generation: int, events: Sequence[RecordedEvent]) -> None:
        t = self.table(generation)
        for event in events:
            if event.type == "OrderCreated":
                values = _order_values(event)
                values.pop("lines")
                await session.execute(
                    text(
                        f"INSERT INTO {t} VALUES (:id, :user, :number, 'PENDING', :total,"
                        " :currency, :at, :at) ON CONFLICT (order_id) DO NOTHING"
                    ),
                    values,
                )
            elif event.type in STATUS_AFTER:
                await session.execute(
                    text(f"UPDATE {t} SET status = :status, updated_at = :at WHERE order_id = :id"),
                    {
                        "id": int(event.stream_id),
                        "status": STATUS_AFTER[event.type],
                        "at": event.recorded_at,
                    },
                )


class SalesPerDay(SqlProjection):
    """Quantity, revenue and orders per product per day (UTC) of payment; an order
    cancelled after it was paid is taken off the day it was counted on."""

    name = "sales_daily"
    prefixes = ("rm_sales_daily", "rm_sales_orders")

    def ddl(self, generation: int) -> list[str]:
        daily, orders = table("rm_sales_daily", generation), table("rm_sales_orders", generation)
        return [
            f"CREATE TABLE IF NOT EXISTS {daily} (day DATE NOT NULL, product_id BIGINT NOT NULL,"
            " currency VARCHAR(3) NOT NULL, quantity INTEGER NOT NULL,"
            " revenue NUMERIC(14,2) NOT NULL, orders INTEGER NOT NULL,"
            " PRIMARY KEY (day, product_id, currency))",
            # The lines of each order and the day it was counted on (NULL: not counted).
            f"CREATE TABLE IF NOT EXISTS {orders} (order_id BIGINT PRIMARY KEY,"
            " currency VARCHAR(3) NOT NULL, lines JSONB NOT NULL, paid_day DATE)",
        ]

    async def seed(self, session: Any, generation: int) -> None:
        """Each seeded order's lines, and a paid one's counted on the UTC day it was paid
        (V10 says which day that is when the row does not know it)."""
        daily, orders = table("rm_sales_daily", generation), table("rm_sales_orders", generation)
        await run_all(session, [
            f"INSERT INTO {orders} SELECT order_id, currency, lines,"
            f" (paid_at AT TIME ZONE 'UTC')::date FROM {SEEDS}",
            # As `_count` does per line: an order adds 1 to `orders` for each of its lines.
            f"INSERT INTO {daily} SELECT o.paid_day, (l ->> 'productId')::bigint, o.currency,"
            " sum((l ->> 'quantity')::integer),"
            " sum((l ->> 'quantity')::integer * (l ->> 'price')::numeric), count(*)"
            f" FROM {orders} o CROSS JOIN jsonb_array_elements(o.lines) AS l"
            " WHERE o.paid_day IS NOT NULL GROUP BY 1, 2, 3",
        ])  # fmt: skip

    async def project(self, session: Any, generation: int, events: Sequence[RecordedEvent]) -> None:
        orders = table("rm_sales_orders", generation)
        for event in events:
            order_id = int(event.stream_id)
            if event.type == "OrderCreated":
                values = _order_values(event)
                await session.execute(
                    text(
                        f"INSERT INTO {orders} VALUES (:id, :currency, CAST(:lines AS jsonb),"
                        " NULL) ON CONFLICT (order_id) DO NOTHING"
                    ),
                    {k: values[k] for k in ("id", "currency", "lines")},
                )
                continue
            if event.type not in ("OrderPaid", "OrderCancelled"):
                continue
            found = (
                await session.execute(
                    text(f"SELECT currency, lines, paid_day FROM {orders} WHERE order_id = :id"),
                    {"id": order_id},
                )
            ).first()
            if found is None:
                continue
            if event.type == "OrderPaid" and found.paid_day is None:
                day = (event.recorded_at or datetime.now(UTC)).astimezone(UTC).date()
                await self._count(session, generation, order_id, found, day, +1)
            elif event.type == "OrderCancelled" and found.paid_day is not None:
                await self._count(session, generation, order_id, found, None, -1)

    async def _count(
        self, session: Any, generation: int, order_id: int, order: Any, day: date | None,
        sign: int,
    ) -> None:  # fmt: skip
        daily, orders = table("rm_sales_daily", generation), table("rm_sales_orders", generation)
        counted_on = day if sign > 0 else order.paid_day
        lines = json.loads(order.lines) if isinstance(order.lines, str) else order.lines
        for line in lines:
            quantity = int(line["quantity"])
            await session.execute(
                text(
                    f"INSERT INTO {daily} VALUES (:day, :product, :currency, :qty, :revenue,"
                    f" :n) ON CONFLICT (day, product_id, currency) DO UPDATE SET"
                    f" quantity = {daily}.quantity + :qty, revenue = {daily}.revenue + :revenue,"
                    f" orders = {daily}.orders + :n"
                ),
                {
                    "day": counted_on,
                    "product": int(line["productId"]),
                    "currency": order.currency,
                    "qty": sign * quantity,
                    "revenue": sign * quantity * Decimal(str(line["price"])),
                    "n": sign,
                },
            )
        await session.execute(
            text(f"UPDATE {orders} SET paid_day = :day WHERE order_id = :id"),
            {"day": day, "id": order_id},
        )


PROJECTIONS: tuple[Projection, ...] = (OrderHistory(), SalesPerDay(), OrderSearch())


def _order_values(event: RecordedEvent) -> dict[str, Any]:
    data = event.data
    lines = [
        {"productId": int(i["product_id"]), "quantity": int(i["quantity"]),
         "price": str(i["price"])}
        for i in data["items"]
    ]  # fmt: skip
    return {
        "id": int(event.stream_id),
        "user": int(data["user_id"]),
        "number": str(data["order_number"]),
        "total": Decimal(str(data["total_amount"])),
        "currency": str(data["currency"]),
        "lines": json.dumps(lines),
        "at": created_at(event),
    }


def _timeline_entry(event: RecordedEvent) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "event": event.type,
        "version": event.version,
        "at": event.recorded_at.isoformat() if event.recorded_at else None,
    }
    if event.type in STATUS_AFTER:
        entry["status"] = STATUS_AFTER[event.type]
    if event.type == "OrderCancelled":
        entry["reason"] = event.data.get("reason")
    return entry
