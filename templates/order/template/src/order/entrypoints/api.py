"""HTTP routes. Each route builds a command (or a query) and hands it to the bus."""

from __future__ import annotations

from typing import Annotated

from ecomkit.api_params import Admin, CurrentUser, Page, PageSize, PathId
from ecomkit.auth import Claims
from ecomkit.service import bus_of
from ecomkit.tracing import current_trace_id
from fastapi import APIRouter, Body, Depends, Header, Request, Response, status

from order.domain import commands
from order.entrypoints.schemas import CancelRequest, HistoryEntry, OrderCreate, OrderResponse
from order.service_layer import views
from order.service_layer.handlers import Placed
from order.service_layer.messagebus import MessageBus

router = APIRouter(tags=["orders"])

PRIVILEGED = ("ADMIN", "SERVICE")


Bus = Annotated[MessageBus, Depends(bus_of)]


def _privileged(claims: Claims) -> bool:
    return any(claims.has_role(role) for role in PRIVILEGED)


@router.post("/api/orders", status_code=status.HTTP_201_CREATED)
async def place_order(
    body: OrderCreate,
    claims: CurrentUser,
    request: Request,
    response: Response,
    bus: Bus,
    idempotency_key: Annotated[str | None, Header(max_length=255)] = None,
) -> OrderResponse:
    command = commands.PlaceOrder(
        user_id=claims.user_id,
        items=tuple(commands.ItemRequest(i.product_id, i.quantity) for i in body.items),
        authorization=request.headers["Authorization"],
        payment_method_id=body.payment_method_id,
        shipping_address=body.shipping_address,
        idempotency_key=idempotency_key or None,
        trace_id=current_trace_id(),
    )
    placed: Placed = await bus.handle(command)
    response.headers["Location"] = f"/api/orders/{placed.order.id}"
    if placed.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return OrderResponse.of(placed.order)


@router.get("/api/orders/user/{user_id}")
async def orders_of_user(
    user_id: PathId,
    claims: CurrentUser,
    bus: Bus,
    page: Page = 0,
    size: PageSize = 20,
) -> list[OrderResponse]:
    found = await views.orders_of(
        bus,
        user_id,
        viewer_id=claims.user_id,
        privileged=_privileged(claims),
        page=page,
        size=size,
    )
    return [OrderResponse.of(order) for order in found]


@router.get("/api/orders/{order_id}")
async def get_order(order_id: PathId, claims: CurrentUser, bus: Bus) -> OrderResponse:
    order = await views.order_for(
        bus, order_id, viewer_id=claims.user_id, privileged=_privileged(claims)
    )
    return OrderResponse.of(order)


@router.get("/api/orders/{order_id}/events")
async def order_history(order_id: PathId, claims: CurrentUser, bus: Bus) -> list[HistoryEntry]:
    """The order's state changes (order_events), oldest first."""
    rows = await views.history_of(
        bus, order_id, viewer_id=claims.user_id, privileged=_privileged(claims)
    )
    return [HistoryEntry(event_type=t, data=d, created_at=at) for t, d, at in rows]


@router.put("/api/orders/{order_id}/cancel")
async def cancel_order(
    order_id: PathId,
    claims: CurrentUser,
    bus: Bus,
    body: Annotated[CancelRequest | None, Body()] = None,
) -> OrderResponse:
    command = commands.CancelOrder(
        order_id=order_id,
        reason=(body or CancelRequest()).reason,
        actor_id=claims.user_id,
        actor_is_admin=claims.has_role("ADMIN"),
    )
    return OrderResponse.of(await bus.handle(command))


@router.put("/api/orders/{order_id}/ship")
async def ship_order(order_id: PathId, _: Admin, bus: Bus) -> OrderResponse:
    return OrderResponse.of(await bus.handle(commands.ShipOrder(order_id)))
