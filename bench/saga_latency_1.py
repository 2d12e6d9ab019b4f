"""saga_latency_1: POST /api/orders -> order observed PAID, p50/p95 over 100 orders placed
one at a time (no queueing), against a bare chain doing the same work in the same run.

The saga's critical path between the POST and "PAID" on Kafka: the gateway and order's
POST (one transaction with the outbox), then four Kafka hops, each behind a relay's
transaction and a handler's transaction (inventory on MariaDB, payment on PostgreSQL with
the Stripe emulator's PaymentIntent inside its transaction, order on PostgreSQL): 8
transactions, 4 hops, 1 emulator call. The reference (bench/_reference.py, `SagaWork`)
does exactly that with asyncio, aiokafka, asyncpg, asyncmy and aiohttp, no framework, on
the same broker, database servers and emulator, and one bare HTTP call for the POST.
Target (shared/PERFORMANCE.md): saga p50 <= 1.5 x reference p50.

    python bench/saga_latency_1.py --workspace WS [--orders 100] [--warmup 10] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path

from _counters import loadavg
from _reference import SagaWork, run_reference
from _saga import Outcomes, Seed, Tally, latency_line, percentile, place, seed

TARGET = 1.5


async def run_saga(found: Seed, orders: int, warmup: int) -> Tally:
    outcomes = Outcomes(found.ends.kafka)
    await outcomes.start()
    try:
        await place(found, outcomes, warmup, 0, 1)
        return await place(found, outcomes, orders, warmup, 1)
    finally:
        await outcomes.stop()


async def run_bare(workspace: Path, found: Seed, orders: int, warmup: int) -> Tally:
    from ecomctl.operations import target
    from ecomctl.scenarios.client import STRIPE_KEY

    tgt = target(workspace=workspace, stack_file=None, create=False)
    infra, offset = tgt.stack.infra, found.ends.port_offset
    pg, my = infra["postgres"], infra["mysql"]
    work = SagaWork(
        pg_dsn=f"postgresql://{pg.user}:{pg.password}@127.0.0.1:{pg.port + offset}/postgres",
        my=("127.0.0.1", my.port + offset, my.user, my.password),
        stripe=found.ends.stripe,
        stripe_key=STRIPE_KEY,
        payment_method=found.payment_method,
    )
    await work.start()
    try:
        return await run_reference(
            found.ends.kafka, orders, 1, warmup, post_work=work.place, hop_work=work.hops
        )
    finally:
        await work.stop()


async def main_async(options: argparse.Namespace) -> int:
    found = seed(options.workspace, via="gateway", users=10, products=10, stock=1_000_000)
    load_before = loadavg()
    reference = await run_bare(options.workspace, found, options.orders, options.warmup)
    saga = await run_saga(found, options.orders, options.warmup)
    load = loadavg()
    print(latency_line("reference", reference))
    print(latency_line("saga", saga))
    ref_p50, saga_p50 = percentile(reference.latencies_ms, 50), percentile(saga.latencies_ms, 50)
    ratio = saga_p50 / ref_p50
    if options.json:
        print(
            json.dumps(
                {
                    "saga_ms": saga.latencies_ms,
                    "reference_ms": reference.latencies_ms,
                    "errors": saga.errors,
                    "ratio": ratio,
                    "load": [load_before, load],
                }
            )
        )
    print(
        f"saga_latency_1: ratio={ratio:.2f} target<={TARGET} (saga p50 {saga_p50:.1f} ms p95 "
        f"{percentile(saga.latencies_ms, 95):.1f} ms, reference p50 {ref_p50:.1f} ms p95 "
        f"{percentile(reference.latencies_ms, 95):.1f} ms, {len(saga.latencies_ms)} orders "
        f"one at a time via gateway, {saga.error_count} errors, load {load})"
    )
    return 0 if ratio <= TARGET and not saga.error_count and not reference.error_count else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workspace", "-w", type=Path, required=True)
    parser.add_argument("--orders", type=int, default=100)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--json", action="store_true")
    return asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    raise SystemExit(main())
