"""checkout_throughput: sustained orders/s that reach PAID with p95 < 200 ms and < 0.1 % errors.

Open-loop load (orders start on a fixed schedule whatever the latency, as real customers do)
at rising rates; each step runs for --seconds. A step holds when the orders it started all
reached PAID at >= 95 % of the offered rate, their p95 (POST -> PAID observed on Kafka) is
under 200 ms and errors are under 0.1 %. The figure is the highest rate that held.
Target (shared/PERFORMANCE.md): >= 100 orders/s on this 2-core machine.

    python bench/checkout_throughput.py --workspace WS [--rates 25,50,100,150] [--seconds 15]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from pathlib import Path

import aiohttp
from _saga import Outcomes, Seed, Tally, percentile, place_and_follow, seed

TARGET = 100.0
P95_LIMIT_MS = 200.0
ERROR_LIMIT = 0.001


async def step(
    session: aiohttp.ClientSession,
    found: Seed,
    outcomes: Outcomes,
    rate: float,
    seconds: float,
    first: int,
) -> tuple[Tally, float, int]:
    """Offer `rate` orders/s for `seconds`; returns the tally, wall time and orders started."""
    tally = Tally()
    total = int(rate * seconds)
    started = time.perf_counter()
    tasks = []
    for i in range(total):
        delay = started + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(
            asyncio.create_task(
                place_and_follow(session, found, outcomes, first + i, tally, timeout=20)
            )
        )
    await asyncio.gather(*tasks)
    return tally, time.perf_counter() - started, total


async def main_async(options: argparse.Namespace) -> int:
    rates = [float(r) for r in options.rates.split(",")]
    found = seed(options.workspace, via=options.via, users=20, products=20, stock=10_000_000)
    outcomes = Outcomes(found.ends.kafka)
    await outcomes.start()
    sustained = 0.0
    results = []
    index = 0
    connector = aiohttp.TCPConnector(limit=512)
    async with aiohttp.ClientSession(connector=connector) as session:
        await step(session, found, outcomes, 10, 2, index)  # warm-up: pools, JIT-less caches
        index += 20
        for rate in rates:
            tally, wall, total = await step(session, found, outcomes, rate, options.seconds, index)
            index += total
            paid = len(tally.latencies_ms)
            achieved = paid / wall
            p95 = percentile(tally.latencies_ms, 95)
            error_rate = tally.error_count / max(total, 1)
            held = achieved >= 0.95 * rate and p95 < P95_LIMIT_MS and error_rate < ERROR_LIMIT
            results.append(
                {
                    "offered": rate,
                    "paid_per_s": achieved,
                    "p50_ms": percentile(tally.latencies_ms, 50),
                    "p95_ms": p95,
                    "errors": tally.errors,
                    "held": held,
                }
            )
            print(
                f"  offered {rate:6.1f}/s  reached PAID {achieved:6.1f}/s  p50 "
                f"{percentile(tally.latencies_ms, 50):6.1f} ms  p95 {p95:6.1f} ms  "
                f"errors {tally.error_count}/{total}  {'held' if held else 'did not hold'}",
                flush=True,
            )
            if not held:
                break
            sustained = achieved
    await outcomes.stop()
    if options.json:
        print(json.dumps({"steps": results, "sustained": sustained}))
    best = next((r for r in reversed(results) if r["held"]), None)
    detail = (
        f"p95 {best['p95_ms']:.1f} ms at {best['offered']:.0f}/s offered"
        if best
        else "no rate held"
    )
    print(
        f"checkout_throughput: ratio={sustained:.1f} target>={TARGET:.0f} orders/s "
        f"({detail}; limits p95<{P95_LIMIT_MS:.0f} ms, errors<{ERROR_LIMIT:.1%}; via "
        f"{options.via})"
    )
    return 0 if sustained >= TARGET else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workspace", "-w", type=Path, required=True)
    parser.add_argument("--rates", default="10,15,20,25,50,75,100,125,150,200")
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--via", choices=("order", "gateway"), default="order")
    parser.add_argument("--json", action="store_true")
    return asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    raise SystemExit(main())
