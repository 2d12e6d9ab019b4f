"""Prometheus from the Debian package, scraping itself and every enabled service.

The scrape configuration is rebuilt by every `up` (it lives in the run
directory), so enabling a service in the stack file is enough for its
`/metrics` to be collected.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx
import yaml

from ecomctl.alerts import RULES_FILE, render_rules
from ecomctl.infra.component import ComponentContext, NotReady, ProcessSpec, bind_host
from ecomctl.infra.components._debian import DebianPackagedComponent
from ecomctl.stack.model import Stack

GATEWAY_KIND = "gateway"  # ecomctl.runtime.services.GATEWAY_KIND (not imported: a cycle)

PACKAGES = ("prometheus",)
DEBIAN_DIRS = (Path("/usr/bin"),)
DEFAULT_IMAGE = "prom/prometheus"
CONFIG = "prometheus.yml"
DOCKER_CONFIG = "prometheus-docker.yml"
RETENTION = "7d"  # a laptop keeps a week of history


def scrape_config(
    stack: Stack,
    *,
    self_target: str,
    service_host: str | None,
    offset: int,
    metrics_token: str = "",
) -> dict[str, Any]:
    """The prometheus.yml document.

    `service_host` None means each service is reached by its own name (compose
    network, container ports); otherwise at that host with the port offset.
    """
    jobs: list[dict[str, Any]] = [
        {"job_name": "prometheus", "static_configs": [{"targets": [self_target]}]}
    ]
    for name, service in stack.services.items():
        if not service.enabled:
            continue
        target = (
            f"{name}:{service.port}"
            if service_host is None
            else f"{service_host}:{service.port + offset}"
        )
        job: dict[str, Any] = {
            "job_name": name,
            "metrics_path": "/metrics",
            "static_configs": [{"targets": [target], "labels": {"service": name}}],
        }
        if service.template == GATEWAY_KIND and metrics_token:
            # The gateway is the edge: its /metrics needs ADMIN or this token.
            job["authorization"] = {"type": "Bearer", "credentials": metrics_token}
        jobs.append(job)
    interval = stack.observability.scrape_interval
    return {
        "global": {"scrape_interval": interval, "evaluation_interval": interval},
        # Beside prometheus.yml: recording rules (the RED figures) and the alerts.
        "rule_files": [RULES_FILE],
        "scrape_configs": jobs,
    }


def write_config(directory: Path, document: dict[str, Any], stack: Stack, *, name: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / RULES_FILE).write_text(render_rules(stack))
    config = directory / name
    config.write_text(yaml.safe_dump(document, sort_keys=False))
    return config


def server_argv(server: Path, ctx: ComponentContext) -> list[str]:
    return [
        str(server),
        f"--config.file={ctx.run_dir / CONFIG}",
        f"--storage.tsdb.path={ctx.data_dir}",
        f"--storage.tsdb.retention.time={RETENTION}",
        f"--web.listen-address={bind_host(ctx)}:{ctx.port}",
        "--web.enable-lifecycle",  # lets `up` reload the scrape config without a restart
    ]


class PrometheusComponent(DebianPackagedComponent):
    name = "prometheus"
    description = "Prometheus (metrics)"
    default_port = 9090
    ready_timeout_s = 60.0
    packages = PACKAGES
    system_services = ("prometheus",)
    server_names = ("prometheus",)

    def debian_dirs(self) -> Sequence[Path]:
        return DEBIAN_DIRS

    def prepare(self, ctx: ComponentContext) -> None:
        ctx.data_dir.mkdir(parents=True, exist_ok=True)
        ctx.run_dir.mkdir(parents=True, exist_ok=True)
        document = scrape_config(
            ctx.stack,
            self_target=f"{ctx.host}:{ctx.port}",
            service_host=ctx.host,
            offset=ctx.port - ctx.spec.port,
            metrics_token=ctx.metrics_token,
        )
        # It holds the token the gateway's /metrics asks for: the owner's alone.
        write_config(ctx.run_dir, document, ctx.stack, name=CONFIG).chmod(0o600)

    def process(self, ctx: ComponentContext) -> ProcessSpec:
        assert ctx.installation is not None
        return ProcessSpec(argv=server_argv(ctx.installation.path("server"), ctx), cwd=ctx.data_dir)

    def check_ready(self, ctx: ComponentContext) -> None:
        base = f"http://{ctx.host}:{ctx.port}"
        try:
            with httpx.Client(base_url=base, timeout=3) as client:
                client.get("/-/ready").raise_for_status()
                answer = client.get("/api/v1/query", params={"query": "up"})
                answer.raise_for_status()
                if answer.json().get("status") != "success":
                    raise NotReady(f"query up answered {answer.text[:200]}")
        except (httpx.HTTPError, ValueError) as exc:
            raise NotReady(str(exc)) from exc

    def compose_service(self, ctx: ComponentContext) -> dict[str, Any]:
        document = scrape_config(
            ctx.stack,
            self_target="localhost:9090",
            service_host=None,
            offset=0,
            metrics_token=ctx.metrics_token,
        )
        config = write_config(ctx.run_dir, document, ctx.stack, name=DOCKER_CONFIG)
        return {
            "image": ctx.spec.image or DEFAULT_IMAGE,
            "command": [
                "--config.file=/etc/prometheus/prometheus.yml",
                "--storage.tsdb.path=/prometheus",
                f"--storage.tsdb.retention.time={RETENTION}",
                "--web.enable-lifecycle",
            ],
            "ports": [f"127.0.0.1:{ctx.port}:9090"],
            "volumes": [
                f"{config}:/etc/prometheus/prometheus.yml:ro",
                f"{ctx.run_dir / RULES_FILE}:/etc/prometheus/{RULES_FILE}:ro",
                f"{ctx.name}-data:/prometheus",
            ],
            "healthcheck": {
                "test": ["CMD", "wget", "-q", "--spider", "http://localhost:9090/-/ready"],
                "interval": "5s",
                "timeout": "3s",
                "retries": 20,
            },
        }
