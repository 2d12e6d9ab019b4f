"""`ecomctl loadtest`: Locust against the running stack's gateway, with SLO gates.

Core only (no typer/rich). Order of a run: check the options and that the stack answers
(a UsageError before any load), seed users/products/a card through the APIs, run Locust
(in this process, or its command line for --web/--workers), read every order the run
created back from the order service, judge the gates."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from ecomctl.errors import UsageError
from ecomctl.loadtest.completion import measure, read_orders
from ecomctl.loadtest.options import LoadTestOptions, build_options
from ecomctl.loadtest.report import LoadTestReport
from ecomctl.loadtest.seeding import SeedData, seed_counts, seed_platform
from ecomctl.loadtest.stats import Progress, RunStats
from ecomctl.operations import Target
from ecomctl.scenarios.endpoints import Endpoints

__all__ = ["LoadTestOptions", "LoadTestReport", "Progress", "build_options", "run_loadtest"]

LOOPBACK = {"127.0.0.1", "localhost", "::1"}
READY_TIMEOUT_S = 3.0
# A stack just restarted (or one of its servers) may fail a probe or two while the
# gateway's workers reconnect their pools: ready within this grace counts as ready.
READY_GRACE_S = 15.0


def locustfile() -> Path:
    """The repository's loadtests/ in a checkout, or the copy packaged in a wheel."""
    from importlib import resources

    packaged = resources.files("ecomctl").joinpath("_data/loadtests/locustfile.py")
    if packaged.is_file():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[2] / "loadtests" / "locustfile.py"


def stack_endpoints(tgt: Target) -> Endpoints:
    """The running stack's addresses; no stack, or not loopback, is a UsageError."""
    from ecomctl.scenarios.endpoints import for_workspace

    try:
        ends = for_workspace(tgt.stack, tgt.workspace)
    except Exception as exc:  # no state file: nothing was started in this workspace
        raise UsageError(
            f"no stack is running in {tgt.workspace.root} ({type(exc).__name__})",
            hint="start it with `ecomctl up`",
        ) from None
    if urlsplit(ends.gateway).hostname not in LOOPBACK:
        raise UsageError(f"refusing to load {ends.gateway}: only the local stack is tested")
    if not _gateway_ready(f"{ends.gateway}/health/ready"):
        raise UsageError(
            f"no stack is running: the gateway at {ends.gateway} does not answer ready",
            hint="start it with `ecomctl up` (see `ecomctl status`)",
        )
    return ends


def _gateway_ready(url: str) -> bool:
    deadline = time.monotonic() + READY_GRACE_S
    while True:
        try:
            if httpx.get(url, timeout=READY_TIMEOUT_S).status_code == 200:
                return True
        except httpx.ConnectError:
            return False  # nothing listens: no stack, no point in waiting
        except httpx.HTTPError:
            pass
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.5)


def run_loadtest(
    *,
    tgt: Target,
    options: LoadTestOptions,
    on_progress: Callable[[Progress], None] | None = None,
    on_phase: Callable[[str], None] | None = None,
) -> LoadTestReport:
    say = on_phase or (lambda _text: None)
    ends = stack_endpoints(tgt)
    run_dir = _run_dir(tgt)
    say(f"seeding users and products through {ends.gateway}")
    seed_file, orders_file = run_dir / "seed.json", run_dir / "orders.jsonl"
    _seed(tgt, ends, options).write(seed_file)
    env = _environment(options, seed_file, orders_file)
    say(f"running {options.profile} ({options.shape}) with {options.users} users "
        f"for {options.duration_s:g} s")  # fmt: skip
    stats, web_url = _run(options, ends.gateway, env, run_dir, on_progress)
    orders = read_orders(orders_file)
    say(f"reading the final status of {len(orders)} orders from the order service")
    # Where the order service listens now: a release during the load may have moved it.
    now = stack_endpoints(tgt)
    completion = measure(orders, _status_reader(tgt, now), settle_s=options.settle_s)
    report = LoadTestReport(options, ends.gateway, stats, completion, run_dir=run_dir)
    report.web_url = web_url
    report.judge()
    return report


def _run(
    options: LoadTestOptions,
    host: str,
    env: dict[str, str],
    run_dir: Path,
    on_progress: Callable[[Progress], None] | None,
) -> tuple[RunStats, str | None]:
    import os

    if options.web or options.workers:
        from ecomctl.loadtest.external import run_external

        return run_external(options, host=host, locustfile=locustfile(), run_dir=run_dir, env=env)
    os.environ.update(env)
    from ecomctl.loadtest.engine import run_in_process

    stats = run_in_process(options, host=host, locustfile=locustfile(), on_progress=on_progress)
    return stats, None


def _seed(tgt: Target, ends: Endpoints, options: LoadTestOptions) -> SeedData:
    from ecomctl.scenarios.client import Gateway, StripeEmulator
    from ecomctl.scenarios.live import WorkspaceAdmin

    gateway, stripe = Gateway(ends.gateway), StripeEmulator(ends.stripe)
    try:
        return seed_platform(
            gateway, stripe, WorkspaceAdmin(tgt, ends.port_offset),
            seed=options.seed, **seed_counts(options.users),
        )  # fmt: skip
    finally:
        gateway.close()
        stripe.close()


def _environment(options: LoadTestOptions, seed_file: Path, orders_file: Path) -> dict[str, str]:
    return {
        "ECOMCTL_LOADTEST_SEED_FILE": str(seed_file),
        "ECOMCTL_LOADTEST_ORDERS_FILE": str(orders_file),
        "ECOMCTL_LOADTEST_SHAPE": options.shape,
        "ECOMCTL_LOADTEST_USERS": str(options.users),
        "ECOMCTL_LOADTEST_SPAWN_RATE": str(options.spawn_rate),
        "ECOMCTL_LOADTEST_DURATION_S": str(options.duration_s),
    }


def _status_reader(tgt: Target, ends: Endpoints) -> Callable[[int], str | None]:
    """GET /api/orders/{id} on the order service itself, as the workspace's ADMIN."""
    from ecomctl.scenarios.client import Gateway
    from ecomctl.scenarios.live import WorkspaceAdmin

    username, password = WorkspaceAdmin(tgt, ends.port_offset).credentials()
    gateway = Gateway(ends.gateway)
    try:
        token = gateway.login(username, password)
    finally:
        gateway.close()
    client = httpx.Client(
        base_url=ends.service("order"), timeout=10, headers={"Authorization": f"Bearer {token}"}
    )

    def read(order_id: int) -> str | None:
        try:
            answer = client.get(f"/api/orders/{order_id}")
        except httpx.HTTPError:
            return None
        return str(answer.json().get("status")) if answer.status_code == 200 else None

    return read


def _run_dir(tgt: Target) -> Path:
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    folder = tgt.workspace.state_dir / "loadtest" / f"{stamp}-{secrets.token_hex(2)}"
    folder.mkdir(parents=True, exist_ok=True)
    return folder
