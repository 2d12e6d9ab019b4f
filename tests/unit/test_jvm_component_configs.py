"""Kafka, OpenSearch and Zipkin: configs, command lines and compose services, no servers."""

from __future__ import annotations

import dataclasses
import os
import stat
from pathlib import Path
from typing import Any

import pytest

from ecomctl.errors import ComponentFailed
from ecomctl.infra.component import ComponentContext, Installation
from ecomctl.infra.components import kafka as kafka_mod
from ecomctl.infra.components import search as search_mod
from ecomctl.infra.components._jvm import java_binary
from ecomctl.infra.components.kafka import KafkaComponent
from ecomctl.infra.components.search import SearchComponent
from ecomctl.infra.components.zipkin import ZipkinComponent
from ecomctl.infra.provision.maven import read_manifest
from ecomctl.stack.model import Stack

OFFSET = 100


def make_stack() -> Stack:
    return Stack.model_validate(
        {
            "name": "shop",
            "infra": {
                "kafka": {"port": 9092, "extra_ports": {"controller": 9093}, "heap_mb": 384},
                "search": {"port": 9200, "extra_ports": {"transport": 9300}},
                "zipkin": {"port": 9411, "heap_mb": 128},
            },
            "topics": [
                {"name": "order-created-events", "partitions": 6},
                {"name": "audit", "partitions": 1, "dlq": False},
            ],
        }
    )


def make_ctx(
    name: str, tmp_path: Path, installation: Installation | None = None
) -> ComponentContext:
    stack = make_stack()
    spec = stack.infra[name]
    return ComponentContext(
        name=name,
        spec=spec,
        stack=stack,
        port=spec.port + OFFSET,
        ports={key: port + OFFSET for key, port in spec.extra_ports.items()},
        host="127.0.0.1",
        data_dir=tmp_path / "data" / name,
        run_dir=tmp_path / "run" / name,
        log_file=tmp_path / "logs" / f"{name}.log",
        installation=installation
        or Installation(name, "1.0", "maven", {"home": "/opt/x", "lib": "/opt/x/lib"}),
    )


def properties(text: str) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in text.splitlines() if line and line[0] != "#")
    return dict(pairs)


# --- Kafka -------------------------------------------------------------------------------


def test_server_properties_describe_one_kraft_node_on_loopback(tmp_path: Path) -> None:
    ctx = make_ctx("kafka", tmp_path)
    props = properties(kafka_mod.server_properties(ctx))
    assert props["process.roles"] == "broker,controller"
    assert props["node.id"] == "1"
    assert props["listeners"] == "PLAINTEXT://127.0.0.1:9192,CONTROLLER://127.0.0.1:9193"
    assert props["advertised.listeners"] == "PLAINTEXT://127.0.0.1:9192"
    assert props["controller.quorum.voters"] == "1@127.0.0.1:9193"
    assert props["log.dirs"] == str(tmp_path / "data" / "kafka" / "kraft-logs")
    assert props["auto.create.topics.enable"] == "false"
    assert props["group.initial.rebalance.delay.ms"] == "0"
    for key in (
        "offsets.topic.replication.factor",
        "transaction.state.log.replication.factor",
        "transaction.state.log.min.isr",
    ):
        assert props[key] == "1"


def test_cluster_id_is_made_once_per_data_dir(tmp_path: Path) -> None:
    first = kafka_mod.cluster_id(tmp_path)
    assert len(first) == 22 and "=" not in first
    assert kafka_mod.cluster_id(tmp_path) == first
    assert (tmp_path / "cluster.id").read_text().strip() == first


def test_kafka_process_runs_kafka_main_with_the_stack_heap(tmp_path: Path) -> None:
    ctx = make_ctx("kafka", tmp_path)
    argv = KafkaComponent().process(ctx).argv
    assert argv[-2:] == ["kafka.Kafka", str(ctx.run_dir / "server.properties")]
    assert "-Xmx384m" in argv and "-Xms384m" in argv
    assert argv[argv.index("-cp") + 1] == "/opt/x/lib/*"
    assert f"-Dlog4j2.configurationFile={ctx.run_dir / 'log4j2.properties'}" in argv


def test_prepare_formats_only_an_unformatted_data_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[list[str]] = []

    def fake_run(argv: list[str], **_: Any) -> Any:
        calls.append(argv)
        (tmp_path / "data" / "kafka" / "kraft-logs").mkdir(parents=True, exist_ok=True)
        (tmp_path / "data" / "kafka" / "kraft-logs" / "meta.properties").write_text("")
        return dataclasses.make_dataclass("R", ["returncode", "stdout", "stderr"])(0, "", "")

    monkeypatch.setattr("ecomctl.infra.components.kafka.subprocess.run", fake_run)
    ctx = make_ctx("kafka", tmp_path)
    KafkaComponent().prepare(ctx)
    KafkaComponent().prepare(ctx)
    assert len(calls) == 1
    assert calls[0][calls[0].index("kafka.tools.StorageTool") + 1] == "format"
    assert f"--cluster-id={kafka_mod.cluster_id(ctx.data_dir)}" in calls[0]
    assert (ctx.run_dir / "server.properties").is_file()
    assert "SYSTEM_OUT" in (ctx.run_dir / "log4j2.properties").read_text()


def test_wanted_topics_add_a_dlq_with_the_same_partitions(tmp_path: Path) -> None:
    assert kafka_mod.wanted_topics(make_ctx("kafka", tmp_path)) == [
        ("order-created-events", 6, 1),
        ("order-created-events.DLQ", 6, 1),
        ("audit", 1, 1),
    ]


class FakeFuture:
    def result(self, timeout: float) -> None:
        return None


class FakeAdmin:
    """Just enough of confluent_kafka's AdminClient for ensure_topics."""

    def __init__(self, existing: set[str]) -> None:
        self.existing = existing
        self.requested: list[Any] = []

    def list_topics(self, timeout: float) -> Any:
        return dataclasses.make_dataclass("Meta", ["topics"])({t: None for t in self.existing})

    def create_topics(self, topics: list[Any], operation_timeout: float) -> dict[str, FakeFuture]:
        self.requested = topics
        return {t.topic: FakeFuture() for t in topics}


def test_ensure_topics_creates_only_missing_topics() -> None:
    admin = FakeAdmin({"a"})
    created = kafka_mod.ensure_topics(admin, [("a", 3, 1), ("b", 6, 1)])
    assert created == ["b"]
    assert [(t.topic, t.num_partitions) for t in admin.requested] == [("b", 6)]
    assert kafka_mod.ensure_topics(FakeAdmin({"a", "b"}), [("a", 3, 1), ("b", 6, 1)]) == []


def test_kafka_home_is_preferred_and_versioned_from_its_jar(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    libs = tmp_path / "kafka_2.13-4.2.0" / "libs"
    libs.mkdir(parents=True)
    (libs / "kafka_2.13-4.2.0.jar").write_text("")
    monkeypatch.setenv("KAFKA_HOME", str(libs.parent))
    found = KafkaComponent().locate(tmp_path / "cache")
    assert found is not None and (found.version, found.source) == ("4.2.0", "env")
    assert found.path("lib") == libs
    monkeypatch.setenv("KAFKA_HOME", str(tmp_path / "nothing"))
    assert KafkaComponent().locate(tmp_path / "cache") is None


def test_kafka_compose_service_uses_kraft_env_and_loopback_port(tmp_path: Path) -> None:
    service = KafkaComponent().compose_service(make_ctx("kafka", tmp_path))
    assert service["image"] == "apache/kafka:4.3.1"
    assert service["ports"] == ["127.0.0.1:9192:9092"]
    assert service["environment"]["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert "HOST://127.0.0.1:9192" in service["environment"]["KAFKA_ADVERTISED_LISTENERS"]
    assert service["healthcheck"]["test"][0] == "CMD-SHELL"
    assert service["volumes"] == ["kafka-data:/var/lib/kafka/data"]


# --- OpenSearch --------------------------------------------------------------------------


def test_opensearch_yml_binds_loopback_single_node(tmp_path: Path) -> None:
    yml = search_mod.opensearch_yml(make_ctx("search", tmp_path))
    for line in (
        "network.host: 127.0.0.1",
        "http.port: 9300",
        "transport.port: 9400",
        "discovery.type: single-node",
    ):
        assert line in yml.splitlines()


def test_search_argv_passes_base_path_data_cluster_and_port(tmp_path: Path) -> None:
    ctx = make_ctx("search", tmp_path)
    argv = SearchComponent().argv(ctx)
    assert "-Xmx512m" in argv
    assert argv[argv.index("-basePath") + 1] == str(ctx.run_dir / "opensearch")
    assert argv[argv.index("-dataPath") + 1] == str(ctx.data_dir)
    assert argv[argv.index("-numOfNode") + 1] == "1"
    assert argv[argv.index("-clusterName") + 1] == "ecomctl-shop"
    assert argv[argv.index("-baseHttpPort") + 1] == "9299"  # the runner adds the node number


def test_search_uses_the_compiled_launcher_when_installed(tmp_path: Path) -> None:
    paths = {"home": "/c", "lib": "/c/lib", "launcher": "/c/launcher"}
    ctx = make_ctx("search", tmp_path, Installation("search", "2.19.1.0", "maven", paths))
    argv = SearchComponent().argv(ctx)
    assert argv[argv.index("-cp") + 1] == f"/c/launcher{os.pathsep}/c/lib/*"
    assert argv[argv.index("-cp") + 2] == search_mod.LAUNCHER_MAIN
    assert "setMaxHttpPort(-1)" in search_mod.LAUNCHER_SOURCE


def test_search_prepare_writes_node_config_where_the_runner_reads_it(tmp_path: Path) -> None:
    paths = {"home": "/c", "lib": "/c/lib", "launcher": "/c/launcher"}
    ctx = make_ctx("search", tmp_path, Installation("search", "2.19.1.0", "maven", paths))
    SearchComponent().prepare(ctx)
    config = ctx.run_dir / "opensearch" / "node_1" / "config"
    assert "discovery.type: single-node" in (config / "opensearch.yml").read_text()
    assert "type = Console" in (config / "log4j2.properties").read_text()


def test_search_without_launcher_refuses_ports_the_runner_cannot_bind(tmp_path: Path) -> None:
    ctx = dataclasses.replace(make_ctx("search", tmp_path), port=29200)
    with pytest.raises(ComponentFailed, match="above 9299"):
        SearchComponent().prepare(ctx)


def test_search_compose_service_disables_security_and_checks_health(tmp_path: Path) -> None:
    service = SearchComponent().compose_service(make_ctx("search", tmp_path))
    env = service["environment"]
    assert service["image"] == "opensearchproject/opensearch:2"
    assert env["discovery.type"] == "single-node"
    assert env["DISABLE_SECURITY_PLUGIN"] == "true"
    assert env["OPENSEARCH_JAVA_OPTS"] == "-Xms512m -Xmx512m"
    assert service["ports"] == ["127.0.0.1:9300:9200"]
    assert "_cluster/health" in service["healthcheck"]["test"][1]


# --- Zipkin ------------------------------------------------------------------------------


def test_zipkin_runs_its_exec_jar_on_loopback_with_memory_storage(tmp_path: Path) -> None:
    ctx = make_ctx("zipkin", tmp_path, Installation("zipkin", "3.6.1", "maven", {"lib": "/z"}))
    spec = ZipkinComponent().process(ctx)
    assert spec.argv[spec.argv.index("-jar") + 1] == "/z/zipkin-server-3.6.1-exec.jar"
    assert "-Xmx128m" in spec.argv
    assert "--armeria.ports[0].ip=127.0.0.1" in spec.argv
    assert "--armeria.ports[0].port=9511" in spec.argv
    assert spec.env["STORAGE_TYPE"] == "mem" and spec.env["QUERY_PORT"] == "9511"


def test_zipkin_compose_service(tmp_path: Path) -> None:
    service = ZipkinComponent().compose_service(make_ctx("zipkin", tmp_path))
    assert service["image"] == "openzipkin/zipkin:3.6.1"
    assert service["ports"] == ["127.0.0.1:9511:9411"]
    assert service["environment"]["STORAGE_TYPE"] == "mem"


# --- shared ------------------------------------------------------------------------------


def test_install_records_a_manifest_that_locate_finds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    mvn = bin_dir / "mvn"
    mvn.write_text(
        '#!/bin/sh\nfor a in "$@"; do case "$a" in -DoutputDirectory=*) o="${a#*=}";; esac; done\n'
        'mkdir -p "$o" && : > "$o/zipkin-server-3.6.1-exec.jar"\n'
    )
    mvn.chmod(mvn.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    cache = tmp_path / "cache"
    component = ZipkinComponent()
    assert component.locate(cache) is None
    installed = component.install(cache, progress=lambda line: None)
    assert installed.version == "3.6.1" and installed.source == "maven"
    assert installed.path("lib") == cache / "zipkin" / "3.6.1" / "lib"
    assert component.locate(cache) == installed == read_manifest(cache / "zipkin" / "3.6.1")


def test_java_home_without_java_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JAVA_HOME", str(tmp_path))
    with pytest.raises(ComponentFailed, match="has no bin/java"):
        java_binary("kafka")
