"""Apache Kafka 4.x as one KRaft node (broker and controller in one JVM).

Locally the jars come from Maven Central (or `$KAFKA_HOME/libs` when the user
has a distribution). Kafka's Maven jars log through SLF4J 1.7 but bind no
backend, so the install adds Log4j 2 with its SLF4J 1.x binding, and `prepare`
writes a Log4j 2 config that sends everything to stdout, where the runtime
captures it into the component's log file.
"""

from __future__ import annotations

import base64
import os
import re
import subprocess
import uuid
from pathlib import Path
from typing import Any

from ecomctl.config import KAFKA_HOME
from ecomctl.errors import ComponentFailed
from ecomctl.infra.component import (
    ComponentContext,
    Installation,
    NotReady,
    ProcessSpec,
    bind_host,
)
from ecomctl.infra.components._jvm import MavenJvmComponent, heap_args, java_binary
from ecomctl.infra.provision.maven import Artifact

LOG4J_VERSION = "2.26.1"
CLUSTER_ID_FILE = "cluster.id"
INTERNAL_PORT = 19092  # the listener other containers use (docker runtime)
_KAFKA_JAR = re.compile(r"^kafka_(?P<scala>[\d.]+)-(?P<version>\d[\w.-]*)\.jar$")


class KafkaComponent(MavenJvmComponent):
    name = "kafka"
    description = "Apache Kafka, one KRaft node"
    default_port = 9092
    extra_ports = {"controller": 9093}  # noqa: RUF012 - class-level default, never mutated
    default_version = "4.3.1"
    default_heap_mb = 512
    ready_timeout_s = 120.0  # a cold JVM on 2 cores takes 10-20 s, more under load

    def artifacts(self, version: str) -> list[Artifact]:
        return [
            Artifact("org.apache.kafka", "kafka_2.13", version),
            Artifact("org.apache.logging.log4j", "log4j-slf4j-impl", LOG4J_VERSION),
            Artifact("org.apache.logging.log4j", "log4j-core", LOG4J_VERSION),
        ]

    def locate(self, cache_dir: Path) -> Installation | None:
        return locate_kafka_home() or super().locate(cache_dir)

    def prepare(self, ctx: ComponentContext) -> None:
        ctx.run_dir.mkdir(parents=True, exist_ok=True)
        ctx.data_dir.mkdir(parents=True, exist_ok=True)
        (ctx.run_dir / "server.properties").write_text(server_properties(ctx))
        (ctx.run_dir / "log4j2.properties").write_text(LOG4J2_PROPERTIES)
        if not (log_dir(ctx) / "meta.properties").is_file():
            self._format_storage(ctx)

    def _format_storage(self, ctx: ComponentContext) -> None:
        """Write meta.properties once per data dir, as `kafka-storage.sh format` does."""
        argv = [
            *self._java_prefix(ctx, heap_mb=256),
            "kafka.tools.StorageTool",
            "format",
            # One argument: an id may start with "-", which argparse would take for an option.
            f"--cluster-id={cluster_id(ctx.data_dir)}",
            "--config",
            str(ctx.run_dir / "server.properties"),
            "--ignore-formatted",
        ]
        result = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)
        if result.returncode != 0:
            raise ComponentFailed(
                self.name,
                f"formatting the KRaft storage in {log_dir(ctx)} failed",
                log_tail=(result.stdout + result.stderr)[-4000:],
            )

    def _java_prefix(self, ctx: ComponentContext, *, heap_mb: int) -> list[str]:
        return [
            java_binary(self.name),
            *heap_args(heap_mb),
            "-XX:+UseG1GC",
            "-Djava.awt.headless=true",
            f"-Dlog4j2.configurationFile={ctx.run_dir / 'log4j2.properties'}",
            "-cp",
            self.classpath(ctx),
        ]

    def process(self, ctx: ComponentContext) -> ProcessSpec:
        argv = [
            *self._java_prefix(ctx, heap_mb=self.heap_mb(ctx)),
            "kafka.Kafka",
            str(ctx.run_dir / "server.properties"),
        ]
        return ProcessSpec(argv=argv, cwd=ctx.run_dir, stop_timeout_s=30.0)

    def check_ready(self, ctx: ComponentContext) -> None:
        from confluent_kafka import KafkaException

        try:
            metadata = admin_client(ctx).list_topics(timeout=3)
        except KafkaException as exc:
            raise NotReady(f"no broker answers on {bootstrap(ctx)}: {exc}") from exc
        if not metadata.brokers:
            raise NotReady(f"{bootstrap(ctx)} answered without any broker")

    def after_ready(self, ctx: ComponentContext) -> None:
        ensure_topics(admin_client(ctx), wanted_topics(ctx))

    def compose_service(self, ctx: ComponentContext) -> dict[str, Any]:
        version = ctx.spec.version or self.default_version
        heap = self.heap_mb(ctx)
        return {
            "image": ctx.spec.image or f"apache/kafka:{version}",
            "environment": {
                "KAFKA_NODE_ID": "1",
                "KAFKA_PROCESS_ROLES": "broker,controller",
                # INTERNAL for other containers (kafka:19092), HOST for the laptop.
                "KAFKA_LISTENERS": "INTERNAL://:19092,HOST://:9092,CONTROLLER://:9093",
                "KAFKA_ADVERTISED_LISTENERS": (
                    f"INTERNAL://{ctx.name}:19092,HOST://127.0.0.1:{ctx.port}"
                ),
                "KAFKA_LISTENER_SECURITY_PROTOCOL_MAP": (
                    "INTERNAL:PLAINTEXT,HOST:PLAINTEXT,CONTROLLER:PLAINTEXT"
                ),
                "KAFKA_INTER_BROKER_LISTENER_NAME": "INTERNAL",
                "KAFKA_CONTROLLER_LISTENER_NAMES": "CONTROLLER",
                "KAFKA_CONTROLLER_QUORUM_VOTERS": "1@localhost:9093",
                "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR": "1",
                "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR": "1",
                "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR": "1",
                "KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS": "0",
                "KAFKA_NUM_PARTITIONS": "3",
                "KAFKA_AUTO_CREATE_TOPICS_ENABLE": "false",
                "KAFKA_LOG_DIRS": "/var/lib/kafka/data",
                "KAFKA_HEAP_OPTS": " ".join(heap_args(heap)),
            },
            "ports": [f"127.0.0.1:{ctx.port}:9092"],
            "volumes": [f"{ctx.name}-data:/var/lib/kafka/data"],
            "healthcheck": {
                "test": [
                    "CMD-SHELL",
                    "/opt/kafka/bin/kafka-broker-api-versions.sh"
                    " --bootstrap-server 127.0.0.1:9092 >/dev/null 2>&1",
                ],
                "interval": "5s",
                "timeout": "10s",
                "retries": 30,
                "start_period": "20s",
            },
        }


def locate_kafka_home() -> Installation | None:
    """A distribution the user pointed KAFKA_HOME at, identified by its kafka_*.jar."""
    home = os.environ.get(KAFKA_HOME, "").strip()
    if not home:
        return None
    libs = Path(home).expanduser() / "libs"
    for jar in sorted(libs.glob("kafka_*.jar")):
        match = _KAFKA_JAR.match(jar.name)
        if match:
            return Installation(
                component="kafka",
                version=match["version"],
                source="env",
                paths={"home": str(libs.parent), "lib": str(libs)},
            )
    return None


def bootstrap(ctx: ComponentContext) -> str:
    return f"{ctx.host}:{ctx.port}"


def controller_port(ctx: ComponentContext) -> int:
    return ctx.ports.get("controller", ctx.port + 1)


def log_dir(ctx: ComponentContext) -> Path:
    return ctx.data_dir / "kraft-logs"


def cluster_id(data_dir: Path) -> str:
    """The cluster id of this data dir, made once (Kafka's 22-char URL-safe base64 UUID)."""
    path = data_dir / CLUSTER_ID_FILE
    if path.is_file():
        return path.read_text().strip()
    value = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
    path.write_text(value + "\n")
    return value


def server_properties(ctx: ComponentContext) -> str:
    """server.properties for one combined broker+controller, sized for a laptop."""
    host, cport = ctx.host, controller_port(ctx)
    settings: dict[str, object] = {
        "process.roles": "broker,controller",
        "node.id": 1,
        "controller.quorum.voters": f"1@{host}:{cport}",
        **listener_settings(ctx),
        "controller.listener.names": "CONTROLLER",
        "log.dirs": str(log_dir(ctx)),
        "num.partitions": 3,
        "default.replication.factor": 1,
        "min.insync.replicas": 1,
        "offsets.topic.replication.factor": 1,
        "offsets.topic.num.partitions": 10,
        "transaction.state.log.replication.factor": 1,
        "transaction.state.log.min.isr": 1,
        "transaction.state.log.num.partitions": 5,
        "share.coordinator.state.topic.replication.factor": 1,
        "share.coordinator.state.topic.min.isr": 1,
        "group.initial.rebalance.delay.ms": 0,
        "auto.create.topics.enable": "false",
        "num.network.threads": 2,
        "num.io.threads": 4,
        "num.recovery.threads.per.data.dir": 1,
        "log.retention.hours": 168,
        "log.segment.bytes": 64 * 1024 * 1024,
        "log.retention.check.interval.ms": 300000,
    }
    lines = ["# Written by ecomctl on every start; edit the stack file instead."]
    lines += [f"{key}={value}" for key, value in settings.items()]
    return "\n".join(lines) + "\n"


def listener_settings(ctx: ComponentContext) -> dict[str, object]:
    """One PLAINTEXT listener on the host; in a container a second one, INTERNAL, that
    advertises the container's name to the other containers (PLAINTEXT advertises the
    127.0.0.1 port published for the host)."""
    host, port, cport = ctx.host, ctx.port, controller_port(ctx)
    if not ctx.container_name:
        return {
            "listeners": f"PLAINTEXT://{host}:{port},CONTROLLER://{host}:{cport}",
            "advertised.listeners": f"PLAINTEXT://{host}:{port}",
            "inter.broker.listener.name": "PLAINTEXT",
            "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
        }
    any_host = bind_host(ctx)
    return {
        "listeners": (
            f"PLAINTEXT://{any_host}:{port},INTERNAL://{any_host}:{INTERNAL_PORT},"
            f"CONTROLLER://{host}:{cport}"
        ),
        "advertised.listeners": (
            f"PLAINTEXT://{host}:{port},INTERNAL://{ctx.container_name}:{INTERNAL_PORT}"
        ),
        "inter.broker.listener.name": "INTERNAL",
        "listener.security.protocol.map": (
            "PLAINTEXT:PLAINTEXT,INTERNAL:PLAINTEXT,CONTROLLER:PLAINTEXT"
        ),
    }


def admin_client(ctx: ComponentContext) -> Any:
    from confluent_kafka.admin import AdminClient

    # log_level 0 keeps librdkafka quiet about refused connections while the broker boots.
    return AdminClient({"bootstrap.servers": bootstrap(ctx), "log_level": 0})


def wanted_topics(ctx: ComponentContext) -> list[tuple[str, int, int]]:
    """(name, partitions, replication factor) of every topic and DLQ the stack declares."""
    topics: list[tuple[str, int, int]] = []
    for topic in ctx.stack.topics:
        topics.append((topic.name, topic.partitions, topic.replication_factor))
        if topic.dlq:
            topics.append((f"{topic.name}.DLQ", topic.partitions, topic.replication_factor))
    return topics


def ensure_topics(admin: Any, topics: list[tuple[str, int, int]]) -> list[str]:
    """Create the topics that do not exist yet; returns the names created."""
    from confluent_kafka import KafkaError, KafkaException
    from confluent_kafka.admin import NewTopic  # type: ignore[attr-defined]

    existing = set(admin.list_topics(timeout=10).topics)
    new = [
        NewTopic(n, num_partitions=p, replication_factor=r)
        for n, p, r in topics
        if n not in existing
    ]
    if not new:
        return []
    created: list[str] = []
    for name, future in admin.create_topics(new, operation_timeout=30).items():
        try:
            future.result(timeout=60)
            created.append(name)
        except KafkaException as exc:
            # Another `up` may have created it between our listing and our request.
            if exc.args[0].code() != KafkaError.TOPIC_ALREADY_EXISTS:
                raise ComponentFailed("kafka", f"creating topic {name} failed: {exc}") from exc
    return created


# Everything at INFO to stdout; the chatty request/state-change loggers stay at WARN.
LOG4J2_PROPERTIES = """\
# Written by ecomctl: Kafka logs to stdout, which ecomctl captures.
status = warn
appender.stdout.type = Console
appender.stdout.name = STDOUT
appender.stdout.target = SYSTEM_OUT
appender.stdout.layout.type = PatternLayout
appender.stdout.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.stdout.ref = STDOUT
logger.request.name = kafka.request.logger
logger.request.level = WARN
logger.state.name = state.change.logger
logger.state.level = WARN
logger.controller.name = kafka.controller
logger.controller.level = INFO
"""
