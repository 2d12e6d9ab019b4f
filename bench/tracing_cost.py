"""tracing_cost: what tracing every order costs: saga latency (POST /api/orders -> PAID, one
order at a time, p50) and gateway throughput (GET /api/orders/{id} through the gateway, 8
at a time, requests/s), with tracing on (the stack's sample ratio, 1.0 in development)
and off (ratio 0: no span recorded or exported), in one run.

The saga services are stopped and started again with the gateway's rate limits far above
the load, then with the other `tracing.sample_ratio` (ecomctl.yaml, read by `ecomctl up`
into ECOM_TRACE_SAMPLE_RATIO), measured, and the stack file put back as it was.
Target (issue 14): traced <= 1.1 x untraced, for the worse of the two ratios.

    python bench/tracing_cost.py --workspace WS [--orders 60] [--seconds 10] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import time
from pathlib import Path

import aiohttp
import psutil
import yaml
from _counters import loadavg
from _saga import Outcomes, Seed, Tally, latency_line, percentile, place, seed

from ecomctl import operations
from ecomctl.config import WORKSPACE_MARKER
from ecomctl.operations import Target, target

TARGET = 1.1
READERS = 8
STOP_TIMEOUT_S = 20
SAGA = ("gateway", "user-auth", "product-catalog", "order", "payment", "inventory",
        "notification")  # fmt: skip


# The readers run far above the gateway's per-user and per-IP allowances (all from one
# address, with one token): limits far above the load, so every read still pays for the
# Redis check and none is answered 429.
UNLIMITED = {
    name: "10000000"
    for name in ("ECOM_GATEWAY_RATE_PER_IP_PER_S", "ECOM_GATEWAY_BURST_PER_IP",
                 "ECOM_GATEWAY_RATE_PER_USER_PER_S", "ECOM_GATEWAY_BURST_PER_USER")
}  # fmt: skip


def edit_stack(path: Path, ratio: float, gateway_env: dict[str, str]) -> None:
    """Writes the sample ratio and the gateway's extra env into the stack file."""
    stack = yaml.safe_load(path.read_text())
    stack["tracing"] = {**stack.get("tracing", {}), "sample_ratio": ratio}
    gateway = stack["services"]["gateway"]
    gateway["env"] = {**gateway.get("env", {}), **gateway_env}
    path.write_text(yaml.safe_dump(stack, sort_keys=False))


def sample_ratio(path: Path) -> float:
    stack = yaml.safe_load(path.read_text())
    return float(stack.get("tracing", {}).get("sample_ratio", 1.0))


def workspace_stack_file(tgt: Target) -> tuple[Path, str | None]:
    """The workspace's own stack file and its text to put back (None: there was none).

    A workspace brought up without one runs the packaged default stack: the bench writes
    that stack into the workspace (where `up` looks first) rather than edit the package's."""
    own = tgt.workspace.root / WORKSPACE_MARKER
    if own.is_file():
        return own, own.read_text()
    own.write_text(tgt.stack_file.read_text())
    return own, None


def restart_services(workspace: Path, offset: int) -> float:
    """SIGTERM the saga services, then `ecomctl up` starts them with the stack file's env."""
    tgt = target(workspace=workspace, stack_file=None, create=False)
    _runtime, statuses = operations.status(tgt=tgt)
    pids = [s.pid for s in statuses if s.name in SAGA and s.pid]
    started = time.monotonic()
    for pid in pids:
        os.kill(pid, signal.SIGTERM)
    _gone, alive = psutil.wait_procs(
        [psutil.Process(p) for p in pids if psutil.pid_exists(p)], timeout=STOP_TIMEOUT_S
    )
    for process in alive:  # a loaded machine can take longer than that to shut down
        process.kill()
    psutil.wait_procs(alive, timeout=STOP_TIMEOUT_S)
    operations.up(tgt=tgt, only=list(SAGA), port_offset=offset, allow_install=False,
                  on_event=lambda _event: None)  # fmt: skip
    return time.monotonic() - started


async def read_orders(found: Seed, order_ids: list[int], seconds: float) -> float:
    """Requests/s of GET /api/orders/{id} through the gateway, READERS at a time."""
    done, failed = 0, 0
    until = time.perf_counter() + seconds
    token = found.tokens[0]
    headers = {"Authorization": f"Bearer {token}"}
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=READERS)) as session:

        async def reader(k: int) -> None:
            nonlocal done, failed
            while time.perf_counter() < until:
                order_id = order_ids[(done + k) % len(order_ids)]
                async with session.get(f"{found.base_url}/api/orders/{order_id}",
                                       headers=headers) as response:  # fmt: skip
                    await response.read()
                    done, failed = done + 1, failed + (response.status != 200)

        began = time.perf_counter()
        await asyncio.gather(*(reader(k) for k in range(READERS)))
    if failed:
        raise SystemExit(f"{failed} of {done} order reads failed")
    return done / (time.perf_counter() - began)


async def own_orders(found: Seed, count: int) -> list[int]:
    """Orders of the first user (the readers read them back with its token)."""
    ids = []
    async with aiohttp.ClientSession() as session:
        for index in range(count):
            product = found.products[index % len(found.products)]
            body = {
                "items": [{"productId": product, "quantity": 1}],
                "paymentMethodId": found.payment_method,
            }
            headers = {"Authorization": f"Bearer {found.tokens[0]}"}
            url = f"{found.base_url}/api/orders"
            async with session.post(url, json=body, headers=headers) as response:
                ids.append(int((await response.json(content_type=None))["id"]))
    return ids


async def measure(found: Seed, orders: int, first: int, seconds: float, reads: list[int]
                  ) -> tuple[Tally, float]:  # fmt: skip
    outcomes = Outcomes(found.ends.kafka)
    await outcomes.start()
    try:
        await place(found, outcomes, 10, first, 1)  # warm-up after the restart
        tally = await place(found, outcomes, orders, first + 10, 1)
    finally:
        await outcomes.stop()
    return tally, await read_orders(found, reads, seconds)


async def main_async(options: argparse.Namespace) -> int:
    tgt = target(workspace=options.workspace, stack_file=None, create=False)
    found = seed(options.workspace, via="gateway", users=10, products=10, stock=1_000_000)
    offset = found.ends.port_offset
    reads = await own_orders(found, 20)
    stack_file, original = workspace_stack_file(tgt)
    ratio_before = sample_ratio(stack_file)
    took = 0.0
    try:
        edit_stack(stack_file, ratio_before, UNLIMITED)
        took += restart_services(options.workspace, offset)
        load_before = loadavg()
        on = await measure(found, options.orders, 0, options.seconds, reads)
        edit_stack(stack_file, 0.0, UNLIMITED)
        took += restart_services(options.workspace, offset)
        off = await measure(found, options.orders, 100, options.seconds, reads)
    finally:
        if original is None:
            stack_file.unlink()
        else:
            stack_file.write_text(original)
        took += restart_services(options.workspace, offset)
    load = loadavg()
    print(latency_line("traced", on[0]))
    print(latency_line("untraced", off[0]))
    print(f"  gateway reads/s traced {on[1]:.0f} untraced {off[1]:.0f} ({READERS} at a time)")
    print(f"  services restarted three times in {took:.0f} s")
    p50_on, p50_off = percentile(on[0].latencies_ms, 50), percentile(off[0].latencies_ms, 50)
    latency_ratio, throughput_ratio = p50_on / p50_off, off[1] / on[1]
    ratio = max(latency_ratio, throughput_ratio)
    errors = on[0].error_count + off[0].error_count
    if options.json:
        print(json.dumps({"p50_ms": {"traced": p50_on, "untraced": p50_off},
                          "reads_per_s": {"traced": on[1], "untraced": off[1]},
                          "errors": errors, "load": [load_before, load]}))  # fmt: skip
    print(
        f"tracing_cost: ratio={ratio:.2f} target<={TARGET} (saga p50 traced {p50_on:.1f} ms vs "
        f"untraced {p50_off:.1f} ms = {latency_ratio:.2f}; gateway reads/s untraced "
        f"{off[1]:.0f} vs traced {on[1]:.0f} = {throughput_ratio:.2f}; sample ratio "
        f"{ratio_before:g} vs 0; {options.orders} orders per phase; {errors} errors; load {load})"
    )
    return 0 if ratio <= TARGET and not errors else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workspace", "-w", type=Path, required=True)
    parser.add_argument("--orders", type=int, default=60)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--json", action="store_true")
    return asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    raise SystemExit(main())
