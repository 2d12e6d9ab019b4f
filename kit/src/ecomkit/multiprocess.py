"""Metrics of a service that runs several worker processes (the gateway on Granian).

A scrape reaches one worker. In prometheus_client's multiprocess mode every worker writes
its metrics to files in `PROMETHEUS_MULTIPROC_DIR` and `/metrics` sums them all, so the
scrape sees the whole service. `prepare` makes a fresh directory (counts of an earlier
run must not be added to this one's) and must run in the parent before the workers start.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from prometheus_client import CollectorRegistry, generate_latest, multiprocess

ENV = "PROMETHEUS_MULTIPROC_DIR"


def prepare(service: str, port: int) -> Path:
    directory = Path(tempfile.gettempdir()) / "ecomkit-metrics" / f"{service}-{port}"
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    os.environ[ENV] = str(directory)
    return directory


def exposition() -> bytes:
    """The text a scrape gets: every worker's metrics summed in multiprocess mode."""
    if not os.environ.get(ENV):
        return generate_latest()
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    return generate_latest(registry)
