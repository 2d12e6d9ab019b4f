"""switch_errors: failed requests while a new version of a service takes all its traffic.

`ecomctl loadtest` (checkout profile: logins, orders placed, read back and cancelled, all
through the gateway) runs for the whole release; meanwhile `ecomctl deploy SERVICE` starts
the other color and `ecomctl switch SERVICE` moves the traffic 10 -> 25 -> 50 -> 100 %,
promotes it and drains the old color. Target (issue 13): no request fails.

Prints the load test's figures, the switch's decisions, and last:

    switch_errors: ratio=<failed/requests> target<=0 (...)   # read by `ecomctl bench`
    switch_errors: failed=<n> target=0

    python bench/switch_errors.py --workspace WS [--service order] [--pause 8s] [--users 10]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from _counters import loadavg

STEPS = "10,25,50,100"
WARMUP_S = 10.0  # load before the release starts: users seeded and logged in
TAIL_S = 10.0  # load after it ends: the new color alone
HELD_WINDOWS = 8  # windows the small steps may be held for (inconclusive: too few requests)


def ecomctl(workspace: Path, *args: str) -> list[str]:
    command = "from ecomctl.cli.app import main; main()"
    return [sys.executable, "-c", command, "--workspace", str(workspace), *args]


def seconds(text: str) -> float:
    return float(text[:-1]) * (60 if text.endswith("m") else 1)


def release(workspace: Path, service: str, pause: str, delay: str) -> tuple[str, list[str]]:
    """Deploy then switch; the outcome ('promoted' or why not) and the decisions seen."""
    env = {**os.environ, "NO_COLOR": "1"}
    deployed = subprocess.run(
        ecomctl(workspace, "deploy", service), capture_output=True, text=True, env=env
    )
    if deployed.returncode != 0:
        return f"deploy failed: {deployed.stderr.strip()}", []
    switched = subprocess.run(
        ecomctl(workspace, "switch", service, "--steps", STEPS, "--pause", pause,
                "--scale-down-delay", delay, "--json"),
        capture_output=True, text=True, env=env,
    )  # fmt: skip
    events = [json.loads(line) for line in switched.stdout.splitlines() if line.startswith("{")]
    decisions = [
        f"{e['weight']}%: {e['verdict']} ({e['summary']})"
        for e in events
        if e.get("event") == "analysis"
    ]
    if switched.returncode != 0:
        return f"switch exited {switched.returncode}: {switched.stderr.strip()[-400:]}", decisions
    return "promoted", decisions


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workspace", type=Path, required=True)
    parser.add_argument("--service", default="order")
    parser.add_argument("--pause", default="8s")
    parser.add_argument("--scale-down-delay", default="5s")
    parser.add_argument("--users", type=int, default=10)
    args = parser.parse_args()

    steps = len(STEPS.split(","))
    # Generous on purpose: the load must outlast the release, whose first step is held
    # until its 10 % has enough requests to compare (several windows at this load).
    windows = steps + HELD_WINDOWS
    duration = WARMUP_S + 15 + windows * (seconds(args.pause) + 3)
    duration += seconds(args.scale_down_delay) + TAIL_S
    report_file = args.workspace / ".ecomctl" / "switch_errors.json"
    print(f"load: checkout, {args.users} users, {duration:.0f} s; release of {args.service} "
          f"after {WARMUP_S:.0f} s; load {loadavg()}")  # fmt: skip
    with report_file.open("w") as out:
        load = subprocess.Popen(
            ecomctl(args.workspace, "loadtest", "--profile", "checkout", "--users",
                    str(args.users), "--duration", f"{duration:.0f}s", "--json"),
            stdout=out, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        time.sleep(WARMUP_S)
        started = time.monotonic()
        outcome, decisions = release(
            args.workspace, args.service, args.pause, args.scale_down_delay
        )
        took = time.monotonic() - started
        load.wait()
    for line in decisions:
        print(f"  step {line}")
    report: dict[str, Any] = json.loads(report_file.read_text())
    total, orders = report["total"], report["orders"]
    failed, requests = int(total["failures"]), int(total["requests"])
    for failure in report.get("failures", [])[:5]:
        print(f"  failed: {failure}")
    detail = (
        f"{outcome} in {took:.0f} s; {requests} requests, p95 {total['p95_ms']:.0f} ms; "
        f"orders {orders['placed']} placed, {orders['completed']} complete; load {loadavg()}"
    )
    ratio = failed / requests if requests else 1.0
    print(f"switch_errors: ratio={ratio:.4f} target<=0 ({detail})")
    print(f"switch_errors: failed={failed} target=0")
    return 0 if failed == 0 and outcome == "promoted" and requests else 1


if __name__ == "__main__":
    raise SystemExit(main())
