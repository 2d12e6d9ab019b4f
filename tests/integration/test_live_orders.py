"""Live order tracking against the real stack: GET /ws/orders/{id} through the gateway
(Granian with WebSockets on) to the order service, whose PostgreSQL NOTIFY wakes it.

Orders are made the way the scenarios make them (users, a product with stock, Stripe
cards), through the gateway; the client is ecomctl's own (`ecomctl.tracking.follow`)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect
from websockets.typing import Subprotocol

from ecomctl.scenarios import model, steps
from ecomctl.scenarios.live import live_adapters
from ecomctl.scenarios.world import World
from ecomctl.tracking.follow import Step, WatchRefused, follow_order, ws_url
from tests.integration.saga_stack import SagaStack, saga_stack  # noqa: F401 - the fixture

PAYS, DECLINED = "4242424242424242", "4000000000000341"
# NOTIFY wakes a follower at once; without it a follower would wait its 30-s safety poll.
WITHIN_S = 15.0


def bearer(token: str) -> list[Subprotocol]:
    return [Subprotocol("bearer"), Subprotocol(token)]


class Shop:
    """Two users, a product with stock and two cards, made through the gateway."""

    def __init__(self, world: World, gateway: str) -> None:
        self.world, self.gateway = world, gateway
        for name in ("ann", "bob"):
            steps.user(world, model.UserStep.model_validate({"as": name}))
        steps.product(world, model.ProductStep.model_validate({"as": "p", "stock": 1000}))
        for name, card in (("pays", PAYS), ("declined", DECLINED)):
            steps.payment_method(
                world, model.PaymentMethodStep.model_validate({"as": name, "card": card})
            )

    def token(self, user: str) -> str:
        return self.world.user(user).token

    def order(self, card: str, *, user: str = "ann") -> int:
        name = f"o{len(self.world.orders) + 1}"
        spec = {"as": name, "user": user, "card": card, "items": [{"product": "p", "quantity": 1}]}
        steps.order(self.world, model.OrderStep.model_validate(spec))
        return self.world.order(name).id

    def follow(self, order_id: int, user: str = "ann", **options: Any) -> list[Step]:
        return list(
            follow_order(
                gateway_url=self.gateway,
                order_id=order_id,
                token=self.token(user),
                timeout_s=WITHIN_S,
                **options,
            )
        )

    def ship(self, order_id: int) -> None:
        admin = {"Authorization": f"Bearer {steps.admin_token(self.world)}"}
        shipped = httpx.put(f"{self.gateway}/api/orders/{order_id}/ship", headers=admin)
        assert shipped.status_code == 200, shipped.text

    def status(self, order_id: int) -> str:
        return str(self.world.adapters.api.order(self.token("ann"), order_id)["status"])


@pytest.fixture(scope="module")
def shop(saga_stack: SagaStack) -> Iterator[Shop]:  # noqa: F811
    with live_adapters(saga_stack.target()) as (adapters, ends):
        world = World(adapters=adapters)
        world.deadline = time.monotonic() + 600
        yield Shop(world, ends.gateway)


def _wait_status(shop: Shop, order_id: int, status: str) -> None:
    deadline = time.monotonic() + 60
    while shop.status(order_id) != status:
        assert time.monotonic() < deadline, f"order {order_id} never became {status}"
        time.sleep(0.2)


def test_a_paid_order_pushes_created_reserved_paid(shop: Shop) -> None:
    order_id = shop.order("pays")
    got = shop.follow(order_id, until=frozenset({"paid", "cancelled"}))
    assert [s.step for s in got] == ["created", "reserved", "paid"]
    assert [s.type for s in got] == ["OrderCreated", "InventoryReserved", "OrderPaid"]
    assert [s.event for s in got] == sorted({s.event for s in got})
    assert all(s.order_id == order_id and s.at for s in got)


def test_a_cancelled_order_pushes_the_reason_and_ends_the_stream(shop: Shop) -> None:
    order_id = shop.order("declined")
    got = shop.follow(order_id)  # returns when the server closes 1000 after `cancelled`
    assert [s.step for s in got] == ["created", "reserved", "cancelled"]
    assert "payment failed" in str(got[-1].reason)


def test_a_reconnect_resumes_after_the_last_event_without_gaps(shop: Shop) -> None:
    order_id = shop.order("pays")
    first = shop.follow(order_id, until=frozenset({"created"}))  # then the client leaves
    _wait_status(shop, order_id, "PAID")  # steps committed while nobody listened
    rest = shop.follow(order_id, last_event=first[-1].event, until=frozenset({"paid"}))
    assert [s.step for s in first + rest] == ["created", "reserved", "paid"]
    assert first[-1].event < rest[0].event
    shop.ship(order_id)
    shipped = shop.follow(order_id, last_event=rest[-1].event)
    assert [s.step for s in shipped] == ["shipped"]


def test_a_step_is_pushed_to_a_follower_already_waiting(shop: Shop) -> None:
    order_id = shop.order("pays")
    _wait_status(shop, order_id, "PAID")
    with connect(ws_url(shop.gateway, order_id, 0), subprotocols=bearer(shop.token("ann"))) as ws:
        replayed = [json.loads(ws.recv(timeout=WITHIN_S))["step"] for _ in range(3)]
        assert replayed == ["created", "reserved", "paid"]
        ws.ping().wait(5)  # ping/pong through the gateway (Granian) to the socket's end
        shop.ship(order_id)
        started = time.monotonic()
        pushed = json.loads(ws.recv(timeout=WITHIN_S))
        assert pushed["step"] == "shipped" and time.monotonic() - started < WITHIN_S


@pytest.mark.parametrize(
    ("who", "code"), [("nobody", 4401), ("forged", 4401), ("bob", 4403), ("admin", None)]
)
def test_only_the_owner_or_an_admin_may_follow(shop: Shop, who: str, code: int | None) -> None:
    order_id = shop.order("pays")
    tokens = {"nobody": None, "forged": "e30.e30.c2ln", "bob": shop.token("bob"),
              "admin": steps.admin_token(shop.world)}  # fmt: skip
    token = tokens[who]
    if token is None:  # no token at all: the first message does not carry one either
        with connect(ws_url(shop.gateway, order_id, 0)) as ws:
            ws.send(json.dumps({"hello": 1}))
            with pytest.raises(ConnectionClosed):
                ws.recv(timeout=10)
        assert ws.close_code == code
        return
    following = follow_order(
        gateway_url=shop.gateway, order_id=order_id, token=token, timeout_s=WITHIN_S,
        until=frozenset({"paid", "cancelled"}),
    )  # fmt: skip
    if code is None:
        assert next(s.step for s in following) == "created"
        return
    with pytest.raises(WatchRefused) as refused:
        list(following)
    assert refused.value.code == code


def test_the_token_may_come_as_the_first_message(shop: Shop) -> None:
    order_id = shop.order("pays")
    with connect(ws_url(shop.gateway, order_id, 0)) as ws:
        ws.send(json.dumps({"token": shop.token("ann")}))
        assert json.loads(ws.recv(timeout=WITHIN_S))["step"] == "created"


def test_an_unknown_order_is_4404(shop: Shop) -> None:
    with pytest.raises(WatchRefused) as refused:
        shop.follow(2**62, user="ann")
    assert refused.value.code == 4404


def test_a_watched_products_stock_is_pushed_when_an_order_reserves_it(shop: Shop) -> None:
    product_id = shop.world.product("p")
    url = "ws" + shop.gateway.removeprefix("http") + f"/ws/products/{product_id}/stock"
    with connect(url, subprotocols=bearer(shop.token("bob"))) as ws:
        now = json.loads(ws.recv(timeout=WITHIN_S))
        assert now["productId"] == product_id and now["inStock"] is True
        shop.order("pays")  # reserves one, then sells it: each change is pushed
        changed = json.loads(ws.recv(timeout=WITHIN_S))
        # Below: orders of the earlier tests may still be reserving too.
        assert changed["productId"] == product_id and changed["available"] < now["available"]
    with connect(url) as ws:  # no token
        ws.send("{}")
        with pytest.raises(ConnectionClosed):
            ws.recv(timeout=10)
    assert ws.close_code == 4401
