"""`python -m gateway`: uvicorn with the options measured best for the proxy.

uvloop + httptools, no access log (the gateway's metrics count every request), a larger
backlog for bursts.
"""

from __future__ import annotations

import uvicorn

from gateway.settings import Settings


def main() -> None:
    settings = Settings()
    uvicorn.run(
        "gateway.entrypoints.app:app",
        host=settings.host,
        port=settings.port,
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
