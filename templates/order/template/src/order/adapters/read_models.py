"""Reads of the asynchronous read models, from the generation that serves now.

The serving generation is looked up per request (`projection_current`): a rebuild's
switch is one committed row, and the tables of the generation it replaced stay for a grace
period, so a request that looked up the old one still finds its tables.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from order.adapters.projections import OrderHistory, OrderSearch, SalesPerDay, table
from order.domain.errors import ReadModelUnavailable
from order.service_layer.ports import OrderQuery, ReadModels, Row

_ORDER_COLUMNS = "order_id, user_id, order_number, status, total_amount, currency"
_NEWEST = " ORDER BY created_at DESC, order_id DESC OFFSET :offset LIMIT :limit"


class PostgresReadModels(ReadModels):
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def history(self, user_id: int, *, offset: int, limit: int) -> list[Row]:
        rows = await self._read(
            OrderHistory.name, "rm_order_history",
            f"SELECT {_ORDER_COLUMNS}, lines, timeline, cancel_reason, created_at, updated_at"
            " FROM {table} WHERE user_id = :user" + _NEWEST,
            {"user": user_id, "offset": offset, "limit": limit},
        )  # fmt: skip
        return [_decoded(row, "lines", "timeline") for row in rows]

    async def sales(self, start: date, end: date, product_id: int | None) -> list[Row]:
        product = "" if product_id is None else " AND product_id = :product"
        return await self._read(
            SalesPerDay.name, "rm_sales_daily",
            "SELECT day, product_id, currency, quantity, revenue, orders FROM {table}"
            f" WHERE day BETWEEN :start AND :end AND orders <> 0{product}"
            " ORDER BY day, product_id, currency",
            {"start": start, "end": end, "product": product_id},
        )  # fmt: skip

    async def search(self, query: OrderQuery) -> list[Row]:
        where, values = _search_filter(query)
        return await self._read(
            OrderSearch.name, "rm_order_search",
            f"SELECT {_ORDER_COLUMNS}, created_at, updated_at FROM {{table}} WHERE {where}"
            + _NEWEST,
            {**values, "offset": query.offset, "limit": query.limit},
        )  # fmt: skip

    async def _read(self, name: str, prefix: str, sql: str, values: Row) -> list[Row]:
        """`sql` on the serving generation's table (`{table}` in it)."""
        async with AsyncSession(self.engine) as session:
            serving = table(prefix, await _serving(session, name))
            rows = await session.execute(text(sql.format(table=serving)), values)
            return [row._asdict() for row in rows]


async def _serving(session: AsyncSession, name: str) -> int:
    found = await session.scalar(
        text("SELECT generation FROM projection_current WHERE name = :name"), {"name": name}
    )
    if found is None:
        raise ReadModelUnavailable(f"the {name} read model is not built yet")
    return int(found)


def _search_filter(query: OrderQuery) -> tuple[str, dict[str, Any]]:
    """Only the bounds given, as bound parameters (the SQL text names no value)."""
    start = _midnight(query.created_from)
    end = _midnight(query.created_to + timedelta(days=1) if query.created_to else None)
    bounds = [
        ("status = :status", query.status),
        ("created_at >= :start", start),
        ("created_at < :end", end),
        ("total_amount >= :min_amount", query.min_amount),
        ("total_amount <= :max_amount", query.max_amount),
    ]
    given = [(clause, value) for clause, value in bounds if value is not None]
    names = [clause.rsplit(":", 1)[1] for clause, _ in given]
    where = " AND ".join(clause for clause, _ in given) or "TRUE"
    return where, dict(zip(names, (value for _, value in given), strict=True))


def _midnight(day: date | None) -> datetime | None:
    return None if day is None else datetime.combine(day, time(), tzinfo=UTC)


def _decoded(row: Row, *names: str) -> Row:
    for name in names:
        if isinstance(row[name], str):
            row[name] = json.loads(row[name])
    return row
