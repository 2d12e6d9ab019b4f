"""Locust's own command line, for what the library mode does not cover: its web UI (`--web`)
and master/worker processes (`--workers N`). Every process binds loopback only; the run is
bounded by the shape (from the environment) plus --run-time, and the final stats come back
through `--json-file`."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

from ecomctl.loadtest.options import LoadTestOptions
from ecomctl.loadtest.stats import EndpointStats, RunStats

LOOPBACK = "127.0.0.1"
AUTOQUIT_S = 10  # after the run ends, the web UI stays this long before Locust exits


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        return int(probe.getsockname()[1])


def master_command(
    options: LoadTestOptions,
    *,
    host: str,
    locustfile: Path,
    json_prefix: Path,
    web_port: int,
    master_port: int,
) -> list[str]:
    run_time = f"{int(options.duration_s + 30)}s"
    command = [
        sys.executable, "-m", "locust", "-f", str(locustfile), "--host", host,
        "--users", str(options.users), "--spawn-rate", str(options.spawn_rate),
        "--run-time", run_time, "--json-file", str(json_prefix), "--skip-log-setup",
    ]  # fmt: skip
    if options.web:
        command += ["--autostart", "--autoquit", str(AUTOQUIT_S)]
        command += ["--web-host", LOOPBACK, "--web-port", str(web_port)]
    else:
        command += ["--headless", "--only-summary"]
    if options.workers:
        command += ["--master", "--master-bind-host", LOOPBACK]
        command += ["--master-bind-port", str(master_port)]
        command += ["--expect-workers", str(options.workers)]
    if options.html:
        command += ["--html", str(options.html)]
    if options.csv_prefix:
        command += ["--csv", options.csv_prefix]
    return [*command, *options.user_classes]


def worker_command(locustfile: Path, master_port: int) -> list[str]:
    return [
        sys.executable, "-m", "locust", "-f", str(locustfile), "--worker",
        "--master-host", LOOPBACK, "--master-port", str(master_port), "--skip-log-setup",
    ]  # fmt: skip


def run_external(
    options: LoadTestOptions, *, host: str, locustfile: Path, run_dir: Path, env: dict[str, str]
) -> tuple[RunStats, str]:
    """Runs master (and workers) to the end; returns the stats and the web UI's address."""
    json_prefix = run_dir / "locust-stats"
    web_port, master_port = free_port(), free_port()
    environ = {**os.environ, **env}
    master = subprocess.Popen(
        master_command(
            options, host=host, locustfile=locustfile, json_prefix=json_prefix,
            web_port=web_port, master_port=master_port,
        ),
        env=environ,
    )  # fmt: skip
    workers = [
        subprocess.Popen(worker_command(locustfile, master_port), env=environ)
        for _ in range(options.workers)
    ]
    try:
        master.wait()
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.terminate()
            worker.wait()
    return stats_from_json(json_prefix.with_suffix(".json")), f"http://{LOOPBACK}:{web_port}"


def stats_from_json(path: Path) -> RunStats:
    """Locust's --json-file rows (one per endpoint, with bucketed response times)."""
    rows: list[dict[str, Any]] = json.loads(path.read_text()) if path.is_file() else []
    merged: dict[str, Any] = {"method": "", "name": "Aggregated", "response_times": {}}
    for key in ("num_requests", "num_failures", "total_response_time"):
        merged[key] = sum(r.get(key, 0) for r in rows)
    merged["max_response_time"] = max((r.get("max_response_time", 0) for r in rows), default=0)
    for row in rows:
        for bucket, count in row.get("response_times", {}).items():
            merged["response_times"][bucket] = merged["response_times"].get(bucket, 0) + count
    span = (
        max((r["last_request_timestamp"] or 0) for r in rows) - min(r["start_time"] for r in rows)
        if rows
        else 0.0
    )
    return RunStats(
        endpoints=[_entry(r, span) for r in sorted(rows, key=lambda r: r["name"])],
        total=_entry(merged, span),
    )


def _entry(row: dict[str, Any], span_s: float) -> EndpointStats:
    times = {float(k): int(v) for k, v in row.get("response_times", {}).items()}
    requests = int(row.get("num_requests", 0))
    return EndpointStats(
        method=row.get("method") or "",
        name=row["name"],
        requests=requests,
        failures=int(row.get("num_failures", 0)),
        rps=requests / span_s if span_s > 0 else 0.0,
        p50_ms=percentile(times, 0.5),
        p95_ms=percentile(times, 0.95),
        p99_ms=percentile(times, 0.99),
        avg_ms=row.get("total_response_time", 0) / requests if requests else 0.0,
        max_ms=float(row.get("max_response_time") or 0),
    )


def percentile(histogram: dict[float, int], fraction: float) -> float:
    """Locust's own rule: the smallest bucket reaching `fraction` of the requests."""
    total = sum(histogram.values())
    if not total:
        return 0.0
    needed, seen = total * fraction, 0
    for bucket in sorted(histogram):
        seen += histogram[bucket]
        if seen >= needed:
            return bucket
    return max(histogram)
