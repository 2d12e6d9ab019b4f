"""Routes of the asynchronous read models and of the projections that build them.

They read what the projections built (which may lag the commands by a moment); the
commands' routes (api.py) keep reading the orders rows. `/admin/projections` is for
operators (`ecomctl projections`), not routed by the gateway.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from ecomkit.api_params import Admin, AdminOrService, CurrentUser
from ecomkit.eventstore import ProjectionRunner, RebuildInProgress, UnknownProjection
from ecomkit.problems import Conflict, NotFound, ServiceUnavailable
from fastapi import APIRouter, Query, status

from order.entrypoints.api import Bus, _privileged
from order.entrypoints.schemas import (
    HistoryOrder,
    HistoryPage,
    OrderSearchPage,
    OrderSummary,
    SalesReport,
    SalesRow,
)
from order.service_layer import read_views
from order.service_layer.ports import OrderQuery, Row

read_router = APIRouter(tags=["read models"])
BAD_QUERY: dict[int | str, dict[str, Any]] = {
    400: {"description": "A bad range or page (problem body)"}
}
Operator = AdminOrService


def _texts(row: Row, *names: str) -> Row:
    """Money as exact text, as the rest of the API gives it."""
    return {**row, **{n: str(row[n]) for n in names}}


@read_router.get("/api/orders/history", responses=BAD_QUERY)
async def order_history_page(
    claims: CurrentUser,
    bus: Bus,
    offset: int = 0,
    limit: int = 20,
    user_id: Annotated[int | None, Query(alias="userId", ge=1)] = None,
) -> HistoryPage:
    """The caller's orders, newest first, with lines and status timeline (ADMIN may pass
    `userId`). `offset` 0 or more, `limit` 1-100, else 400."""
    rows = await read_views.history(
        bus, viewer_id=claims.user_id, privileged=_privileged(claims), user_id=user_id,
        offset=offset, limit=limit,
    )  # fmt: skip
    orders = [HistoryOrder.model_validate(_texts(r, "total_amount")) for r in rows]
    return HistoryPage(user_id=user_id or claims.user_id, offset=offset, limit=limit,
                       orders=orders)  # fmt: skip


@read_router.get("/api/admin/sales", responses=BAD_QUERY)
async def sales_per_day(
    _: Admin,
    bus: Bus,
    from_: Annotated[date | None, Query(alias="from")] = None,
    to: date | None = None,
    product_id: Annotated[int | None, Query(alias="productId", ge=1)] = None,
) -> SalesReport:
    """Quantity, revenue and orders per product per UTC day of payment (paid minus
    cancelled after payment), `from` to `to` inclusive: both required, at most 366 days."""
    rows = await read_views.sales(bus, from_, to, product_id)
    assert from_ is not None and to is not None
    return SalesReport(
        from_=from_, to=to, product_id=product_id,
        rows=[SalesRow.model_validate(_texts(r, "revenue")) for r in rows],
    )  # fmt: skip


@read_router.get("/api/admin/orders", responses=BAD_QUERY)
async def search_orders(
    _: Admin,
    bus: Bus,
    status_: Annotated[str | None, Query(alias="status", max_length=50)] = None,
    from_: Annotated[date | None, Query(alias="from")] = None,
    to: date | None = None,
    min_amount: Annotated[Decimal | None, Query(alias="minAmount")] = None,
    max_amount: Annotated[Decimal | None, Query(alias="maxAmount")] = None,
    offset: int = 0,
    limit: int = 20,
) -> OrderSearchPage:
    """Orders by status, creation day range (UTC, inclusive, at most 366 days) and amount
    range, newest first."""
    query = OrderQuery(status_, from_, to, min_amount, max_amount, offset, limit)
    rows = await read_views.search(bus, query)
    orders = [OrderSummary.model_validate(_texts(r, "total_amount")) for r in rows]
    return OrderSearchPage(offset=offset, limit=limit, orders=orders)


def _runner(bus: Bus) -> ProjectionRunner:
    if bus.deps.projections is None:
        raise ServiceUnavailable("this instance runs no projections")
    return bus.deps.projections


@read_router.get("/admin/projections", tags=["admin"])
async def projections_status(_: Operator, bus: Bus) -> list[dict[str, object]]:
    """Each projection's serving generation, position and lag, and a rebuild underway."""
    return [found.to_json() for found in await _runner(bus).status()]


@read_router.post(
    "/admin/projections/{name}/rebuild", status_code=status.HTTP_202_ACCEPTED, tags=["admin"]
)
async def rebuild_projection(name: str, _: Operator, bus: Bus) -> dict[str, object]:
    """Build a new generation from the start of the log beside the serving one; it becomes
    current once caught up (poll GET /admin/projections)."""
    try:
        generation = await _runner(bus).rebuild(name)
    except UnknownProjection as error:
        raise NotFound(str(error)) from error
    except RebuildInProgress as error:
        raise Conflict(str(error)) from error
    return {"name": name, "generation": generation}
