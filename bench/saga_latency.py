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
import json
from pathlib import Path

import aiohttp
from _reference import run_reference
from _saga import Outcomes, Tally, latency_line, percentile, place_and_follow, seed

TARGET = 2.0


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


async def main_async(options: argparse.Namespace) -> int:
    from ecomctl.operations import target
    from ecomctl.scenarios.endpoints import for_workspace

    tgt = target(workspace=options.workspace, stack_file=None, create=False)
    bootstrap = for_workspace(tgt.stack, tgt.workspace).kafka
    reference = await run_reference(bootstrap, options.orders, options.concurrency, options.warmup)
    saga = await run_saga(options)
    print(latency_line("reference", reference))
    print(latency_line("saga", saga))
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
