"""Fake infrastructure components for unit-testing the runtimes without real servers.

They run a real (tiny) process: Python's http.server, so the supervisor's
start/stop/readiness logic is exercised for real.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import httpx

from ecomctl.infra.component import (
    ComponentContext,
    InfraComponent,
    Installation,
    NotReady,
    ProcessSpec,
    ProgressFn,
)


class HttpServerComponent(InfraComponent):
    name = "fake"
    description = "python -m http.server"
    default_port = 0
    ready_timeout_s = 20.0
    depends_on: tuple[str, ...] = ()

    def locate(self, cache_dir: Path) -> Installation | None:
        return Installation(self.name, "1.0", "path", {"bin": sys.executable})

    def install(self, cache_dir: Path, progress: ProgressFn) -> Installation:
        progress("nothing to install")
        located = self.locate(cache_dir)
        assert located is not None
        return located

    def prepare(self, ctx: ComponentContext) -> None:
        (ctx.data_dir / "index.html").write_text("ok")

    def process(self, ctx: ComponentContext) -> ProcessSpec:
        return ProcessSpec(
            argv=[
                sys.executable,
                "-m",
                "http.server",
                str(ctx.port),
                "--bind",
                ctx.host,
                "--directory",
                str(ctx.data_dir),
            ],
        )

    def check_ready(self, ctx: ComponentContext) -> None:
        response = httpx.get(f"http://{ctx.host}:{ctx.port}/index.html", timeout=2)
        if response.text != "ok":
            raise NotReady(response.text)

    def compose_service(self, ctx: ComponentContext) -> dict[str, Any]:
        return {"image": "python:3.11", "healthcheck": {"test": ["CMD", "true"]}}


class DependentComponent(HttpServerComponent):
    depends_on = ("redis",)


class CrashingComponent(HttpServerComponent):
    def process(self, ctx: ComponentContext) -> ProcessSpec:
        return ProcessSpec(
            argv=[sys.executable, "-c", "import sys; print('boom: bad config'); sys.exit(3)"]
        )
