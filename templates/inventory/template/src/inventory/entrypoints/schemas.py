"""HTTP request and response bodies (camelCase JSON)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated

from ecomkit.contracts import ReservedItem
from ecomkit.schemas import CamelModel, Id
from pydantic import AliasChoices, Field

from inventory.domain.commands import Charge, ReserveStock
from inventory.domain.model import Reservation, StockLevel
from inventory.service_layer.handlers import ReservationResult


class StockUpdate(CamelModel):
    available_stock: Annotated[int, Field(ge=0, le=10**9)] = Field(
        validation_alias=AliasChoices("availableStock", "available_stock", "quantity")
    )


class StockResponse(CamelModel):
    product_id: int
    available_stock: int
    reserved_stock: int
    sold_stock: int
    stocked: int
    available: int
    """The same as availableStock, under the name product-catalog reads."""

    @classmethod
    def of(cls, level: StockLevel) -> StockResponse:
        return cls.copying(
            level,
            available_stock=level.available,
            reserved_stock=level.reserved,
            sold_stock=level.sold,
        )


class ItemIn(CamelModel):
    product_id: Id
    quantity: Annotated[int, Field(ge=1, le=10_000)]
    price: Decimal | None = None


class ReserveRequest(CamelModel):
    order_id: Id
    items: Annotated[list[ItemIn], Field(min_length=1, max_length=100)]
    user_id: Id | None = None
    total_amount: Decimal | None = None
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")] | None = None
    payment_method_id: str | None = None

    def command(self) -> ReserveStock:
        """With the order's user, total and currency the reservation joins the saga
        (InventoryReserved carries them to payment); without, it only holds the stock."""
        charge = None
        if self.user_id is not None and self.total_amount is not None and self.currency:
            charge = Charge(self.user_id, self.total_amount, self.currency,
                            self.payment_method_id)
        items = tuple(
            ReservedItem(product_id=i.product_id, quantity=i.quantity, price=i.price)
            for i in self.items
        )
        return ReserveStock(self.order_id, items, charge)


class ReleaseRequest(CamelModel):
    order_id: Id
    reason: Annotated[str, Field(min_length=1, max_length=500)] = "released by request"


class ReservationOut(CamelModel):
    product_id: int
    quantity: int
    status: str
    expires_at: datetime

    @classmethod
    def of(cls, reservation: Reservation) -> ReservationOut:
        return cls.copying(reservation, status=reservation.status.value)


class ReservationResponse(CamelModel):
    order_id: int
    status: str
    reason: str | None
    replayed: bool
    reservations: list[ReservationOut]

    @classmethod
    def of(cls, result: ReservationResult) -> ReservationResponse:
        return cls.copying(
            result,  # order_id, reason, replayed
            status=result.outcome.value,
            reservations=[ReservationOut.of(r) for r in result.reservations],
        )


class ReleaseResponse(CamelModel):
    order_id: int
    released: list[ReservationOut]
