"""Redis from the Debian package: L2 cache, sessions and rate limits.

Persistence is the append-only file only (no RDB snapshots): sessions and rate
limit counters survive a restart without periodic fork-and-dump pauses.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import redis

from ecomctl.infra.component import ComponentContext, NotReady, ProcessSpec, bind_host
from ecomctl.infra.components._debian import DebianPackagedComponent

PACKAGES = ("redis-server",)
DEBIAN_DIRS = (Path("/usr/bin"),)
DEFAULT_IMAGE = "redis:7"


def server_argv(server: Path, ctx: ComponentContext) -> list[str]:
    return [
        str(server),
        "--bind",
        bind_host(ctx),
        "--port",
        str(ctx.port),
        "--dir",
        str(ctx.data_dir),
        "--appendonly",
        "yes",
        "--save",
        "",  # no RDB snapshots: the append-only file is the persistence
        "--daemonize",
        "no",
        "--protected-mode",
        # In a container, clients come through the project network or a port published on
        # 127.0.0.1 (from the bridge's address), which protected mode would refuse.
        "no" if ctx.container_name else "yes",
    ]


class RedisComponent(DebianPackagedComponent):
    name = "redis"
    description = "Redis (cache, sessions, rate limits)"
    default_port = 6379
    ready_timeout_s = 30.0
    packages = PACKAGES
    system_services = ("redis-server",)
    server_names = ("redis-server",)

    def debian_dirs(self) -> Sequence[Path]:
        return DEBIAN_DIRS

    def prepare(self, ctx: ComponentContext) -> None:
        ctx.data_dir.mkdir(parents=True, exist_ok=True)  # redis will not create --dir

    def process(self, ctx: ComponentContext) -> ProcessSpec:
        assert ctx.installation is not None
        return ProcessSpec(argv=server_argv(ctx.installation.path("server"), ctx), cwd=ctx.data_dir)

    def check_ready(self, ctx: ComponentContext) -> None:
        client = redis.Redis(host=ctx.host, port=ctx.port, socket_timeout=3)
        try:
            if not client.ping():
                raise NotReady("PING got no PONG")
        except redis.RedisError as exc:  # includes "LOADING" while the AOF replays
            raise NotReady(str(exc)) from exc
        finally:
            client.close()

    def compose_service(self, ctx: ComponentContext) -> dict[str, Any]:
        return {
            "image": ctx.spec.image or DEFAULT_IMAGE,
            "command": ["redis-server", "--appendonly", "yes", "--save", ""],
            "ports": [f"127.0.0.1:{ctx.port}:6379"],
            "volumes": [f"{ctx.name}-data:/data"],
            "healthcheck": {
                "test": ["CMD", "redis-cli", "ping"],
                "interval": "5s",
                "timeout": "3s",
                "retries": 20,
            },
        }
