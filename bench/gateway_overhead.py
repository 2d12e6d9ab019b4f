"""gateway_overhead: GET a product through the gateway vs directly vs through HAProxy.

Everything runs side by side in one run on loopback: a trivial FastAPI upstream (standing in
for product-catalog's cache-hit path), HAProxy (Debian) in front of it with a rendered config,
the gateway (from templates/gateway, rate limiting ON against a Redis started here, response
cache OFF so every request is proxied), and the same load tool (wrk) for each. Rounds are
interleaved and the median is kept, because the machine is shared and noisy.

Targets (shared/PERFORMANCE.md): gateway throughput >= 0.7 x HAProxy's (32 connections);
added p50 <= 1 ms over direct (4 connections, where latency is not queueing).
The gateway with its response cache ON, and one with WebSockets OFF (ECOM_GATEWAY_WEBSOCKETS,
to show plain HTTP does not pay for them), are measured too and printed for information.

    python bench/gateway_overhead.py [--duration 5] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GATEWAY_SRC = ROOT / "templates" / "gateway" / "template" / "src"
TARGET_RATIO = 0.7
TARGET_ADDED_P50_MS = 1.0
PATH = "/api/products/1"

UPSTREAM = """
from fastapi import FastAPI
app = FastAPI()
@app.get("/api/products/{pid}")
async def product(pid: int) -> dict:
    return {"id": pid, "name": "Widget", "price": "9.99", "stock": 12, "description": "x" * 200}
"""

# The gateway runs one worker process per CPU (`python -m gateway`, as `ecomctl up` starts
# it); HAProxy gets as many threads, so both sides may use the same number of cores.
WORKERS = os.cpu_count() or 1

HAPROXY = """global
  maxconn 2000
  nbthread {threads}
defaults
  mode http
  timeout connect 2s
  timeout client 30s
  timeout server 30s
frontend bench
  bind 127.0.0.1:{port}
  default_backend upstream
backend upstream
  http-reuse always
  server u1 127.0.0.1:{upstream}
"""


@dataclass
class Result:
    rps: float
    p50_ms: float


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_http(url: str, timeout_s: float = 120) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"{url} did not answer within {timeout_s:.0f} s")


def wrk(url: str, connections: int, duration_s: int) -> Result:
    out = subprocess.run(
        [
            "wrk",
            f"-t{min(2, connections)}",
            f"-c{connections}",
            f"-d{duration_s}s",
            "--latency",
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    value, unit = re.search(r"50%\s+([\d.]+)(us|ms|s)", out).groups()  # type: ignore[union-attr]
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
    if " 0 requests" in out or "Non-2xx" in out:
        raise SystemExit(f"wrk saw errors against {url}:\n{out}")
    return Result(rps, float(value) * scale)


class Processes:
    def __init__(self) -> None:
        self.procs: list[subprocess.Popen[bytes]] = []

    def start(self, args: list[str], env: dict[str, str] | None = None, **kw: object) -> None:
        self.procs.append(
            subprocess.Popen(
                args,
                env={**os.environ, **(env or {})},
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                **kw,  # type: ignore[call-overload]
            )
        )

    def stop(self) -> None:
        for proc in self.procs:
            proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


def start_all(procs: Processes, workdir: Path) -> dict[str, str]:
    for tool in ("wrk", "haproxy", "redis-server"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is missing: apt-get install -y wrk haproxy redis-server")
    names = ("upstream", "haproxy", "redis", "gw", "gw_cache", "gw_no_ws")
    ports = {name: free_port() for name in names}
    (workdir / "bench_upstream.py").write_text(UPSTREAM)
    procs.start(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "bench_upstream:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(ports["upstream"]),
            "--no-access-log",
            "--log-level",
            "warning",
        ],
        cwd=workdir,
    )
    config = workdir / "haproxy.cfg"
    config.write_text(
        HAPROXY.format(port=ports["haproxy"], upstream=ports["upstream"], threads=WORKERS)
    )
    procs.start(["haproxy", "-f", str(config), "-db"])
    procs.start(
        [
            "redis-server",
            "--bind",
            "127.0.0.1",
            "--port",
            str(ports["redis"]),
            "--save",
            "",
            "--appendonly",
            "no",
        ]
    )
    upstream = f"http://127.0.0.1:{ports['upstream']}"
    for name, cache_ttl in (("gw", "0"), ("gw_cache", "5"), ("gw_no_ws", "0")):
        procs.start(
            [sys.executable, "-m", "gateway"],
            env={
                "PYTHONPATH": str(GATEWAY_SRC),
                "ECOM_PORT": str(ports[name]),
                "ECOM_UPSTREAMS": json.dumps({"product-catalog": upstream}),
                "ECOM_REDIS_URL": f"redis://127.0.0.1:{ports['redis']}/0",
                "ECOM_REGISTRY_URL": "",
                "ECOM_ZIPKIN_URL": "",
                "ECOM_LOG_LEVEL": "WARNING",
                # Limits far above the load so every request pays for the Redis check, none fails.
                "ECOM_GATEWAY_RATE_PER_IP_PER_S": "10000000",
                "ECOM_GATEWAY_BURST_PER_IP": "10000000",
                "ECOM_GATEWAY_CACHE_TTL_S": cache_ttl,
                "ECOM_GATEWAY_WORKERS": str(WORKERS),
                # WebSockets on (as `ecomctl up` runs it), and off: plain HTTP must not pay.
                "ECOM_GATEWAY_WEBSOCKETS": str(name != "gw_no_ws").lower(),
                # Public GETs only: no token is verified, but a gateway needs a key set.
                "ECOM_JWKS": '{"keys": []}',
            },
        )
    urls = {
        "direct": f"{upstream}{PATH}",
        "haproxy": f"http://127.0.0.1:{ports['haproxy']}{PATH}",
        "gateway": f"http://127.0.0.1:{ports['gw']}{PATH}",
        "gateway+cache": f"http://127.0.0.1:{ports['gw_cache']}{PATH}",
        "gateway-no-ws": f"http://127.0.0.1:{ports['gw_no_ws']}{PATH}",
    }
    for url in urls.values():
        wait_http(url)
    return urls


def measure(urls: dict[str, str], duration_s: int, rounds: int) -> dict[str, dict[str, float]]:
    samples: dict[str, dict[str, list[float]]] = {n: {"rps": [], "p50": []} for n in urls}
    for url in urls.values():  # warm-up: connection pools, caches
        wrk(url, 32, 1)
    for _ in range(rounds):
        for name, url in urls.items():
            samples[name]["rps"].append(wrk(url, 32, duration_s).rps)
            samples[name]["p50"].append(wrk(url, 4, max(2, duration_s // 2)).p50_ms)
    return {n: {k: statistics.median(v) for k, v in s.items()} for n, s in samples.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=5, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (median)")
    options = parser.parse_args()
    procs = Processes()
    with tempfile.TemporaryDirectory(prefix="gateway-bench-") as tmp:
        try:
            urls = start_all(procs, Path(tmp))
            figures = measure(urls, options.duration, options.rounds)
        finally:
            procs.stop()
    print(f"gateway workers: {WORKERS}, HAProxy nbthread: {WORKERS}")
    for name, f in figures.items():
        print(f"{name:14s} {f['rps']:9.0f} req/s (32 conn)   p50 {f['p50']:.2f} ms (4 conn)")
    direct, haproxy, gateway = figures["direct"], figures["haproxy"], figures["gateway"]
    no_ws = figures["gateway-no-ws"]
    print(
        f"WebSockets on/off: {gateway['rps'] / no_ws['rps']:.2f} x the throughput, p50 "
        f"{gateway['p50']:.2f} vs {no_ws['p50']:.2f} ms (plain HTTP, same run)"
    )
    ratio = gateway["rps"] / haproxy["rps"]
    added = gateway["p50"] - direct["p50"]
    print(
        f"gateway_overhead: ratio={ratio:.2f} target>={TARGET_RATIO} "
        f"(direct {direct['rps']:.0f} rps p50 {direct['p50']:.2f} ms, "
        f"haproxy {haproxy['rps']:.0f} rps p50 {haproxy['p50']:.2f} ms, "
        f"gateway {gateway['rps']:.0f} rps p50 {gateway['p50']:.2f} ms, "
        f"added p50 {added:.2f} ms)"
    )
    return 0 if ratio >= TARGET_RATIO and added <= TARGET_ADDED_P50_MS else 1


if __name__ == "__main__":
    sys.exit(main())
