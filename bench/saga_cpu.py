"""saga_cpu: CPU time per order, by process, while orders run the saga to PAID.

The saga benchmarks are bound by CPU on a small machine (every order crosses eight
processes), so this is the figure to lower first. The CPU time of every component of the
running stack (and its child processes) is read before and after N orders at C
concurrent; the background each process burns when idle (pollers, heartbeats, scrapes) is
measured over a quiet window first and subtracted.

CPU time per unit of work swings by a third between runs on a shared VM, so the same run
also measures a reference: saga_latency's bare chain (one HTTP call, four Kafka hops
through aiokafka relays in this process) for as many messages, counting this process and
Kafka. The ratio of the two is the figure to compare across runs and machines.

    python bench/saga_cpu.py --workspace WS [--orders 200] [--concurrency 10] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
from pathlib import Path

import psutil
from _reference import run_reference
from _saga import Outcomes, place, seed

IDLE_WINDOW_S = 5.0
SETTLED_CPU_SHARE = 0.45  # of one core, summed over the stack (its background is ~0.3)
SETTLE_LIMIT_S = 180.0


def component_pids(workspace: Path) -> dict[str, int]:
    state = json.loads((workspace / ".ecomctl" / "state.json").read_text())
    return {
        name: int(c["pid"])
        for name, c in state["components"].items()
        if c.get("pid") and not c.get("stopped")
    }


def cpu_seconds(pids: dict[str, int]) -> dict[str, float]:
    """user + system seconds of each component's process tree (0 for one that is gone)."""
    totals: dict[str, float] = {}
    for name, pid in pids.items():
        try:
            root = psutil.Process(pid)
            tree = [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            totals[name] = 0.0
            continue
        seconds = 0.0
        for proc in tree:
            try:
                times = proc.cpu_times()
            except psutil.NoSuchProcess:
                continue
            seconds += times.user + times.system
        totals[name] = seconds
    return totals


async def settle(pids: dict[str, int]) -> float:
    """Wait until the stack is back to its background (a consumer may still be working
    through a backlog long after the last order was PAID); returns the seconds waited."""
    started = time.perf_counter()
    last = cpu_seconds(pids)
    while time.perf_counter() - started < SETTLE_LIMIT_S:
        await asyncio.sleep(1.0)
        now = cpu_seconds(pids)
        if sum(delta(now, last).values()) < SETTLED_CPU_SHARE:
            break
        last = now
    return time.perf_counter() - started


def steal_share() -> tuple[int, int]:
    """(steal, total) jiffies of the machine so far: what the hypervisor took."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (fields[7] if len(fields) > 7 else 0), sum(fields)


def delta(after: dict[str, float], before: dict[str, float]) -> dict[str, float]:
    return {name: max(0.0, after[name] - before.get(name, 0.0)) for name in after}


async def measure(options: argparse.Namespace) -> dict[str, object]:
    pids = component_pids(options.workspace)
    found = seed(options.workspace, via=options.via, users=10, products=10, stock=1_000_000)
    outcomes = Outcomes(found.ends.kafka)
    await outcomes.start()
    try:
        await place(found, outcomes, options.warmup, 0, options.concurrency)
        await settle(pids)  # the warm-up (and any earlier run) fully handled
        idle_start = cpu_seconds(pids)
        await asyncio.sleep(IDLE_WINDOW_S)
        idle_rate = {k: v / IDLE_WINDOW_S for k, v in delta(cpu_seconds(pids), idle_start).items()}
        before, started = cpu_seconds(pids), time.perf_counter()
        steal_before = steal_share()
        tally = await place(found, outcomes, options.orders, options.warmup, options.concurrency)
        paid_after = time.perf_counter() - started
        drained_after = paid_after + await settle(pids)  # every consumer done with them
        after, elapsed = cpu_seconds(pids), time.perf_counter() - started
        steal_after = steal_share()
    finally:
        await outcomes.stop()
    reference_ms = await reference_cpu_ms(
        options, pids["kafka"], idle_rate.get("kafka", 0.0), found.ends.kafka
    )
    used = delta(after, before)
    per_order = {
        name: max(0.0, used[name] - idle_rate.get(name, 0.0) * elapsed) * 1000 / options.orders
        for name in used
    }
    total = sum(per_order.values())
    return {
        "orders": options.orders,
        "paid": len(tally.latencies_ms),
        "errors": tally.errors,
        "paid_in_s": round(paid_after, 2),
        "drained_in_s": round(drained_after, 2),
        "cpu_ms_per_order": {
            k: round(v, 2) for k, v in sorted(per_order.items(), key=lambda kv: -kv[1])
        },
        "total_cpu_ms_per_order": round(total, 2),
        "reference_cpu_ms_per_chain": round(reference_ms, 2),
        "ratio_to_reference": round(total / reference_ms, 1) if reference_ms else None,
        "idle_background_cores": round(sum(idle_rate.values()), 3),
        "cpus": os.cpu_count(),
        # CPU time per unit of work inflates when the hypervisor is busy elsewhere.
        "steal_percent": round(
            100 * (steal_after[0] - steal_before[0]) / max(1, steal_after[1] - steal_before[1]), 1
        ),
        "ceiling_orders_per_s": round((os.cpu_count() or 1) * 1000 / total, 1) if total else None,
    }


async def reference_cpu_ms(
    options: argparse.Namespace, kafka_pid: int, kafka_idle_rate: float, bootstrap: str
) -> float:
    """CPU per chain of the bare reference (this process + Kafka, Kafka's idle subtracted)."""
    pids = {"bench": os.getpid(), "kafka": kafka_pid}
    before, started = cpu_seconds(pids), time.perf_counter()
    await run_reference(bootstrap, options.orders, options.concurrency, 0)
    used = delta(cpu_seconds(pids), before)
    kafka = max(0.0, used["kafka"] - kafka_idle_rate * (time.perf_counter() - started))
    return (used["bench"] + kafka) * 1000 / options.orders


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workspace", type=Path, default=Path.cwd())
    parser.add_argument("--orders", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--via", choices=("order", "gateway"), default="order")
    parser.add_argument("--json", action="store_true")
    options = parser.parse_args()
    result = asyncio.run(measure(options))
    if options.json:
        print(json.dumps(result, indent=2))
        return
    print(
        f"{result['paid']}/{result['orders']} orders PAID in {result['paid_in_s']} s, all "
        f"consumers done in {result['drained_in_s']} s "
        f"(errors: {result['errors'] or 'none'})"
    )
    print(
        f"idle background: {result['idle_background_cores']} of a core (subtracted); "
        f"steal during the run: {result['steal_percent']} % of the machine"
    )
    for name, ms in result["cpu_ms_per_order"].items():  # type: ignore[attr-defined]
        if ms >= 0.05:
            print(f"  {name:<16} {ms:7.2f} ms")
    print(
        f"  {'total':<16} {result['total_cpu_ms_per_order']:7.2f} ms CPU per order -> at most "
        f"{result['ceiling_orders_per_s']} orders/s on {result['cpus']} CPUs"
    )
    print(
        f"reference chain (1 HTTP call + 4 Kafka hops): {result['reference_cpu_ms_per_chain']} ms"
        f" CPU per chain; saga / reference = {result['ratio_to_reference']}"
    )


if __name__ == "__main__":
    main()
