"""Zipkin 3 with in-memory storage, from its self-contained exec jar.

Zipkin 3 serves HTTP with Armeria configured through Spring Boot. Its shared
config declares one Armeria port from QUERY_PORT without an address, so it
would listen on every interface; the command line re-declares that port with
`ip=127.0.0.1`. Spring Boot replaces a list bound from a stronger source as a
whole, which is why the port and protocol are repeated there as well.
"""

from __future__ import annotations

from typing import Any

import httpx

from ecomctl.infra.component import ComponentContext, NotReady, ProcessSpec, bind_host
from ecomctl.infra.components._jvm import MavenJvmComponent, heap_args, java_binary
from ecomctl.infra.provision.maven import Artifact

# Spans kept in memory; the default (500k) would not fit the small heap.
MEM_MAX_SPANS = 50_000


class ZipkinComponent(MavenJvmComponent):
    name = "zipkin"
    description = "Zipkin tracing server (in-memory storage)"
    default_port = 9411
    default_version = "3.6.1"
    default_heap_mb = 256
    ready_timeout_s = 90.0

    def artifacts(self, version: str) -> list[Artifact]:
        # The exec jar bundles every dependency: copy it alone.
        return [Artifact("io.zipkin", "zipkin-server", version, "exec", transitive=False)]

    def exec_jar(self, ctx: ComponentContext) -> str:
        installation = self.installation(ctx)
        artifact = self.artifacts(installation.version)[0]
        return str(installation.path("lib") / artifact.file_name)

    def process(self, ctx: ComponentContext) -> ProcessSpec:
        argv = [
            java_binary(self.name),
            *heap_args(self.heap_mb(ctx)),
            "-XX:+UseG1GC",
            "-Djava.awt.headless=true",
            "-jar",
            self.exec_jar(ctx),
            f"--armeria.ports[0].ip={bind_host(ctx)}",
            f"--armeria.ports[0].port={ctx.port}",
            "--armeria.ports[0].protocols[0]=http",
        ]
        env = {
            "STORAGE_TYPE": "mem",
            "MEM_MAX_SPANS": str(MEM_MAX_SPANS),
            "QUERY_PORT": str(ctx.port),
            "SELF_TRACING_ENABLED": "false",
        }
        return ProcessSpec(argv=argv, env=env, cwd=ctx.run_dir)

    def prepare(self, ctx: ComponentContext) -> None:
        ctx.run_dir.mkdir(parents=True, exist_ok=True)

    def check_ready(self, ctx: ComponentContext) -> None:
        url = f"http://{ctx.host}:{ctx.port}/health"
        try:
            response = httpx.get(url, timeout=3.0)
        except httpx.HTTPError as exc:
            raise NotReady(f"{url}: {exc}") from exc
        status = _status(response)
        if response.status_code != 200 or status != "UP":
            raise NotReady(f"{url} answered {response.status_code} with status {status}")

    def compose_service(self, ctx: ComponentContext) -> dict[str, Any]:
        version = ctx.spec.version or self.default_version
        return {
            "image": ctx.spec.image or f"openzipkin/zipkin:{version}",
            "environment": {
                "STORAGE_TYPE": "mem",
                "MEM_MAX_SPANS": str(MEM_MAX_SPANS),
                "JAVA_OPTS": " ".join(heap_args(self.heap_mb(ctx))),
            },
            "ports": [f"127.0.0.1:{ctx.port}:9411"],
            "healthcheck": {
                # The image ships this script; it calls /health.
                "test": ["CMD", "docker-healthcheck"],
                "interval": "5s",
                "timeout": "5s",
                "retries": 30,
                "start_period": "15s",
            },
        }


def _status(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return "unreadable"
    return str(body.get("status", "missing")) if isinstance(body, dict) else "unreadable"
