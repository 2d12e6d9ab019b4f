"""HTTP routes. Each route builds a command (or a query) and hands it to the bus; the
reserve/release routes run the very handlers the event consumers use."""

from __future__ import annotations

from typing import Annotated

from ecomkit.api_params import Admin, PathId
from ecomkit.auth import Claims, require_roles
from ecomkit.problems import Conflict
from ecomkit.service import bus_of
from fastapi import APIRouter, Depends

from inventory.domain import commands
from inventory.entrypoints.schemas import (
    ReleaseRequest,
    ReleaseResponse,
    ReservationOut,
    ReservationResponse,
    ReserveRequest,
    StockResponse,
    StockUpdate,
)
from inventory.service_layer import views
from inventory.service_layer.handlers import Outcome, ReservationResult
from inventory.service_layer.messagebus import MessageBus

router = APIRouter(tags=["inventory"])

Trusted = Annotated[Claims, Depends(require_roles("SERVICE", "ADMIN"))]


Bus = Annotated[MessageBus, Depends(bus_of)]


@router.get("/api/inventory/{product_id}")
async def get_stock(product_id: PathId, bus: Bus) -> StockResponse:
    return StockResponse.of(await views.stock_of(bus, product_id))


@router.put("/api/inventory/{product_id}/stock")
async def set_stock(product_id: PathId, body: StockUpdate, _: Admin, bus: Bus) -> StockResponse:
    command = commands.SetStock(product_id, body.available_stock)
    return StockResponse.of(await bus.handle(command))


@router.post("/api/inventory/reserve")
async def reserve(body: ReserveRequest, _: Trusted, bus: Bus) -> ReservationResponse:
    """200 with the reservation (also for a repeat); 409 problem listing each short item."""
    result: ReservationResult = await bus.handle(body.command())
    if result.outcome is Outcome.FAILED:
        raise Conflict(
            result.reason,
            title="Insufficient stock",
            errors=[
                {"productId": s.product_id, "requested": s.requested, "available": s.available}
                for s in result.shortages
            ],
        )
    return ReservationResponse.of(result)


@router.post("/api/inventory/release")
async def release(body: ReleaseRequest, _: Trusted, bus: Bus) -> ReleaseResponse:
    released = await bus.handle(commands.ReleaseStock(body.order_id, body.reason))
    return ReleaseResponse(
        order_id=body.order_id, released=[ReservationOut.of(r) for r in released]
    )


@router.get("/api/inventory/reservations/{order_id}")
async def reservations(order_id: PathId, _: Trusted, bus: Bus) -> list[ReservationOut]:
    return [ReservationOut.of(r) for r in await views.reservations_of(bus, order_id)]
