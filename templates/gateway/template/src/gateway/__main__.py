"""`python -m gateway`: the ASGI app on Granian, with the options measured best for a proxy.

Why Granian and not uvicorn (docs/services/gateway.md, "How the hot path was chosen"): the
gateway's own Python per request is small, so the server's share decides its throughput.
Granian parses and writes HTTP in Rust (one write per response; uvicorn makes two), which
measured 0.77-0.82 x HAProxy in bench/gateway_overhead.py against 0.71-0.73 on uvicorn with
the same app. No access log (the gateway's metrics count every request), a larger backlog
for bursts, HTTP/1.1 only, and one worker process per CPU (`ECOM_GATEWAY_WORKERS`, 0 = as
many as CPUs): one Python process cannot use more than one core.

With several workers the metrics run in prometheus_client's multiprocess mode (a fresh
directory per gateway, ecomkit.multiprocess) and the workers are spawned, not forked: a
forked worker would keep the metric values the parent created before the mode was set.
"""

from __future__ import annotations

import multiprocessing
import os
from typing import Protocol

from ecomkit import multiprocess
from ecomkit.logging import configure_logging
from granian import Granian
from granian.constants import HTTPModes, Interfaces, Loops
from granian.log import LogLevels

from gateway.settings import Settings


class Server(Protocol):
    """What main() needs of Granian (whose class is chosen at import, so not a type)."""

    def serve(self) -> None: ...


def worker_count(configured: int) -> int:
    return configured if configured > 0 else (os.cpu_count() or 1)


def server(settings: Settings) -> Server:
    return Granian(
        "gateway.entrypoints.app:app",
        address=settings.host,
        port=settings.port,
        interface=Interfaces.ASGI,
        workers=worker_count(settings.gateway_workers),
        loop=Loops.uvloop,
        http=HTTPModes.http1,
        websockets=settings.gateway_websockets,  # /ws/** ("WebSockets", docs/services/gateway.md)
        backlog=2048,
        log_level=LogLevels(settings.log_level.lower()),
        # Granian's own lines go to the root logger: the kit's JSON handler, like the app's.
        log_dictconfig={
            "loggers": {
                "_granian": {"handlers": [], "propagate": True},
                "granian.access": {"handlers": [], "propagate": True},
            }
        },
        log_access=False,
        # A worker that dies (out of memory, a native crash) is replaced, not left missing.
        respawn_failed_workers=True,
    )


def main() -> None:
    settings = Settings()
    configure_logging(settings.service_name, settings.log_level)
    if worker_count(settings.gateway_workers) > 1:
        multiprocess.prepare(settings.service_name, settings.port)
        multiprocessing.set_start_method("spawn", force=True)
    server(settings).serve()


if __name__ == "__main__":
    main()
