"""`ecomctl bench`: run the scripts in bench/ and read each one's verdict line,
`<name>: ratio=<x> target<=<y> (<absolute figures>)` (or `target>=`), the last it prints.

Benchmarks that need the running stack get its workspace, or its database/Redis URLs."""

from __future__ import annotations

import math
import re
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ecomctl.errors import UsageError
from ecomctl.operations import Target

_VERDICT = re.compile(
    r"^(?P<name>[\w-]+): ratio=(?P<ratio>[-\d.einf]+) target(?P<op><=|>=)(?P<target>[\d.]+)"
    r"(?:\s+[^\s(]+)?"  # a unit after the target ("orders/s")
    r"\s*(?:\((?P<detail>.*)\))?\s*$"
)
TIMEOUT_S = 1800.0

ArgsFor = Callable[[Target], list[str]]


@dataclass(frozen=True)
class Bench:
    name: str
    what: str
    args: ArgsFor


@dataclass(frozen=True)
class BenchResult:
    name: str
    ok: bool
    ratio: float | None
    op: str
    target: float | None
    detail: str
    exit_code: int
    seconds: float
    last_line: str

    def to_json(self) -> dict[str, object]:
        return {
            "name": self.name,
            "ok": self.ok,
            # JSON has no infinity: "inf" (work where the minimum is none) as a string
            "ratio": self.ratio if self.ratio is None or math.isfinite(self.ratio) else "inf",
            "target": f"{self.op}{self.target}" if self.target is not None else None,
            "detail": self.detail,
            "exit_code": self.exit_code,
            "seconds": round(self.seconds, 1),
            "last_line": self.last_line,
        }


def _workspace(tgt: Target) -> list[str]:
    return ["--workspace", str(tgt.workspace.root)]


# How each infrastructure component is reached by the bench scripts (admin users).
_URLS = {
    "postgres": ("--postgres-url", "postgresql://ecomctl:ecomctl@127.0.0.1:{port}/postgres"),
    "mysql": ("--mysql-url", "mysql://ecomctl:ecomctl@127.0.0.1:{port}/mysql"),
    "redis": ("--redis-url", "redis://127.0.0.1:{port}/0"),
    "search": ("--opensearch-url", "http://127.0.0.1:{port}"),
}


def _urls(*components: str) -> ArgsFor:
    """The running stack's URL option for each component, its port offset applied."""

    def args(tgt: Target) -> list[str]:
        offset = _offset(tgt)
        found: list[str] = []
        for name in components:
            option, url = _URLS[name]
            found += [option, url.format(port=tgt.stack.infra[name].port + offset)]
        return found

    return args


def _offset(tgt: Target) -> int:
    from ecomctl.scenarios.endpoints import port_offset

    try:
        return port_offset(tgt.workspace)
    except Exception:
        raise UsageError(
            "this benchmark needs the running stack", hint="start it with `ecomctl up`"
        ) from None


BENCHES: dict[str, Bench] = {
    b.name: b
    for b in (
        Bench("up_time", "ecomctl up vs the slowest component alone", lambda _t: []),
        Bench("migrate_time", "ecomctl migrate vs Flyway", _urls("postgres", "mysql")),
        Bench("cache_hit", "product by id: cache hit vs miss", _urls("mysql", "redis")),
        Bench("gateway_overhead", "gateway vs HAProxy vs direct", lambda _t: []),
        Bench("saga_latency", "POST order -> PAID vs bare Kafka hops", _workspace),
        Bench("checkout_throughput", "orders/s to PAID within the SLO", _workspace),
        Bench("saga_latency_1", "POST order -> PAID one at a time vs a bare chain", _workspace),
        Bench(
            "saga_cost", "SQL/Kafka/HTTP/span counts per order vs the design minimum", _workspace
        ),
        Bench("switch_errors", "failed requests while a release takes all traffic", _workspace),
        Bench(
            "login_burst", "other users' p95 during 10 x the login limit vs unloaded", _workspace
        ),
        Bench("tracing_cost", "saga latency and gateway reads/s, traced vs not", _workspace),
        Bench("zipkin_down", "POST order -> PAID with Zipkin frozen/killed vs running", _workspace),
        Bench(
            "ws_hold",
            "1,000 order-tracking WebSockets held via the gateway: push p95 vs one, memory",
            _workspace,
        ),
        Bench(
            "search_relevance",
            "nDCG@10 of product search vs SQL contains",
            _urls("mysql", "search"),
        ),
        Bench("search_freshness", "product update -> searchable through the gateway", _workspace),
        Bench("search_latency", "search p95 through the gateway vs OpenSearch's took", _workspace),
    )
}


def bench_dir() -> Path:
    """bench/ of the checkout, else the copy packaged into the wheel (ecomctl/_data/bench)."""
    checkout = Path(__file__).resolve().parents[1] / "bench"
    packaged = Path(__file__).resolve().parent / "_data" / "bench"
    for found in (checkout, packaged):
        if found.is_dir():
            return found
    raise UsageError("the bench scripts are not found: reinstall ecomctl")


def parse_verdict(name: str, output: str, exit_code: int, seconds: float) -> BenchResult:
    lines = [line for line in output.splitlines() if line.strip()]
    last = lines[-1] if lines else ""
    found = next((m for line in reversed(lines) if (m := _VERDICT.match(line.strip()))), None)
    if found is None:
        return BenchResult(name, False, None, "", None, "no verdict line", exit_code, seconds, last)
    ratio, target, op = float(found["ratio"]), float(found["target"]), found["op"]
    holds = ratio <= target if op == "<=" else ratio >= target
    return BenchResult(
        name, holds and exit_code == 0, ratio, op, target, found["detail"] or "",
        exit_code, seconds, found.group(0),
    )  # fmt: skip


def run_bench(
    *, tgt: Target, names: list[str] | None = None, on_start: Callable[[str], None] | None = None
) -> list[BenchResult]:
    chosen = names or list(BENCHES)
    unknown = [n for n in chosen if n not in BENCHES]
    if unknown:
        raise UsageError(f"unknown benchmark {unknown[0]!r}: choose from {', '.join(BENCHES)}")
    folder = bench_dir()
    results = []
    for name in chosen:
        if on_start:
            on_start(name)
        args = BENCHES[name].args(tgt)
        began = time.monotonic()
        done = subprocess.run(
            [sys.executable, str(folder / f"{name}.py"), *args],
            capture_output=True, text=True, timeout=TIMEOUT_S, cwd=folder.parent,
        )  # fmt: skip
        output = done.stdout + ("\n" + done.stderr if not done.stdout.strip() else "")
        results.append(parse_verdict(name, output, done.returncode, time.monotonic() - began))
    return results
