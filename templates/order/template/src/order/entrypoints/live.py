"""GET /ws/orders/{id}: each saga step of an order pushed as it is committed.

The token comes in the handshake or the first message (ecomkit.ws_auth); only the order's
owner or an ADMIN may follow it. `?last_event=N` resumes after the last position seen:
the stored events are the source (ecomkit.live), PostgreSQL's NOTIFY only the wake-up.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from ecomkit.auth import verifier_of
from ecomkit.live import Entry, LiveHub, follow, listen_forever
from ecomkit.service import bus_in
from ecomkit.ws_auth import CLOSE_FORBIDDEN, CLOSE_NOT_FOUND, accept_authenticated, close
from fastapi import APIRouter, Query, WebSocket

from order.domain.tracking import is_final, step_message
from order.service_layer.messagebus import MessageBus

CHANNEL = "order_events"  # the channel V7's trigger notifies, the order id as payload
READ_BATCH = 100
HUB = LiveHub()  # one per process: the followers of this instance

live_router = APIRouter(tags=["live"])


def order_notifications(database_url: str) -> Callable[[], Awaitable[None]]:
    """The background loop that wakes this process's followers (see V7__order_events_notify)."""
    return listen_forever(database_url, CHANNEL, HUB)


@live_router.websocket("/ws/orders/{order_id}")
async def follow_order(
    websocket: WebSocket,
    order_id: int,
    last_event: Annotated[int, Query(ge=0, le=2**63 - 1)] = 0,
) -> None:
    claims = await accept_authenticated(websocket, verifier_of(websocket))
    if claims is None:
        return
    bus: MessageBus = bus_in(websocket)
    async with bus.deps.uow() as uow:
        order = await uow.orders.get(order_id)
    if order is None:
        await close(websocket, CLOSE_NOT_FOUND, f"order {order_id} not found")
        return
    if order.user_id != claims.user_id and not claims.has_role("ADMIN"):
        await close(websocket, CLOSE_FORBIDDEN, "not your order")
        return

    async def read_after(position: int) -> list[Entry]:
        async with bus.deps.uow() as uow:
            stored = await uow.orders.events_after(order_id, position, limit=READ_BATCH)
        return [(event.position, step_message(event, order_id)) for event in stored]

    await follow(
        websocket,
        hub=HUB,
        key=str(order_id),
        after=last_event,
        read_after=read_after,
        finished=is_final,
    )
