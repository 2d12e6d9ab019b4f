"""One handler per command (verb_noun). Each runs in one transaction: stock rows locked
in product order, the moves, the reservation rows and the events commit together."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from ecomkit import contracts
from ecomkit.declarations import Command

from inventory.domain import commands
from inventory.domain.errors import CancelledMeanwhile
from inventory.domain.model import (
    Reservation,
    ReservationStatus,
    Shortage,
    StockLevel,
    merge_items,
    shortages,
)
from inventory.service_layer.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

EXPIRED_REASON = "reservation expired"


def utc_now() -> datetime:
    """Naive UTC: what the TIMESTAMP columns hold."""
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass
class Dependencies:
    """Everything a handler needs; bootstrap() builds the real one, tests the fakes."""

    uow: Callable[[], UnitOfWork]
    reservation_ttl_s: float = 900.0
    clock: Callable[[], datetime] = field(default=utc_now)


class Outcome(StrEnum):
    RESERVED = "RESERVED"
    FAILED = "FAILED"
    CONFIRMED = "CONFIRMED"
    RELEASED = "RELEASED"


@dataclass(frozen=True)
class ReservationResult:
    order_id: int
    outcome: Outcome
    reservations: list[Reservation]
    reason: str | None = None
    shortages: list[Shortage] = field(default_factory=list)
    replayed: bool = False
    """True when the order had been handled before: nothing changed this time."""


# --- reserve ------------------------------------------------------------------------


async def reserve_stock(cmd: commands.ReserveStock, deps: Dependencies) -> ReservationResult:
    """All items or none. A repeated request for the same order changes nothing."""
    async with deps.uow() as uow:
        # Plain reads: a concurrent twin of this request is stopped by the unique
        # reservation key (the bus retries, and the retry finds its reservations).
        existing = await uow.reservations.for_order(cmd.order_id)
        if existing:
            return _result_of(cmd.order_id, existing)
        cancelled = await uow.reservations.cancelled_reason(cmd.order_id)
        if cancelled is not None:  # cancelled (or refused) before: stays so
            return ReservationResult(cmd.order_id, Outcome.FAILED, [], reason=cancelled,
                                     replayed=True)
        wanted = merge_items((item.product_id, item.quantity) for item in cmd.items)
        levels = await uow.stock.lock(list(wanted))
        missing = shortages(wanted, levels)
        if missing:
            result = await _refuse(uow, cmd, missing)
        else:
            result = await _reserve(uow, cmd, wanted, levels, deps)
            # A cancellation handled at the same time (another instance, or the HTTP
            # route) may have found no reservation and left a tombstone: read it now that
            # ours are written, waiting for one being written. release_stock reads the
            # reservations again after its tombstone the same way, so one of the two
            # always sees the other (or they deadlock, and the bus retries the loser).
            # Raised, not rolled back here: joined to the inbox's transaction, only the
            # inbox can undo it (and the consumer retries the event; the bus retries a
            # request), and the retry finds the tombstone above.
            if await uow.reservations.cancelled_reason(cmd.order_id, for_update=True) is not None:
                raise CancelledMeanwhile(cmd.order_id)
        await uow.commit()
    return result


async def _reserve(
    uow: UnitOfWork,
    cmd: commands.ReserveStock,
    wanted: dict[int, int],
    levels: dict[int, StockLevel],
    deps: Dependencies,
) -> ReservationResult:
    expires_at = deps.clock() + timedelta(seconds=deps.reservation_ttl_s)
    held = []
    for product_id, quantity in wanted.items():
        level = levels[product_id]
        level.reserve(quantity)
        await uow.stock.save(level)
        reservation = Reservation(cmd.order_id, product_id, quantity, expires_at)
        await uow.reservations.add(reservation)
        held.append(reservation)
        uow.add_event(updated(level))
    if cmd.charge is not None:
        uow.add_event(
            contracts.InventoryReserved(
                order_id=cmd.order_id,
                user_id=cmd.charge.user_id,
                items=list(cmd.items),
                total_amount=cmd.charge.total_amount,
                currency=cmd.charge.currency,
                payment_method_id=cmd.charge.payment_method_id,
                expires_at=expires_at.replace(tzinfo=UTC),  # naive UTC in the database
            )
        )
    return ReservationResult(cmd.order_id, Outcome.RESERVED, held)


async def _refuse(
    uow: UnitOfWork, cmd: commands.ReserveStock, missing: list[Shortage]
) -> ReservationResult:
    reason = "insufficient stock for product(s) " + ", ".join(
        str(s.product_id) for s in missing
    )
    # Remembered, so a late redelivery cannot reserve for an order already refused.
    await uow.reservations.add_cancelled(cmd.order_id, reason)
    if cmd.charge is not None:
        short = [
            contracts.Shortage(product_id=s.product_id, requested=s.requested,
                               available=s.available)
            for s in missing
        ]
        uow.add_event(
            contracts.InventoryReservationFailed(
                order_id=cmd.order_id, user_id=cmd.charge.user_id, reason=reason, items=short
            )
        )
    return ReservationResult(cmd.order_id, Outcome.FAILED, [], reason=reason, shortages=missing)


def _result_of(order_id: int, existing: list[Reservation]) -> ReservationResult:
    statuses = {r.status for r in existing}
    outcome = (
        Outcome.RESERVED if ReservationStatus.RESERVED in statuses
        else Outcome.CONFIRMED if ReservationStatus.CONFIRMED in statuses
        else Outcome.RELEASED
    )
    return ReservationResult(order_id, outcome, existing, replayed=True)


# --- release, confirm, expire -------------------------------------------------------


async def release_stock(cmd: commands.ReleaseStock, deps: Dependencies) -> list[Reservation]:
    """Give held units back; releasing twice (PaymentFailed then OrderCancelled) is a no-op."""
    async with deps.uow() as uow:
        existing = await uow.reservations.for_order(cmd.order_id, for_update=True)
        if not existing:
            # Cancelled before OrderCreated reached us: refuse that reservation later.
            if await uow.reservations.cancelled_reason(cmd.order_id) is None:
                await uow.reservations.add_cancelled(cmd.order_id, cmd.reason)
            # A reservation written meanwhile (see reserve_stock) is released here.
            existing = await uow.reservations.for_order(cmd.order_id, for_update=True)
            if not existing:
                await uow.commit()
                return []
        held = [r for r in existing if r.status is ReservationStatus.RESERVED]
        levels = await uow.stock.lock([r.product_id for r in held])
        for reservation in held:
            level = levels[reservation.product_id]
            level.release(reservation.quantity)
            await uow.stock.save(level)
            reservation.status = ReservationStatus.RELEASED
            await uow.reservations.set_status(reservation)
            uow.add_event(updated(level))
        await uow.commit()
    if held:
        log.info("released order %s (%s)", cmd.order_id, cmd.reason)
    return held


async def confirm_stock(event: contracts.OrderPaid, deps: Dependencies) -> list[Reservation]:
    """Reserved → sold. A reservation that expired before the payment came is sold from
    available stock if there is any (logged loudly otherwise: paid but not in stock).

    InventoryUpdated is published when available stock changes (what the catalog shows and
    search filters on): a reserved unit becoming sold leaves it as it was, so a sale on time
    publishes nothing (it was one Kafka record, relay round and catalog eviction per item)."""
    async with deps.uow() as uow:
        existing = await uow.reservations.for_order(event.order_id, for_update=True)
        pending = [r for r in existing if r.status is not ReservationStatus.CONFIRMED]
        levels = await uow.stock.lock([r.product_id for r in pending])
        confirmed = []
        for reservation in pending:
            level = levels[reservation.product_id]
            if reservation.status is ReservationStatus.RESERVED:
                level.confirm(reservation.quantity)
            elif level.sell_available(reservation.quantity):
                # Sold from available stock: what shoppers and the catalog see changed.
                uow.add_event(updated(level))
            else:
                log.error(
                    "order %s paid after its reservation expired and product %s is out of "
                    "stock", event.order_id, reservation.product_id,
                )
                continue
            await uow.stock.save(level)
            reservation.status = ReservationStatus.CONFIRMED
            await uow.reservations.set_status(reservation)
            confirmed.append(reservation)
        if not existing:
            log.warning("OrderPaid for order %s without reservations", event.order_id)
        await uow.commit()
    return confirmed


async def expire_reservations(cmd: commands.ExpireReservations, deps: Dependencies) -> int:
    """Release what was held past expires_at; one transaction per order."""
    async with deps.uow() as uow:
        order_ids = await uow.reservations.expired_orders(deps.clock(), limit=cmd.limit)
    released = 0
    for order_id in order_ids:
        released += len(await release_stock(commands.ReleaseStock(order_id, EXPIRED_REASON), deps))
    return released


# --- stock levels -------------------------------------------------------------------


async def set_stock(cmd: commands.SetStock, deps: Dependencies) -> StockLevel:
    async with deps.uow() as uow:
        level = (await uow.stock.lock([cmd.product_id])).get(cmd.product_id)
        if level is None:
            level = StockLevel(cmd.product_id)
            level.set_available(cmd.available)
            await uow.stock.add(level)
        else:
            level.set_available(cmd.available)
            await uow.stock.save(level)
        uow.add_event(updated(level))
        await uow.commit()
    return level


def updated(level: StockLevel) -> contracts.InventoryUpdated:
    return contracts.InventoryUpdated(
        product_id=level.product_id,
        available_stock=level.available,
        reserved_stock=level.reserved,
        sold_stock=level.sold,
    )


HANDLERS: dict[type[Command | contracts.Contract], Callable[..., Any]] = {
    commands.ReserveStock: reserve_stock,
    commands.ReleaseStock: release_stock,
    contracts.OrderPaid: confirm_stock,
    commands.SetStock: set_stock,
    commands.ExpireReservations: expire_reservations,
}
