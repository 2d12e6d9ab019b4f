"""zipkin_down: POST /api/orders -> PAID with Zipkin running, then frozen (SIGSTOP: its
port accepts and never answers), then killed (connection refused), in one run.

Services export spans from a background thread in batches (ecomkit.tracing: a bounded
queue, a 2 s export timeout), so a Zipkin that hangs or is gone must not slow an order:
the spans are dropped instead. Orders one at a time (no queueing), p50 per phase.
Target (issue 14): the slower Zipkin-down phase's p50 <= 1.1 x the running phase's.
Zipkin is restarted (`ecomctl up --only zipkin`) at the end.

    python bench/zipkin_down.py --workspace WS [--orders 60] [--warmup 10] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from pathlib import Path

from _counters import loadavg
from _saga import Outcomes, Tally, latency_line, percentile, place, seed

from ecomctl.operations import target
from ecomctl.scenarios.live import RuntimeServices

TARGET = 1.1
EXPORT_ROUNDS_S = 6.0  # a few batch rounds hitting the stopped Zipkin before measuring


async def main_async(options: argparse.Namespace) -> int:
    tgt = target(workspace=options.workspace, stack_file=None, create=False)
    found = seed(options.workspace, via="gateway", users=10, products=10, stock=1_000_000)
    services = RuntimeServices(tgt, found.ends.port_offset)
    outcomes = Outcomes(found.ends.kafka)
    await outcomes.start()
    load_before = loadavg()
    tallies: dict[str, Tally] = {}
    try:
        await place(found, outcomes, options.warmup, 0, 1)
        n = options.orders
        tallies["running"] = await place(found, outcomes, n, options.warmup, 1)
        services.pause("zipkin")
        try:
            await asyncio.sleep(EXPORT_ROUNDS_S)
            tallies["frozen"] = await place(found, outcomes, n, options.warmup + n, 1)
        finally:
            services.resume("zipkin")
        services.kill("zipkin")
        await asyncio.sleep(EXPORT_ROUNDS_S)
        tallies["killed"] = await place(found, outcomes, n, options.warmup + 2 * n, 1)
    finally:
        await outcomes.stop()
        started = time.monotonic()
        services.restart("zipkin")
        print(f"  zipkin restarted in {time.monotonic() - started:.1f} s")
    load = loadavg()
    for name, tally in tallies.items():
        print(latency_line(name, tally))
    p50 = {name: percentile(t.latencies_ms, 50) for name, t in tallies.items()}
    worst = max(("frozen", "killed"), key=lambda name: p50[name])
    ratio = p50[worst] / p50["running"]
    errors = sum(t.error_count for t in tallies.values())
    if options.json:
        print(json.dumps({"p50_ms": p50, "errors": errors, "ratio": ratio,
                          "load": [load_before, load]}))  # fmt: skip
    print(
        f"zipkin_down: ratio={ratio:.2f} target<={TARGET} (p50 running {p50['running']:.1f} ms, "
        f"frozen {p50['frozen']:.1f} ms, killed {p50['killed']:.1f} ms; worst {worst}; "
        f"{options.orders} orders per phase one at a time via gateway, {errors} errors, "
        f"load {load})"
    )
    return 0 if ratio <= TARGET and not errors else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workspace", "-w", type=Path, required=True)
    parser.add_argument("--orders", type=int, default=60)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--json", action="store_true")
    return asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    raise SystemExit(main())
