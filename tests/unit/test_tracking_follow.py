"""ecomctl.tracking.follow against a small WebSocket server in a thread: steps in order,
a dropped connection resumed after the last step (no gap, no repeat), refusals as one line."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
from websockets.sync.server import Server, ServerConnection, serve

from ecomctl.errors import UserError
from ecomctl.tracking.background import GatewayTracking
from ecomctl.tracking.follow import WatchRefused, follow_order

STEPS = ["created", "reserved", "paid", "shipped"]


class Orders:
    """Order 1's four steps at positions 10, 20, 30, 40; order 3 is someone else's; the
    first connection to order 2 drops after two frames."""

    def __init__(self) -> None:
        self.opened: list[tuple[str, int]] = []  # (subprotocol, last_event) per connection

    def handle(self, socket: ServerConnection) -> None:
        assert socket.request is not None
        url = urlsplit(socket.request.path)
        order = int(url.path.rsplit("/", 1)[1])
        after = int(parse_qs(url.query).get("last_event", ["0"])[0])
        self.opened.append((socket.subprotocol or "", after))
        if order == 3:
            socket.close(4403, "not your order")
            return
        sent = 0
        for position, step in zip((10, 20, 30, 40), STEPS, strict=True):
            if position <= after:
                continue
            frame = {"orderId": order, "event": position, "step": step, "type": step}
            socket.send(json.dumps(frame))
            sent += 1
            if order == 2 and len(self.opened) == 1 and sent == 2:
                socket.socket.close()  # no close frame: a drop
                return
        socket.close(1000, "stream finished")


@pytest.fixture
def server() -> Iterator[tuple[str, Orders]]:
    orders = Orders()
    ws_server: Server = serve(orders.handle, "127.0.0.1", 0, subprotocols=["bearer"])  # type: ignore[list-item]
    thread = threading.Thread(target=ws_server.serve_forever, daemon=True)
    thread.start()
    host, port = ws_server.socket.getsockname()[:2]
    yield f"http://{host}:{port}", orders
    ws_server.shutdown()
    thread.join(5)


def test_steps_arrive_in_order_and_the_end_of_the_stream_ends_it(
    server: tuple[str, Orders],
) -> None:
    url, orders = server
    steps = list(follow_order(gateway_url=url, order_id=1, token="t0k"))
    assert [s.step for s in steps] == STEPS and [s.event for s in steps] == [10, 20, 30, 40]
    assert orders.opened == [("bearer", 0)]


def test_until_stops_at_that_step_and_last_event_resumes(server: tuple[str, Orders]) -> None:
    url, _ = server
    first = list(follow_order(gateway_url=url, order_id=1, token="t", until=frozenset({"paid"})))
    assert [s.step for s in first] == ["created", "reserved", "paid"]
    rest = list(follow_order(gateway_url=url, order_id=1, token="t", last_event=first[-1].event))
    assert [s.step for s in rest] == ["shipped"]


def test_a_drop_is_resumed_after_the_last_step_seen(server: tuple[str, Orders]) -> None:
    url, orders = server
    steps = list(follow_order(gateway_url=url, order_id=2, token="t"))
    assert [s.step for s in steps] == STEPS  # no gap, no repeat
    assert [after for _, after in orders.opened] == [0, 20]


def test_a_refusal_is_one_readable_error(server: tuple[str, Orders]) -> None:
    url, _ = server
    with pytest.raises(WatchRefused, match="belongs to another user") as refused:
        list(follow_order(gateway_url=url, order_id=3, token="t"))
    assert refused.value.code == 4403


def test_nothing_listening_is_a_user_error() -> None:
    with pytest.raises(UserError, match="keeps dropping"):
        list(follow_order(gateway_url="http://127.0.0.1:9", order_id=1, token="t", reconnects=0))


def test_a_background_watch_collects_steps_until_closed(server: tuple[str, Orders]) -> None:
    url, _ = server
    followed = GatewayTracking(url).follow("t", 1)
    deadline = time.monotonic() + 5
    while len(followed.steps()) < 4 and time.monotonic() < deadline:
        time.sleep(0.05)
    followed.close()
    assert followed.steps() == STEPS


def test_a_refused_background_watch_says_so(server: tuple[str, Orders]) -> None:
    url, _ = server
    followed = GatewayTracking(url).follow("t", 3)
    deadline = time.monotonic() + 5
    while not followed.steps() and time.monotonic() < deadline:
        time.sleep(0.05)
    followed.close()
    assert followed.steps() == ["error: order 3 belongs to another user (4403)"]
