"""Shared by the saga benchmarks: find the running stack, seed users/products/cards, place
orders over HTTP and observe them reach PAID (or CANCELLED) on Kafka, as a client would."""

from __future__ import annotations

import asyncio
import json
import statistics
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from aiokafka import AIOKafkaConsumer, TopicPartition

from ecomctl.operations import target
from ecomctl.scenarios.client import Gateway, StripeEmulator
from ecomctl.scenarios.endpoints import Endpoints, for_workspace
from ecomctl.scenarios.kafka import EventLog
from ecomctl.scenarios.live import WorkspaceAdmin

PASSWORD = "Bench-pass-42"
OUTCOME_TOPICS = {"order-paid-events": "PAID", "order-cancelled-events": "CANCELLED"}


@dataclass
class Seed:
    ends: Endpoints
    base_url: str  # where orders are POSTed: the gateway or the order service
    tokens: list[str]
    products: list[int]
    payment_method: str


def seed(workspace: Path, *, via: str, users: int, products: int, stock: int) -> Seed:
    """Users, products with plenty of stock and one card, made through the gateway."""
    tgt = target(workspace=workspace, stack_file=None, create=False)
    ends = for_workspace(tgt.stack, tgt.workspace)
    api = Gateway(ends.gateway)
    run = uuid.uuid4().hex[:6]
    try:
        admin = api.login(*WorkspaceAdmin(tgt, ends.port_offset).credentials())
        ids = []
        for i in range(products):
            pid = api.create_product(
                admin, sku=f"BENCH-{run}-{i}", name=f"bench {i}", price="9.99", currency="USD"
            )
            api.set_stock(admin, pid, stock)
            ids.append(pid)
        tokens = []
        for i in range(users):
            name = f"bench-{run}-{i}"
            api.register(name, PASSWORD, email=f"{name}@example.com", language="en")
            tokens.append(api.login(name, PASSWORD))
    finally:
        api.close()
    card = StripeEmulator(ends.stripe)
    try:
        pm = card.create_payment_method("4242424242424242")
    finally:
        card.close()
    base = ends.gateway if via == "gateway" else ends.service("order")
    return Seed(ends, base, tokens, ids, pm)


class Outcomes:
    """Watches the order topics from their current end; `wait(order_id)` -> (status, time)."""

    def __init__(self, bootstrap: str) -> None:
        self.bootstrap = bootstrap
        self.seen: dict[str, tuple[str, float]] = {}
        self.waiters: dict[str, asyncio.Future[tuple[str, float]]] = {}
        self.consumer: AIOKafkaConsumer | None = None
        self.task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self.consumer = AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap, enable_auto_commit=False, fetch_max_wait_ms=5
        )
        await self.consumer.start()
        ends = EventLog(self.bootstrap).end_offsets(OUTCOME_TOPICS)
        parts = [TopicPartition(t, p) for t, found in ends.items() for p in sorted(found)]
        if len(parts) < len(OUTCOME_TOPICS):
            raise SystemExit(f"no partitions found for {', '.join(OUTCOME_TOPICS)}")
        self.consumer.assign(parts)
        await self.consumer.seek_to_end(*parts)
        for tp in parts:
            await self.consumer.position(tp)
        self.task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        assert self.consumer is not None
        async for message in self.consumer:
            now = time.perf_counter()
            try:
                data = json.loads(message.value or b"{}").get("data", {})
            except ValueError:
                continue
            order_id = str(data.get("order_id") or (message.key or b"").decode())
            status = OUTCOME_TOPICS[message.topic]
            if order_id in self.seen:
                continue
            self.seen[order_id] = (status, now)
            waiter = self.waiters.pop(order_id, None)
            if waiter is not None and not waiter.done():
                waiter.set_result((status, now))

    async def wait(self, order_id: str, timeout: float) -> tuple[str, float]:
        if order_id in self.seen:
            return self.seen[order_id]
        future = self.waiters.setdefault(order_id, asyncio.get_running_loop().create_future())
        return await asyncio.wait_for(future, timeout)

    async def stop(self) -> None:
        if self.task:
            self.task.cancel()
        if self.consumer:
            await self.consumer.stop()


@dataclass
class Tally:
    latencies_ms: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)

    def error(self, kind: str) -> None:
        self.errors[kind] = self.errors.get(kind, 0) + 1

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())


async def place_and_follow(
    session: aiohttp.ClientSession,
    seed_: Seed,
    outcomes: Outcomes,
    index: int,
    tally: Tally,
    *,
    timeout: float = 30.0,
    extra_headers: Callable[[], dict[str, str]] = dict,
) -> None:
    """POST one order, then wait for it to be observed PAID; records latency or the error.
    `extra_headers` makes headers of the order's own (tracing_cost: its traceparent)."""
    token = seed_.tokens[index % len(seed_.tokens)]
    product = seed_.products[index % len(seed_.products)]
    body = {
        "items": [{"productId": product, "quantity": 1}],
        "paymentMethodId": seed_.payment_method,
    }
    started = time.perf_counter()
    try:
        headers = {"Authorization": f"Bearer {token}", **extra_headers()}
        async with session.post(
            f"{seed_.base_url}/api/orders", json=body, headers=headers
        ) as response:
            payload: dict[str, Any] = await response.json(content_type=None)
            if response.status != 201:
                tally.error(f"http {response.status}")
                return
        status, seen = await outcomes.wait(str(payload["id"]), timeout)
    except TimeoutError:
        tally.error("timeout")
        return
    except aiohttp.ClientError as exc:
        tally.error(type(exc).__name__)
        return
    if status != "PAID":
        tally.error(status)
        return
    tally.latencies_ms.append((seen - started) * 1000)


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


async def place(
    seed_: Seed,
    outcomes: Outcomes,
    count: int,
    first: int,
    concurrency: int,
    *,
    tally: Tally | None = None,
    extra_headers: Callable[[], dict[str, str]] = dict,
) -> Tally:
    """`count` orders (indexes first..), `concurrency` at a time, each followed to PAID
    (added to `tally` when given)."""
    tally = tally if tally is not None else Tally()
    queue = iter(range(first, first + count))
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=64)) as session:

        async def worker() -> None:
            for index in queue:
                await place_and_follow(
                    session, seed_, outcomes, index, tally, extra_headers=extra_headers
                )

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return tally


async def settle(
    bootstrap: str,
    groups: dict[str, tuple[str, ...]],
    *,
    quiet_s: float = 1.0,
    limit_s: float = 120,
) -> float:
    """Wait until no consumer group has anything left to handle (committed offsets at the
    end of every topic it reads) for `quiet_s`; returns the seconds waited."""
    log = EventLog(bootstrap)
    started = time.perf_counter()
    quiet_since: float | None = None
    while time.perf_counter() - started < limit_s:
        behind = await asyncio.to_thread(log.lag, groups)
        now = time.perf_counter()
        if any(behind.values()):
            quiet_since = None
        elif quiet_since is None:
            quiet_since = now
        elif now - quiet_since >= quiet_s:
            break
        await asyncio.sleep(0.25)
    return time.perf_counter() - started


def latency_line(name: str, tally: Tally) -> str:
    """One figures line of a latency bench: n, p50, p95, max, errors."""
    values = tally.latencies_ms
    return (
        f"  {name:<9} n={len(values)} p50={percentile(values, 50):.1f} ms "
        f"p95={percentile(values, 95):.1f} ms max={max(values, default=0):.1f} ms "
        f"errors={tally.errors or 0}"
    )
