"""The real Docker adapter and runtime, against the engine scripts/ensure-docker starts.

scripts/test runs scripts/ensure-docker first (Debian's docker.io, dockerd, the compose
plugin), so in CI these tests run; on a machine without an engine they skip with the
reason shown by `pytest -ra`. No image can be pulled here: everything runs on the
images `ecomctl images build` makes (`--images local`), built once per session and
kept between runs by their content-hash labels.
"""

from __future__ import annotations

import itertools
import os
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from ecomctl.runtime.base import UpEvent
from ecomctl.runtime.docker.engine import docker_engine_available
from ecomctl.runtime.docker.local_images import image_name
from ecomctl.runtime.docker.runtime import DockerRuntime
from ecomctl.runtime.docker.sdk import SdkDockerEngine
from ecomctl.stack.model import Stack
from ecomctl.workspace import Workspace
from tests.integration.conftest import OFFSET
from tests.unit.fake_docker import ContractProject, DockerEngineContract, write_contract_project

ENGINE_ANSWERS = docker_engine_available(5.0)

pytestmark = [
    pytest.mark.integration,
    pytest.mark.docker,
    pytest.mark.skipif(
        not ENGINE_ANSWERS,
        reason="no Docker engine answers here (or `docker compose` is missing): "
        "run scripts/ensure-docker; the docker runtime is covered by unit tests meanwhile",
    ),
]


@pytest.fixture(scope="session")
def local_images() -> None:
    """Base, runner and every infra image of the default stack (a warm run builds nothing)."""
    from ecomctl.runtime.docker.image_set import build_all
    from ecomctl.stack.loader import load_stack

    build_all(load_stack(None), Workspace(Path("/nonexistent-ecomctl-ws")), print, services=False)


# Ports of this module's own, below Linux's ephemeral range (scripts/test keeps that at
# 52000+): beside test_docker_stack's stack, clear of every other test stack's ports.
_PORTS = itertools.count(OFFSET + int(os.environ.get("ECOMCTL_TEST_DOCKER_SHIFT", "1600")) + 7000)


def free_port() -> int:
    """The next of this module's ports that nothing holds now."""
    for port in _PORTS:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise AssertionError("unreachable: the counter never ends")


class TestRealEngineMeetsTheContract(DockerEngineContract):
    @pytest.fixture
    def engine(self) -> SdkDockerEngine:
        return SdkDockerEngine()

    @pytest.fixture
    def project(
        self, engine: SdkDockerEngine, tmp_path: Path, local_images: None
    ) -> Iterator[ContractProject]:
        project = write_contract_project(
            tmp_path,
            free_port(),
            image=image_name("base"),
            server="python3 -m http.server 8080",
        )
        try:
            yield project
        finally:
            engine.compose_down(
                project.name, project.compose_file, profiles=["infra"], volumes=True
            )


def test_docker_runtime_brings_up_a_real_redis(tmp_path: Path, local_images: None) -> None:
    stack = Stack.model_validate(
        {"name": f"ecomctl-it-{uuid.uuid4().hex[:8]}", "infra": {"redis": {"port": free_port()}}}
    )
    runtime = DockerRuntime(stack, Workspace(tmp_path / "ws"), images="local")
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


def test_docker_runtime_builds_migrates_and_starts_a_generated_service(
    tmp_path: Path, local_images: None
) -> None:
    """user-auth from its template: image built with the kit, migrated from the host, healthy."""
    import httpx

    from ecomctl.scaffold import generate_service
    from ecomctl.users import create_admin

    stack = Stack.model_validate(
        {
            "name": f"ecomctl-it-{uuid.uuid4().hex[:8]}",
            "infra": {"mysql": {"port": free_port(), "databases": ["users"]}},
            "services": {
                "user-auth": {
                    "port": free_port(),
                    "template": "user-auth",
                    "uses": ["mysql"],
                    "database": "users",
                }
            },
        }
    )
    workspace = Workspace(tmp_path / "ws")
    generate_service(workspace=workspace, name="user-auth", spec=stack.services["user-auth"])
    runtime = DockerRuntime(stack, workspace, images="local")
    events: list[UpEvent] = []
    try:
        rows = runtime.up(["user-auth"], port_offset=0, on_event=events.append)
        assert [(r.name, r.state) for r in rows] == [("user-auth", "ready")]
        ready = httpx.get(f"http://127.0.0.1:{rows[0].port}/health/ready", timeout=5)
        assert ready.status_code == 200
        # Migrated by its one-shot container before it started.
        assert ("user-auth", "prepare") in [(e.component, e.phase) for e in events]
        containers = runtime.engine.containers(runtime.project)
        [one_shot] = [c for c in containers if c.service == "migrate-user-auth"]
        assert (one_shot.status, one_shot.exit_code) == ("exited", 0)
        admin = create_admin(
            workspace=workspace, stack=stack, username="admin", password="s3cure-enough"
        )
        assert admin.created
    finally:
        runtime.down(volumes=True, on_event=events.append)
