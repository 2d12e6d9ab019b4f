"""The real adapter's translation work, against a fake docker SDK client and a fake `docker` CLI.

No engine runs here, so these check what the adapter does with what the SDK
returns (inspect documents, log byte streams) and which `docker compose`
command lines it runs; tests/integration/test_docker_engine.py checks the same
adapter against a real engine where one answers.
"""

from __future__ import annotations

import json
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from ecomctl.runtime.docker.engine import (
    ComposeFailed,
    EngineUnavailable,
    LogRecord,
    docker_engine_available,
)
from ecomctl.runtime.docker.sdk import SdkDockerEngine

INSPECT = {
    "Name": "/shop-redis-1",
    "State": {
        "Status": "running",
        "ExitCode": 0,
        "StartedAt": "2025-03-01T10:00:00.123456789Z",
        "Health": {"Status": "healthy"},
    },
    "Config": {
        "Image": "redis:7",
        "Labels": {
            "com.docker.compose.project": "shop",
            "com.docker.compose.service": "redis",
            "io.ecomctl.component": "redis",
        },
    },
    "NetworkSettings": {
        "Ports": {
            "6379/tcp": [{"HostIp": "127.0.0.1", "HostPort": "46379"}],
            "6380/tcp": None,  # exposed, not published
            "53/udp": [{"HostIp": "127.0.0.1", "HostPort": "5353"}],
        }
    },
}


@dataclass
class FakeContainer:
    attrs: dict[str, Any]
    chunks: list[bytes] = field(default_factory=list)
    log_calls: list[dict[str, Any]] = field(default_factory=list)

    @property
    def name(self) -> str:
        return str(self.attrs["Name"]).lstrip("/")

    @property
    def labels(self) -> dict[str, str]:
        labels: dict[str, str] = self.attrs["Config"]["Labels"]
        return labels

    def logs(self, **options: Any) -> Iterator[bytes]:
        self.log_calls.append(options)
        return iter(self.chunks)


@dataclass
class FakeContainers:
    found: list[FakeContainer]
    filters: list[dict[str, Any]] = field(default_factory=list)

    def list(self, *, all: bool, filters: dict[str, Any]) -> list[FakeContainer]:
        assert all is True
        self.filters.append(filters)
        return self.found


@dataclass
class FakeClient:
    containers: FakeContainers

    def ping(self) -> bool:
        return True


def adapter(*found: FakeContainer, docker_cli: str = "docker") -> SdkDockerEngine:
    client: Any = FakeClient(FakeContainers(list(found)))
    return SdkDockerEngine(client=client, docker_cli=docker_cli)


def test_inspect_documents_become_container_info() -> None:
    [info] = adapter(FakeContainer(INSPECT)).containers("shop")
    assert (info.name, info.service, info.status, info.health) == (
        "shop-redis-1",
        "redis",
        "running",
        "healthy",
    )
    assert dict(info.ports) == {6379: 46379}
    assert info.started_at == datetime(2025, 3, 1, 10, 0, 0, 123456, tzinfo=UTC)
    assert info.image == "redis:7"


def test_containers_are_found_by_the_compose_project_label() -> None:
    engine = adapter()
    assert engine.containers("shop") == []
    client: Any = engine._client
    assert client.containers.filters == [{"label": "com.docker.compose.project=shop"}]


def test_a_never_started_container_has_no_start_time() -> None:
    created = {**INSPECT, "State": {"Status": "created", "StartedAt": "0001-01-01T00:00:00Z"}}
    [info] = adapter(FakeContainer(created)).containers("shop")
    assert (info.status, info.health, info.started_at) == ("created", None, None)


def test_log_chunks_are_split_into_lines_per_service() -> None:
    redis = FakeContainer(INSPECT, chunks=[b"Ready to ", b"accept\r\nsecond\n", b"no newline"])
    other_attrs = json.loads(json.dumps(INSPECT))
    other_attrs["Config"]["Labels"]["com.docker.compose.service"] = "kafka"
    kafka = FakeContainer(other_attrs, chunks=[b"kafka line\n"])
    records = list(adapter(redis, kafka).logs("shop", ["redis"], follow=True, tail=5))
    assert records == [
        LogRecord("redis", "Ready to accept"),
        LogRecord("redis", "second"),
        LogRecord("redis", "no newline"),
    ]
    assert redis.log_calls == [{"stream": True, "follow": True, "tail": 5}]
    assert kafka.log_calls == []


@pytest.fixture
def fake_cli(tmp_path: Path) -> tuple[Path, Path]:
    """A `docker` stand-in that records its argv and fails when FAIL is set."""
    record = tmp_path / "argv.json"
    script = tmp_path / "docker"
    script.write_text(
        "#!/usr/bin/env python3\n"
        "import json, os, sys\n"
        f"open({str(record)!r}, 'w').write(json.dumps(sys.argv[1:]))\n"
        "if os.environ.get('FAIL'):\n"
        "    print('Container shop-redis-1  Waiting', flush=True)\n"
        "    print('container shop-redis-1 is unhealthy', file=sys.stderr)\n"
        "    sys.exit(1)\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return script, record


def test_compose_up_runs_the_compose_cli_with_wait(fake_cli: tuple[Path, Path]) -> None:
    script, record = fake_cli
    engine = adapter(docker_cli=str(script))
    engine.compose_up(
        "shop", Path("/ws/c.yaml"), ["redis"], profiles=["infra"], wait_timeout_s=90.5
    )
    assert json.loads(record.read_text()) == [
        "compose", "--project-name", "shop", "--file", "/ws/c.yaml", "--profile", "infra",
        "up", "--detach", "--wait", "--wait-timeout", "90", "redis",
    ]  # fmt: skip


def test_compose_down_with_volumes(fake_cli: tuple[Path, Path]) -> None:
    script, record = fake_cli
    adapter(docker_cli=str(script)).compose_down(
        "shop", Path("c.yaml"), profiles=["infra", "services"], volumes=True
    )
    argv = json.loads(record.read_text())
    assert argv[-3:] == ["down", "--remove-orphans", "--volumes"]
    assert argv.count("--profile") == 2


def test_a_failing_compose_names_its_last_line(
    fake_cli: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    script, _ = fake_cli
    monkeypatch.setenv("FAIL", "1")
    with pytest.raises(ComposeFailed) as failure:
        adapter(docker_cli=str(script)).compose_up(
            "shop", Path("c.yaml"), [], profiles=["infra"], wait_timeout_s=60
        )
    assert str(failure.value) == "docker compose up failed: container shop-redis-1 is unhealthy"
    assert "Waiting" in failure.value.output


def test_a_missing_docker_cli_is_engine_unavailable(tmp_path: Path) -> None:
    engine = adapter(docker_cli=str(tmp_path / "no-docker"))
    with pytest.raises(EngineUnavailable, match="not on PATH"):
        engine.compose_down("shop", Path("c.yaml"), profiles=["infra"], volumes=False)


def test_no_engine_at_docker_host(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/absent.sock")
    assert docker_engine_available(1.0) is False
    with pytest.raises(EngineUnavailable):
        SdkDockerEngine(timeout_s=1).ping()
