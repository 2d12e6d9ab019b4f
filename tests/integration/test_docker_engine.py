"""The real Docker adapter and runtime, run only where a Docker engine answers.

Machines without one (this project's CI among them) skip this module with the
reason shown by `pytest -ra`; the same contract runs against the fake engine in
tests/unit/test_docker_runtime.py on every run.
"""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from ecomctl.runtime.base import UpEvent
from ecomctl.runtime.docker.engine import docker_engine_available
from ecomctl.runtime.docker.runtime import DockerRuntime
from ecomctl.runtime.docker.sdk import SdkDockerEngine
from ecomctl.stack.model import Stack
from ecomctl.workspace import Workspace
from tests.unit.fake_docker import ContractProject, DockerEngineContract, write_contract_project

ENGINE_ANSWERS = docker_engine_available(5.0)

pytestmark = [
    pytest.mark.integration,
    pytest.mark.docker,
    pytest.mark.skipif(
        not ENGINE_ANSWERS,
        reason="no Docker engine answers here (or `docker compose` is missing): "
        "the docker runtime is covered by unit tests against a fake engine instead",
    ),
]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class TestRealEngineMeetsTheContract(DockerEngineContract):
    @pytest.fixture
    def engine(self) -> SdkDockerEngine:
        return SdkDockerEngine()

    @pytest.fixture
    def project(self, engine: SdkDockerEngine, tmp_path: Path) -> Iterator[ContractProject]:
        project = write_contract_project(tmp_path, free_port())
        try:
            yield project
        finally:
            engine.compose_down(
                project.name, project.compose_file, profiles=["infra"], volumes=True
            )


def test_docker_runtime_brings_up_a_real_redis(tmp_path: Path) -> None:
    stack = Stack.model_validate(
        {"name": f"ecomctl-it-{uuid.uuid4().hex[:8]}", "infra": {"redis": {"port": free_port()}}}
    )
    runtime = DockerRuntime(stack, Workspace(tmp_path / "ws"))
    events: list[UpEvent] = []
    try:
        [row] = runtime.up([], port_offset=0, on_event=events.append)
        assert (row.name, row.state, row.runtime) == ("redis", "ready", "docker")
        client = redis.Redis(host="127.0.0.1", port=row.port, socket_timeout=5)
        assert client.ping() is True
        assert ("redis", "ready") in [(e.component, e.phase) for e in events]
        assert any(line.component == "redis" for line in runtime.logs([], follow=False, tail=20))
    finally:
        runtime.down(volumes=True, on_event=events.append)
    assert [row.state for row in runtime.status()] == ["stopped"]
