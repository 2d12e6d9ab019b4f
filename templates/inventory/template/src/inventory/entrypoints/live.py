"""GET /ws/products/{id}/stock: a watched product's stock, pushed when it changes.

Any signed-in user may watch (stock is what the catalogue shows anyway); the token comes
in the handshake or the first message (ecomkit.ws_auth). The first frame is the stock now,
then one frame per change: this instance's commits wake the socket at once (the
InventoryUpdated its unit of work commits, ecomkit.db.outbox_committed), another
instance's are seen at the next poll, within STOCK_POLL_S. MariaDB has no LISTEN/NOTIFY,
and the stock row is the whole state, so there is nothing to replay: a reconnect simply
gets the stock now.
"""

from __future__ import annotations

from typing import Annotated, Any

from ecomkit.auth import verifier_of
from ecomkit.contracts import InventoryUpdated
from ecomkit.db import outbox_committed
from ecomkit.live import LiveHub, follow_value, wake_on_committed
from ecomkit.service import bus_in
from ecomkit.ws_auth import CLOSE_NOT_FOUND, accept_authenticated, close
from fastapi import APIRouter, Path, WebSocket

from inventory.domain.errors import ProductNotStocked
from inventory.domain.model import StockLevel
from inventory.service_layer import views
from inventory.service_layer.messagebus import MessageBus

STOCK_POLL_S = 5.0
HUB = LiveHub()  # one per process: the watchers of this instance

live_router = APIRouter(tags=["live"])


def wake_watchers_on_commit() -> None:
    """Each InventoryUpdated this process commits wakes the watchers of its product."""
    outbox_committed.listen(wake_on_committed(HUB, InventoryUpdated.event_type))


def stock_message(level: StockLevel) -> dict[str, Any]:
    return {
        "productId": level.product_id,
        "available": level.available,
        "reserved": level.reserved,
        "sold": level.sold,
        "inStock": level.available > 0,
    }


@live_router.websocket("/ws/products/{product_id}/stock")
async def watch_stock(
    websocket: WebSocket, product_id: Annotated[int, Path(ge=1, le=2**63 - 1)]
) -> None:
    if await accept_authenticated(websocket, verifier_of(websocket)) is None:
        return
    bus: MessageBus = bus_in(websocket)

    async def read() -> dict[str, Any] | None:
        try:
            return stock_message(await views.stock_of(bus, product_id))
        except ProductNotStocked:
            return None

    if await read() is None:
        await close(websocket, CLOSE_NOT_FOUND, f"product {product_id} is not stocked")
        return
    await follow_value(
        websocket, hub=HUB, key=str(product_id), read=read, safety_poll_s=STOCK_POLL_S
    )
