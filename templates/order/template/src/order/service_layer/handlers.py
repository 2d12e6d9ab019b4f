"""One handler per command (verb_noun). Every state change goes through the domain's state
machine, appends to the order's stream and records its event in the same unit of work.

A state change loads the order from its stream and appends at the version it loaded; when
another writer appended first (ConcurrencyConflict), `retrying` loads it again and decides
again, in the same transaction (docs/event-sourcing.md)."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any, TypeVar

from ecomkit.contracts import (
    Contract,
    InventoryReservationFailed,
    InventoryReserved,
    OrderCancelled,
    OrderCreated,
    OrderLineItem,
    OrderPaid,
    OrderShipped,
    PaymentCompleted,
    PaymentFailed,
)
from ecomkit.declarations import Command
from ecomkit.eventstore import ProjectionRunner, retrying

from order.domain import commands
from order.domain.errors import (
    IdempotencyKeyReused,
    KeyTaken,
    MixedCurrencies,
    OrderNotFound,
    UnknownProduct,
    UnknownUser,
)
from order.domain.history import stored_data
from order.domain.model import Order, OrderLine, OrderStatus
from order.service_layer import metrics
from order.service_layer.ports import ProductCatalog, ProductInfo, ReadModels, UserDirectory
from order.service_layer.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

SAGA_TIMEOUT_REASON = "saga timeout"
T = TypeVar("T")


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Dependencies:
    """Everything a handler needs; bootstrap() builds the real one, tests the fakes."""

    uow: Callable[[], UnitOfWork]
    users: UserDirectory
    catalog: ProductCatalog
    saga_timeout_s: float = 60.0
    clock: Callable[[], datetime] = field(default=utc_now)
    read_models: ReadModels | None = None
    """The asynchronous read models (history, sales, search); None: their routes answer 503."""
    projections: ProjectionRunner | None = None
    """What builds them, for status and rebuild (None in tests that do not need it)."""


@dataclass(frozen=True)
class Placed:
    order: Order
    replayed: bool
    """True when an Idempotency-Key matched an earlier request: nothing new was created."""


# --- placing an order ---------------------------------------------------------------


def request_hash(cmd: commands.PlaceOrder) -> str:
    """What makes two requests "the same" for an Idempotency-Key."""
    body = {
        "items": sorted((i.product_id, i.quantity) for i in cmd.items),
        "payment_method_id": cmd.payment_method_id,
        "shipping_address": cmd.shipping_address,
    }
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


async def place_order(cmd: commands.PlaceOrder, deps: Dependencies) -> Placed:
    fingerprint = request_hash(cmd)
    if cmd.idempotency_key and (replay := await _replay(cmd, fingerprint, deps)):
        return replay
    # The user and the prices come from two services: ask both at once (one round trip
    # of latency instead of two); a problem with the user is reported first.
    user, priced = await asyncio.gather(
        deps.users.user(cmd.user_id, authorization=cmd.authorization),
        _priced_lines(cmd, deps),
        return_exceptions=True,
    )
    if isinstance(user, BaseException):
        raise user
    if user is None:
        raise UnknownUser(cmd.user_id)
    if isinstance(priced, BaseException):
        raise priced
    lines, currency = priced
    now = deps.clock()
    order = Order.place(
        user_id=cmd.user_id,
        order_number=f"ORD-{now:%Y%m%d}-{uuid.uuid4().hex[:10].upper()}",
        items=lines,
        currency=currency,
        deadline=now + timedelta(seconds=deps.saga_timeout_s),
        payment_method_id=cmd.payment_method_id,
        shipping_address=cmd.shipping_address,
        trace_id=cmd.trace_id,
    )
    try:
        async with deps.uow() as uow:
            await uow.orders.add(order)
            assert order.id is not None
            if cmd.idempotency_key:
                await uow.idempotency.add(cmd.user_id, cmd.idempotency_key, fingerprint, order.id)
            await _record(uow, order, order_created(order, user.email))
            await uow.commit()
    except KeyTaken:
        # A concurrent request with the same key committed first: answer with its order.
        replay = await _replay(cmd, fingerprint, deps)
        if replay is None:
            raise
        return replay
    return Placed(order, replayed=False)


async def _replay(cmd: commands.PlaceOrder, fingerprint: str, deps: Dependencies) -> Placed | None:
    assert cmd.idempotency_key is not None
    async with deps.uow() as uow:
        stored = await uow.idempotency.find(cmd.user_id, cmd.idempotency_key)
        if stored is None:
            return None
        order_id, stored_hash = stored
        if stored_hash != fingerprint:
            raise IdempotencyKeyReused()
        order = await uow.orders.get(order_id)
    if order is None:
        raise OrderNotFound(order_id)
    return Placed(order, replayed=True)


async def _priced_lines(
    cmd: commands.PlaceOrder, deps: Dependencies
) -> tuple[list[OrderLine], str]:
    quantities: dict[int, int] = {}
    for item in cmd.items:  # one line per product, however the client listed them
        quantities[item.product_id] = quantities.get(item.product_id, 0) + item.quantity
    found = await asyncio.gather(
        *(deps.catalog.product(pid, authorization=cmd.authorization) for pid in quantities)
    )
    products: dict[int, ProductInfo] = {}
    for product_id, product in zip(quantities, found, strict=True):
        if product is None or not product.active:
            raise UnknownProduct(product_id)
        products[product_id] = product
    currencies = {p.currency for p in products.values()}
    if len(currencies) > 1:
        raise MixedCurrencies(currencies)
    lines = [OrderLine(pid, qty, products[pid].price) for pid, qty in quantities.items()]
    return lines, currencies.pop()


def order_created(order: Order, email: str | None) -> OrderCreated:
    assert order.id is not None and order.created_at is not None
    return OrderCreated(
        order_id=order.id,
        order_number=order.order_number,
        user_id=order.user_id,
        items=[
            OrderLineItem(product_id=i.product_id, quantity=i.quantity, price=i.price)
            for i in order.items
        ],
        total_amount=order.total_amount,
        currency=order.currency,
        payment_method_id=order.payment_method_id,
        email=email,
        created_at=order.created_at,
    )


# --- state changes asked for over HTTP ----------------------------------------------


async def cancel_order(cmd: commands.CancelOrder, deps: Dependencies) -> Order:
    async def cancel(uow: UnitOfWork) -> Order:
        order = await _locked(uow, cmd.order_id)
        if cmd.actor_id is not None and order.user_id != cmd.actor_id and not cmd.actor_is_admin:
            raise OrderNotFound(cmd.order_id)  # someone else's order: not even its existence
        await _cancel(uow, order, cmd.reason)
        await uow.orders.save(order)
        return order

    return await _changing(deps, cancel)


async def ship_order(cmd: commands.ShipOrder, deps: Dependencies) -> Order:
    async def ship(uow: UnitOfWork) -> Order:
        order = await _locked(uow, cmd.order_id)
        order.ship()
        await _record(uow, order, OrderShipped(order_id=_id(order), user_id=order.user_id))
        await uow.orders.save(order)
        return order

    return await _changing(deps, ship)


# --- the saga's events, each handled as it arrives ------------------------------------


async def record_reservation(event: InventoryReserved, deps: Dependencies) -> None:
    async def reserve(uow: UnitOfWork) -> None:
        order = await uow.orders.get(event.order_id, for_update=True)
        if order is None:
            log.warning("InventoryReserved for unknown order %s; ignored", event.order_id)
            return
        if order.mark_reserved():
            await uow.orders.append_event(order, "InventoryReserved", {})
            await uow.orders.save(order)
        else:  # cancelled meanwhile: inventory releases on our OrderCancelled
            await _note(uow, order, "InventoryReservedIgnored")

    await _changing(deps, reserve)


async def record_reservation_failure(event: InventoryReservationFailed, deps: Dependencies) -> None:
    await _cancel_if_pending(deps, event.order_id, f"reservation failed: {event.reason}")


async def record_payment(event: PaymentCompleted, deps: Dependencies) -> None:
    async def pay(uow: UnitOfWork) -> Order | None:
        order = await uow.orders.get(event.order_id, for_update=True)
        if order is None:
            log.warning("PaymentCompleted for unknown order %s; ignored", event.order_id)
            return None
        if order.status is OrderStatus.PENDING:
            order.pay(event.payment_id)
            paid = OrderPaid(
                order_id=_id(order),
                user_id=order.user_id,
                total_amount=order.total_amount,
                currency=order.currency,
            )
            await _record(uow, order, paid)
            await uow.orders.save(order)
            return order
        if order.status is OrderStatus.CANCELLED:
            # The charge raced the cancellation: payment refunds it on our OrderCancelled.
            log.warning("payment %s for cancelled order %s", event.payment_id, order.id)
            await _note(uow, order, "PaymentIgnored", payment_id=event.payment_id)
        return None

    paid = await _changing(deps, pay)
    if paid is not None:
        metrics.time_to_paid(paid.created_at, deps.clock())


async def record_payment_failure(event: PaymentFailed, deps: Dependencies) -> None:
    await _cancel_if_pending(deps, event.order_id, f"payment failed: {event.reason or 'unknown'}")


async def cancel_overdue_orders(cmd: commands.CancelOverdueOrders, deps: Dependencies) -> int:
    """Cancel PENDING orders past their deadline; OrderCancelled makes inventory release
    the stock and payment refund a charge that may still arrive."""
    now = deps.clock()
    cancelled = 0
    async with deps.uow() as uow:
        for order_id in await uow.orders.overdue(now, limit=cmd.limit):
            if await retrying(partial(_cancel_overdue, uow, order_id)):
                cancelled += 1
        await uow.commit()
    if cancelled:
        log.info("cancelled %d order(s) past their saga deadline", cancelled)
    return cancelled


# --- helpers ------------------------------------------------------------------------


async def _changing(deps: Dependencies, change: Callable[[UnitOfWork], Awaitable[T]]) -> T:
    """One state change in its unit of work: loaded, decided and appended again if another
    writer appended to the order first."""
    async with deps.uow() as uow:
        result = await retrying(lambda: change(uow))
        await uow.commit()
    return result


async def _cancel_overdue(uow: UnitOfWork, order_id: int) -> bool:
    order = await uow.orders.get(order_id, for_update=True)
    # The read model's row said overdue (its deadline, locked by this sweep); the stream
    # says whether the order still waits. An order placed by a version before event
    # sourcing during a release has no deadline in its events, only in its row.
    if order is None or order.status is not OrderStatus.PENDING:
        return False
    await _cancel(uow, order, SAGA_TIMEOUT_REASON)
    await uow.orders.save(order)
    return True


async def _cancel_if_pending(deps: Dependencies, order_id: int, reason: str) -> None:
    async def cancel(uow: UnitOfWork) -> None:
        order = await uow.orders.get(order_id, for_update=True)
        if order is None:
            log.warning("cancellation (%s) for unknown order %s; ignored", reason, order_id)
            return
        if order.status is not OrderStatus.PENDING:
            return  # already decided (a late or repeated event)
        await _cancel(uow, order, reason)
        await uow.orders.save(order)

    await _changing(deps, cancel)


async def _cancel(uow: UnitOfWork, order: Order, reason: str) -> None:
    previous = order.cancel(reason)
    cancelled = OrderCancelled(
        order_id=_id(order),
        user_id=order.user_id,
        reason=reason,
        previous_status=previous.value,
    )
    await _record(uow, order, cancelled)


async def _record(uow: UnitOfWork, order: Order, event: Contract) -> None:
    """The stream's event and the outbox row of one state change (same transaction); the
    stream keeps the event's wire payload and what rebuilding the order needs besides.
    The outbox row is added only once the append succeeded (a conflict retries first)."""
    data, schema_version = stored_data(order, event.event_type, event.payload())
    await uow.orders.append_event(order, event.event_type, data, schema_version=schema_version)
    uow.add_event(event)


def _id(order: Order) -> int:
    """A stored order's id (every event is about an order already added)."""
    assert order.id is not None
    return order.id


async def _note(uow: UnitOfWork, order: Order, what: str, **data: Any) -> None:
    await uow.orders.append_event(order, what, {"status": order.status.value, **data})


async def _locked(uow: UnitOfWork, order_id: int) -> Order:
    order = await uow.orders.get(order_id, for_update=True)
    if order is None:
        raise OrderNotFound(order_id)
    return order


HANDLERS: dict[type[Command | Contract], Callable[..., Any]] = {
    commands.PlaceOrder: place_order,
    commands.CancelOrder: cancel_order,
    commands.ShipOrder: ship_order,
    InventoryReserved: record_reservation,
    InventoryReservationFailed: record_reservation_failure,
    PaymentCompleted: record_payment,
    PaymentFailed: record_payment_failure,
    commands.CancelOverdueOrders: cancel_overdue_orders,
}
