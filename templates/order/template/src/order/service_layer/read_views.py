"""Read side of the asynchronous read models: who may read what, and which queries are
refused before they reach the database (a backwards or too long range, a bad page)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from order.domain.errors import BadQuery, NotAllowed, ReadModelUnavailable
from order.service_layer.messagebus import MessageBus
from order.service_layer.ports import OrderQuery, ReadModels, Row

MAX_LIMIT = 100
MAX_DAYS = 366


def check_page(offset: int, limit: int) -> None:
    if offset < 0:
        raise BadQuery(f"offset must be 0 or more, not {offset}")
    if not 1 <= limit <= MAX_LIMIT:
        raise BadQuery(f"limit must be between 1 and {MAX_LIMIT}, not {limit}")


def check_days(start: date | None, end: date | None, *, required: bool = False) -> None:
    if required and (start is None or end is None):
        raise BadQuery("both from and to are required (YYYY-MM-DD)")
    if start is None or end is None:
        return
    if start > end:
        raise BadQuery(f"from ({start}) is after to ({end})")
    if (end - start).days + 1 > MAX_DAYS:
        raise BadQuery(f"from-to spans more than {MAX_DAYS} days")


def check_amounts(low: Decimal | None, high: Decimal | None) -> None:
    if any(a is not None and a < 0 for a in (low, high)):
        raise BadQuery("amounts cannot be negative")
    if low is not None and high is not None and low > high:
        raise BadQuery(f"minAmount ({low}) is above maxAmount ({high})")


def _read_models(bus: MessageBus) -> ReadModels:
    if bus.deps.read_models is None:
        raise ReadModelUnavailable("this instance serves no read models")
    return bus.deps.read_models


async def history(
    bus: MessageBus, *, viewer_id: int, privileged: bool, user_id: int | None,
    offset: int, limit: int,
) -> list[Row]:  # fmt: skip
    """A user's own orders; ADMIN may name another user."""
    check_page(offset, limit)
    if user_id is not None and user_id != viewer_id and not privileged:
        raise NotAllowed("only ADMIN may read another user's history")
    return await _read_models(bus).history(user_id or viewer_id, offset=offset, limit=limit)


async def sales(bus: MessageBus, start: date | None, end: date | None,
                product_id: int | None) -> list[Row]:  # fmt: skip
    check_days(start, end, required=True)
    assert start is not None and end is not None
    return await _read_models(bus).sales(start, end, product_id)


async def search(bus: MessageBus, query: OrderQuery) -> list[Row]:
    check_page(query.offset, query.limit)
    check_days(query.created_from, query.created_to)
    check_amounts(query.min_amount, query.max_amount)
    return await _read_models(bus).search(query)
