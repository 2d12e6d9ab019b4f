"""saga_latency: POST /api/orders -> order observed PAID, p50/p95 over >= 200 orders at 10
concurrent, against a bare chain with the same Kafka hops on the same broker in the same run.

The saga has four Kafka hops between the POST and "PAID" being visible (OrderCreated ->
inventory, InventoryReserved -> payment, PaymentCompleted -> order, OrderPaid -> observer).
The reference is one bare HTTP call plus four produce -> consume hops with the kit's own
producer/consumer settings (three relays forward hop i to hop i+1; the bench observes hop 4).
Target (shared/PERFORMANCE.md): saga p95 <= 2.0 x reference p95.

Orders go to the order service directly by default (`--via order`): the gateway limits a
single client IP to 50 requests/s, and its own cost has the gateway_overhead benchmark.

    python bench/saga_latency.py --workspace WS [--orders 200] [--concurrency 10] [--via gateway]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import time
import uuid
from pathlib import Path

import aiohttp
from _saga import Outcomes, Tally, percentile, place_and_follow, seed
from aiohttp import web
from aiokafka import AIOKafkaConsumer
from ecomkit.kafka import create_consumer, create_producer, ensure_topics

TARGET = 2.0
HOPS = 4


async def run_saga(options: argparse.Namespace) -> Tally:
    found = seed(options.workspace, via=options.via, users=10, products=10, stock=1_000_000)
    outcomes = Outcomes(found.ends.kafka)
    await outcomes.start()
    tally = Tally()
    queue = iter(range(options.orders + options.warmup))
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=64)) as session:

        async def worker() -> None:
            for index in queue:
                sink = tally if index >= options.warmup else Tally()
                await place_and_follow(session, found, outcomes, index, sink)

        await asyncio.gather(*(worker() for _ in range(options.concurrency)))
    await outcomes.stop()
    return tally


async def _relay(source: str, dest: str, bootstrap: str, ready: asyncio.Event) -> None:
    consumer = create_consumer(
        bootstrap, f"bench-{uuid.uuid4()}", [source], auto_offset_reset="latest"
    )
    producer = create_producer(bootstrap)
    await consumer.start()
    await producer.start()
    try:
        while not consumer.assignment():
            await asyncio.sleep(0.05)
        ready.set()
        async for message in consumer:
            await producer.send(dest, message.value, key=message.key)  # pipelined: no wait
    finally:
        await consumer.stop()
        await producer.stop()


async def run_reference(bootstrap: str, orders: int, concurrency: int, warmup: int) -> Tally:
    run = uuid.uuid4().hex[:6]
    topics = [f"bench-ref-{run}-{i}" for i in range(1, HOPS + 1)]
    await ensure_topics(bootstrap, topics, partitions=6)
    readies = [asyncio.Event() for _ in range(HOPS)]
    tasks = [
        asyncio.create_task(_relay(topics[i], topics[i + 1], bootstrap, readies[i]))
        for i in range(HOPS - 1)
    ]
    waiters: dict[bytes, asyncio.Future[float]] = {}
    observer = create_consumer(
        bootstrap, f"bench-{uuid.uuid4()}", [topics[-1]], auto_offset_reset="latest"
    )
    tasks.append(asyncio.create_task(_observe(observer, waiters, readies[-1])))
    for ready in readies:
        await asyncio.wait_for(ready.wait(), 60)
    await _until_the_chain_carries(bootstrap, topics[0], waiters)
    app = web.Application()
    app.router.add_post("/", lambda _request: web.json_response({"id": 1}, status=201))
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    producer = create_producer(bootstrap)
    await producer.start()
    tally = Tally()
    queue = iter(range(orders + warmup))
    async with aiohttp.ClientSession() as session:

        async def worker() -> None:
            for index in queue:
                key = uuid.uuid4().hex.encode()
                future = asyncio.get_running_loop().create_future()
                waiters[key] = future
                started = time.perf_counter()
                async with session.post(f"http://127.0.0.1:{port}/", json={}) as response:
                    await response.read()
                await producer.send_and_wait(topics[0], b"{}", key=key)
                seen = await asyncio.wait_for(future, 30)
                if index >= warmup:
                    tally.latencies_ms.append((seen - started) * 1000)

        try:
            await asyncio.gather(*(worker() for _ in range(concurrency)))
        finally:
            await producer.stop()
            await runner.cleanup()
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
    await _delete_topics(bootstrap, topics)
    return tally


async def _until_the_chain_carries(
    bootstrap: str, first: str, waiters: dict[bytes, asyncio.Future[float]]
) -> None:
    """Consumers that start at "latest" may miss what is sent before their position is set:
    probe until a message makes it through every hop."""
    producer = create_producer(bootstrap)
    await producer.start()
    try:
        for _ in range(120):
            key = uuid.uuid4().hex.encode()
            waiters[key] = asyncio.get_running_loop().create_future()
            await producer.send_and_wait(first, b"{}", key=key)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(waiters[key], 1.0)
                return
        raise SystemExit("the reference chain never carried a message")
    finally:
        await producer.stop()


async def _observe(
    consumer: AIOKafkaConsumer, waiters: dict[bytes, asyncio.Future[float]], ready: asyncio.Event
) -> None:
    await consumer.start()
    try:
        while not consumer.assignment():
            await asyncio.sleep(0.05)
        ready.set()
        async for message in consumer:
            future = waiters.pop(message.key or b"", None)
            if future is not None and not future.done():
                future.set_result(time.perf_counter())
    finally:
        await consumer.stop()


async def _delete_topics(bootstrap: str, topics: list[str]) -> None:
    from aiokafka.admin import AIOKafkaAdminClient

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    with contextlib.suppress(Exception):
        await admin.delete_topics(topics)
    await admin.close()


def _line(name: str, tally: Tally) -> str:
    values = tally.latencies_ms
    return (
        f"  {name:<9} n={len(values)} p50={percentile(values, 50):.1f} ms "
        f"p95={percentile(values, 95):.1f} ms max={max(values, default=0):.1f} ms "
        f"errors={tally.errors or 0}"
    )


async def main_async(options: argparse.Namespace) -> int:
    from ecomctl.operations import target
    from ecomctl.scenarios.endpoints import for_workspace

    tgt = target(workspace=options.workspace, stack_file=None, create=False)
    bootstrap = for_workspace(tgt.stack, tgt.workspace).kafka
    reference = await run_reference(bootstrap, options.orders, options.concurrency, options.warmup)
    saga = await run_saga(options)
    print(_line("reference", reference))
    print(_line("saga", saga))
    ref_p95 = percentile(reference.latencies_ms, 95)
    saga_p95 = percentile(saga.latencies_ms, 95)
    ratio = saga_p95 / ref_p95
    if options.json:
        print(
            json.dumps(
                {
                    "saga_ms": saga.latencies_ms,
                    "reference_ms": reference.latencies_ms,
                    "errors": saga.errors,
                    "ratio": ratio,
                }
            )
        )
    print(
        f"saga_latency: ratio={ratio:.2f} target<={TARGET} (saga p50 "
        f"{percentile(saga.latencies_ms, 50):.1f} ms p95 {saga_p95:.1f} ms, reference p50 "
        f"{percentile(reference.latencies_ms, 50):.1f} ms p95 {ref_p95:.1f} ms, "
        f"{len(saga.latencies_ms)} orders at {options.concurrency} concurrent via "
        f"{options.via}, {saga.error_count} errors)"
    )
    return 0 if ratio <= TARGET and not saga.error_count else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workspace", "-w", type=Path, required=True)
    parser.add_argument("--orders", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--via", choices=("order", "gateway"), default="order")
    parser.add_argument("--json", action="store_true")
    return asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    raise SystemExit(main())
