"""Locust as a library: one local runner, headless, with a progress callback every second.

Importing Locust monkey-patches the process with gevent, so this module is imported only
when a run starts (never by the CLI's other commands or by unit tests)."""

from __future__ import annotations

import importlib
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ecomctl.loadtest.options import LoadTestOptions
from ecomctl.loadtest.stats import EndpointStats, Progress, RunStats

PERCENTILES = [0.5, 0.95, 0.99]
GRACE_S = 30.0  # past the planned duration, the run is stopped whatever the shape says
STOP_TIMEOUT_S = 5.0

ProgressListener = Callable[[Progress], None]


def run_in_process(
    options: LoadTestOptions,
    *,
    host: str,
    locustfile: Path,
    on_progress: ProgressListener | None = None,
) -> RunStats:
    import gevent
    from locust.env import Environment
    from locust.runners import STATE_STOPPED

    module = _load(locustfile)
    shapes = importlib.import_module("shapes")
    shape = shapes.shape_class(
        options.shape,
        users=options.users,
        spawn_rate=options.spawn_rate,
        duration_s=options.duration_s,
    )
    env = Environment(
        user_classes=[getattr(module, name) for name in options.user_classes],
        shape_class=shape(),
        host=host,
        stop_timeout=STOP_TIMEOUT_S,
    )
    runner = env.create_local_runner()
    csv_writer = _csv_writer(env, options.csv_prefix)
    began = time.monotonic()
    runner.start_shape()
    gevent.sleep(0.1)
    deadline = began + options.duration_s + GRACE_S
    while runner.state != STATE_STOPPED and time.monotonic() < deadline:
        gevent.sleep(1.0)
        if on_progress:
            on_progress(_progress(env, time.monotonic() - began, module))
    runner.quit()
    if csv_writer is not None:
        writer, greenlet = csv_writer
        greenlet.kill(block=True)  # stop writing before the files close
        writer.close_files()
    if options.html is not None:
        _write_html(env, options.html)
    stats = collect(env)
    stats.duration_s = time.monotonic() - began
    return stats


def _load(locustfile: Path) -> Any:
    """The locustfile and its siblings (journeys, shapes) as modules."""
    folder = str(locustfile.parent)
    if folder not in sys.path:
        sys.path.insert(0, folder)
    return importlib.import_module(locustfile.stem)


def _progress(env: Any, elapsed: float, module: Any) -> Progress:
    total = env.stats.total
    tally = module.Tally
    return Progress(
        elapsed_s=elapsed,
        users=env.runner.user_count,
        rps=float(total.current_rps),
        p50_ms=float(total.get_current_response_time_percentile(0.5) or 0),
        p95_ms=float(total.get_current_response_time_percentile(0.95) or 0),
        p99_ms=float(total.get_current_response_time_percentile(0.99) or 0),
        requests=total.num_requests,
        failures=total.num_failures,
        orders_placed=tally.placed,
        orders_done=tally.paid + tally.cancelled,
    )


def collect(env: Any) -> RunStats:
    entries = sorted(env.stats.entries.values(), key=lambda e: (e.name, e.method))
    failures = sorted(env.stats.errors.values(), key=lambda e: -e.occurrences)[:10]
    return RunStats(
        endpoints=[_endpoint(e) for e in entries],
        total=_endpoint(env.stats.total),
        failures=[
            {"method": f.method, "name": f.name, "error": str(f.error), "count": f.occurrences}
            for f in failures
        ],
    )


def _endpoint(entry: Any) -> EndpointStats:
    return EndpointStats(
        method=entry.method or "",
        name=entry.name,
        requests=entry.num_requests,
        failures=entry.num_failures,
        rps=float(entry.total_rps),
        p50_ms=float(entry.get_response_time_percentile(0.5) or 0),
        p95_ms=float(entry.get_response_time_percentile(0.95) or 0),
        p99_ms=float(entry.get_response_time_percentile(0.99) or 0),
        avg_ms=float(entry.avg_response_time),
        max_ms=float(entry.max_response_time or 0),
    )


def _csv_writer(env: Any, prefix: str | None) -> Any:
    if not prefix:
        return None
    import gevent
    from locust.stats import StatsCSVFileWriter

    Path(prefix).parent.mkdir(parents=True, exist_ok=True)
    writer = StatsCSVFileWriter(env, PERCENTILES, prefix, full_history=False)
    return writer, gevent.spawn(writer.stats_writer)


def _write_html(env: Any, path: Path) -> None:
    from locust.html import get_html_report

    path.parent.mkdir(parents=True, exist_ok=True)
    html = get_html_report(env, show_download_link=False)  # type: ignore[no-untyped-call]
    path.write_text(html, encoding="utf-8")
