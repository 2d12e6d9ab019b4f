"""`python -m gateway`: uvicorn with the options measured best for the proxy.

uvloop + httptools, no access log (the gateway's metrics count every request), a larger
backlog for bursts, and one worker process per CPU (`ECOM_GATEWAY_WORKERS`, 0 = as many as
CPUs): one Python process cannot use more than one core, and the gateway's per-request work
is CPU-bound (docs/services/gateway.md, "How the hot path was chosen").
"""

from __future__ import annotations

import os

import uvicorn

from gateway.settings import Settings


def worker_count(configured: int) -> int:
    return configured if configured > 0 else (os.cpu_count() or 1)


def main() -> None:
    settings = Settings()
    uvicorn.run(
        "gateway.entrypoints.app:app",
        host=settings.host,
        port=settings.port,
        workers=worker_count(settings.gateway_workers),
        loop="uvloop",
        http="httptools",
        access_log=False,
        backlog=2048,
        log_level=settings.log_level.lower(),
        timeout_keep_alive=30,
        # The gateway is the edge: X-Forwarded-* from clients are not trusted.
        proxy_headers=False,
    )


if __name__ == "__main__":
    main()
