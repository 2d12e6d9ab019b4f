"""ws_hold: N concurrent WebSocket clients held through the gateway on live order tracking
(issue 19, PERFORMANCE.md): push latency p95 and memory per connection.

Setup, through the gateway of the running stack: U users, one paid order each, and
N = U x PER_ORDER sockets on `/ws/orders/{id}` (each user follows their own order with
PER_ORDER sockets, under the gateway's per-user cap), opened at the pace the gateway's
per-IP handshake limit allows (a 4429 is retried). Each socket gets the order's replay
(created, reserved, paid) and then waits.

Measured:
- push latency: an ADMIN ships the orders one after another; each `shipped` frame's
  latency is its arrival minus the event's `at` (order_events.created_at, the database's
  now() at the transaction's start, so a slight over-estimate of "committed -> received"),
  on every held socket; p95 over all of them.
- the reference, same run, before the N sockets are opened: the same push to ONE socket
  (REFERENCE orders, one follower each). Ratio = p95 with N held / p95 with one.
- memory per connection: the resident memory (RSS, whole process trees) of the gateway and
  of the order service with the N sockets open, minus before, divided by N.

Figures taken while other work loads the machine are not results: the load average is
printed beside them.

    python bench/ws_hold.py --workspace WS [--clients 1000] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import _counters as c
import httpx
import psutil
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

PER_ORDER = 10  # sockets per order (and user): under the gateway's 20 per user and worker
REFERENCE = 20  # orders shipped to one follower each, for the reference
TARGET = 3.0  # p95 with N held <= 3 x p95 with one
TOO_MANY = 4429
OPEN_TIMEOUT_S = 60


@dataclass
class Follower:
    order_id: int
    socket: ClientConnection
    latencies: list[float] = field(default_factory=list)


def bearer(token: str) -> list[Subprotocol]:
    return [Subprotocol("bearer"), Subprotocol(token)]


async def open_follower(ws_base: str, order_id: int, token: str) -> Follower:
    """A socket on the order that has read its replay up to `paid`; 4429 is waited out."""
    deadline = time.monotonic() + OPEN_TIMEOUT_S
    while True:
        socket = await connect(
            f"{ws_base}/ws/orders/{order_id}", subprotocols=bearer(token), open_timeout=20
        )
        try:
            while json.loads(await socket.recv())["step"] != "paid":
                pass
            return Follower(order_id, socket)
        except ConnectionClosed:
            if socket.close_code != TOO_MANY or time.monotonic() > deadline:
                raise
            await asyncio.sleep(1.0)


async def shipped_latency(follower: Follower) -> None:
    frame = json.loads(await asyncio.wait_for(follower.socket.recv(), 60))
    received = time.time()
    assert frame["step"] == "shipped", frame
    follower.latencies.append(received - datetime.fromisoformat(frame["at"]).timestamp())


def process_tree_rss(pid: int) -> int:
    root = psutil.Process(pid)
    return sum(p.memory_info().rss for p in [root, *root.children(recursive=True)])


class Stack:
    """The running stack: its gateway, an ADMIN, users with one paid order each."""

    def __init__(self, workspace: Path) -> None:
        from ecomctl.operations import target
        from ecomctl.runtime.local.state import RuntimeState
        from ecomctl.scenarios.live import live_adapters

        self.tgt = target(workspace=workspace, stack_file=None, create=False)
        self._adapters = live_adapters(self.tgt)
        adapters, ends = self._adapters.__enter__()
        self.gateway = ends.gateway
        self.ws_base = "ws" + ends.gateway.removeprefix("http")
        state = RuntimeState.load(self.tgt.workspace.state_dir / "state.json")
        self.pids = {name: state.components[name].pid for name in ("gateway", "order")}
        from ecomctl.scenarios import model, steps
        from ecomctl.scenarios.world import World

        self.model, self.steps = model, steps
        self.world = World(adapters=adapters)
        self.world.deadline = time.monotonic() + 3600
        steps.product(self.world, model.ProductStep.model_validate({"as": "p", "stock": 100_000}))
        card = {"as": "visa", "card": "4242424242424242"}
        steps.payment_method(self.world, model.PaymentMethodStep.model_validate(card))
        self.admin = steps.admin_token(self.world)

    def close(self) -> None:
        self._adapters.__exit__(None, None, None)

    def paid_orders(self, count: int) -> list[tuple[int, str]]:
        """(order id, its owner's token) for `count` new users' paid orders."""
        placed = []
        for _ in range(count):
            name = f"u{uuid.uuid4().hex[:8]}"
            self.steps.user(self.world, self.model.UserStep.model_validate({"as": name}))
            order = {"as": f"o-{name}", "user": name, "card": "visa",
                     "items": [{"product": "p", "quantity": 1}]}  # fmt: skip
            self.steps.order(self.world, self.model.OrderStep.model_validate(order))
            placed.append((self.world.order(f"o-{name}").id, self.world.user(name).token))
        for order_id, _ in placed:
            self._wait_paid(order_id)
        return placed

    def _wait_paid(self, order_id: int) -> None:
        deadline = time.monotonic() + 120
        while self.world.adapters.api.order(self.admin, order_id)["status"] != "PAID":
            if time.monotonic() > deadline:
                raise SystemExit(f"order {order_id} did not become PAID")
            time.sleep(0.2)

    def ship(self, order_id: int) -> None:
        admin = {"Authorization": f"Bearer {self.admin}"}
        httpx.put(f"{self.gateway}/api/orders/{order_id}/ship", headers=admin).raise_for_status()

    def rss(self) -> dict[str, int]:
        return {name: process_tree_rss(pid) for name, pid in self.pids.items()}


async def push_latencies(
    stack: Stack, orders: list[tuple[int, str]], per_order: int
) -> tuple[list[float], dict[str, int]]:
    """Open `per_order` followers on each order, ship the orders one at a time: every
    follower's `shipped` latency (seconds), and the services' RSS while all were open."""
    followers = []
    for order_id, token in orders:
        for _ in range(per_order):
            followers.append(await open_follower(stack.ws_base, order_id, token))
    by_order: dict[int, list[Follower]] = {}
    for follower in followers:
        by_order.setdefault(follower.order_id, []).append(follower)
    rss = stack.rss()
    for order_id, group in by_order.items():
        waiting = asyncio.gather(*(shipped_latency(f) for f in group))
        await asyncio.to_thread(stack.ship, order_id)
        await waiting
    for follower in followers:
        await follower.socket.close()
    return [latency for f in followers for latency in f.latencies], rss


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[-1] if len(samples) > 1 else samples[0]


async def measure(stack: Stack, clients: int) -> dict[str, Any]:
    users = max(1, clients // PER_ORDER)
    reference_orders = await asyncio.to_thread(stack.paid_orders, REFERENCE)
    held_orders = await asyncio.to_thread(stack.paid_orders, users)
    before = stack.rss()
    single, _ = await push_latencies(stack, reference_orders, 1)
    held, during = await push_latencies(stack, held_orders, PER_ORDER)
    sockets = users * PER_ORDER
    return {
        "clients": sockets,
        "reference_p95_ms": 1000 * p95(single),
        "held_p95_ms": 1000 * p95(held),
        "held_p50_ms": 1000 * statistics.median(held),
        "frames": len(held),
        "bytes_per_connection": {n: (during[n] - before[n]) / sockets for n in before},
        "rss_before_mb": {n: before[n] / 2**20 for n in before},
        "rss_held_mb": {n: during[n] / 2**20 for n in during},
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workspace", type=Path, default=Path.cwd())
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    load_before = c.loadavg()
    stack = Stack(args.workspace)
    try:
        result = asyncio.run(measure(stack, args.clients))
    finally:
        stack.close()
    ratio = result["held_p95_ms"] / result["reference_p95_ms"]
    per_conn = result["bytes_per_connection"]
    if args.json:
        print(json.dumps({**result, "ratio": ratio}, indent=2))
    print(
        f"{result['clients']} sockets held through the gateway; shipped pushed to each: "
        f"{result['frames']} frames, p50 {result['held_p50_ms']:.1f} ms, p95 "
        f"{result['held_p95_ms']:.1f} ms; one socket: p95 {result['reference_p95_ms']:.1f} ms"
    )
    print(
        "memory per connection: "
        + ", ".join(f"{n} {b / 1024:.1f} KiB" for n, b in per_conn.items())
        + " (RSS with the sockets open minus before, whole process trees)"
    )
    print(
        f"ws_hold: ratio={ratio:.2f} target<={TARGET} (push p95 {result['held_p95_ms']:.1f} ms "
        f"with {result['clients']} held vs {result['reference_p95_ms']:.1f} ms with one; "
        f"gateway {per_conn['gateway'] / 1024:.1f} KiB, order {per_conn['order'] / 1024:.1f} "
        f"KiB per connection; load {load_before} -> {c.loadavg()})"
    )
    return 0 if ratio <= TARGET else 1


if __name__ == "__main__":
    raise SystemExit(main())
