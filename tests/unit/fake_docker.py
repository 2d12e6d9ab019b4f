"""A fake Docker engine, fake components with compose services, and the engine contract.

`DockerEngineContract` is the one test class both `FakeDockerEngine` (unit
tests) and the real `SdkDockerEngine` (integration tests, only where an engine
answers) must pass, so the fake cannot drift from what Docker does.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from ecomctl.infra.component import ComponentContext, InfraComponent, Installation, ProcessSpec
from ecomctl.runtime.docker.engine import (
    COMPONENT_LABEL,
    KIND_LABEL,
    PORT_LABEL,
    PROJECT_LABEL,
    SERVICE_LABEL,
    ComposeFailed,
    ContainerInfo,
    DockerEngine,
    EngineUnavailable,
    ImageMissing,
    LogRecord,
)

# -- fake components: only what the docker runtime uses --------------------------


class ImageComponent(InfraComponent):
    description = "a server image"
    image = "example/server:1"
    default_port = 7000
    volume_path: str | None = "/data"

    def locate(self, cache_dir: Path) -> Installation | None:
        return None

    def install(self, cache_dir: Path, progress: Any) -> Installation:
        raise AssertionError("the docker runtime never installs")

    def process(self, ctx: ComponentContext) -> ProcessSpec:
        raise AssertionError("the docker runtime runs no local process")

    def check_ready(self, ctx: ComponentContext) -> None:
        raise AssertionError("compose waits on the healthcheck")

    def compose_service(self, ctx: ComponentContext) -> dict[str, Any]:
        service: dict[str, Any] = {
            "image": self.image,
            "container_name": f"{ctx.name}-fixed",  # the renderer must drop it
            "ports": [f"{ctx.port}:{self.default_port}"],
            "healthcheck": {"test": ["CMD", "true"], "interval": "2s", "retries": 10},
        }
        if self.volume_path:
            service["volumes"] = [f"{ctx.name}-data:{self.volume_path}", f"{ctx.run_dir}:/conf:ro"]
        return service


class CacheComponent(ImageComponent):
    name = "redis"
    image = "redis:7"
    default_port = 6379


class TracerComponent(ImageComponent):
    """Depends on redis and leaves ports to the renderer's defaults."""

    name = "zipkin"
    image = "openzipkin/zipkin:3"
    default_port = 9411
    depends_on = ("redis",)
    volume_path = None

    def compose_service(self, ctx: ComponentContext) -> dict[str, Any]:
        service = super().compose_service(ctx)
        del service["ports"]
        return service


class BrokerComponent(ImageComponent):
    name = "kafka"
    image = "apache/kafka:4"
    default_port = 9092
    extra_ports = {"controller": 9093}  # noqa: RUF012 - mirrors InfraComponent


class NoHealthcheckComponent(ImageComponent):
    name = "smtp"

    def compose_service(self, ctx: ComponentContext) -> dict[str, Any]:
        service = super().compose_service(ctx)
        del service["healthcheck"]
        return service


FAKE_COMPONENTS = {
    "redis": "tests.unit.fake_docker:CacheComponent",
    "zipkin": "tests.unit.fake_docker:TracerComponent",
    "kafka": "tests.unit.fake_docker:BrokerComponent",
    "smtp": "tests.unit.fake_docker:NoHealthcheckComponent",
}


# -- the fake engine ---------------------------------------------------------


@dataclass
class FakeDockerEngine(DockerEngine):
    """Reads the compose file it is given and keeps container state in memory.

    `outcomes` makes a service end up in another state than healthy (e.g.
    `("running", "unhealthy")`); compose then fails like `up --wait` does.
    """

    available: bool = True
    outcomes: dict[str, tuple[str, str | None]] = field(default_factory=dict)
    log_lines: dict[str, list[str]] = field(default_factory=dict)
    calls: list[tuple[Any, ...]] = field(default_factory=list)
    projects: dict[str, dict[str, ContainerInfo]] = field(default_factory=dict)

    images: set[str] | None = None  # None: every image is there; else these only
    registry: bool = False  # whether a missing image can be pulled
    images_checked: list[str] = field(default_factory=list)

    def ensure_image(self, name: str) -> None:
        self.images_checked.append(name)
        if self.images is None or name in self.images:
            return
        if not self.registry:
            raise ImageMissing(name, "no registry answers")
        self.images.add(name)

    def ping(self) -> None:
        if not self.available:
            raise EngineUnavailable("Error while fetching server API version: no such file")

    def compose_up(
        self,
        project: str,
        compose_file: Path,
        services: list[str],
        *,
        profiles: list[str],
        wait_timeout_s: float,
    ) -> None:
        self.ping()
        self.calls.append(("up", project, tuple(services), tuple(profiles)))
        document = yaml.safe_load(compose_file.read_text(encoding="utf-8"))
        defined: dict[str, Any] = document["services"]
        running = self.projects.setdefault(project, {})
        for name in _with_dependencies(services or list(defined), defined):
            running[name] = self._container(project, name, defined[name], running.get(name))
        unhealthy = [n for n, c in running.items() if c.health == "unhealthy" or c.exit_code]
        if unhealthy:
            raise ComposeFailed(
                f"docker compose up failed: container {project}-{unhealthy[0]}-1 is unhealthy"
            )

    def _container(
        self, project: str, name: str, service: dict[str, Any], existing: ContainerInfo | None
    ) -> ContainerInfo:
        if existing is not None and existing.status == "running":
            return existing  # compose leaves an unchanged running container alone
        status, health = self.outcomes.get(
            name, ("running", "healthy" if "healthcheck" in service else None)
        )
        labels = {**service.get("labels", {}), PROJECT_LABEL: project, SERVICE_LABEL: name}
        ports = {int(p["target"]): int(p["published"]) for p in service.get("ports", [])}
        return ContainerInfo(
            name=f"{project}-{name}-1",
            service=name,
            status=status,
            health=health,
            exit_code=1 if status == "exited" else 0,
            ports=ports,
            labels=labels,
            started_at=datetime.now(UTC),
            image=str(service.get("image", "")),
        )

    def compose_down(
        self, project: str, compose_file: Path, *, profiles: list[str], volumes: bool
    ) -> None:
        self.ping()
        self.calls.append(("down", project, tuple(profiles), volumes))
        self.projects.pop(project, None)

    def compose_stop(
        self, project: str, compose_file: Path, services: list[str], *, profiles: list[str]
    ) -> None:
        self.ping()
        self.calls.append(("stop", project, tuple(services)))
        running = self.projects.get(project, {})
        for name in services:
            if name in running:
                running[name] = replace(running[name], status="exited", health=None)

    def containers(self, project: str) -> list[ContainerInfo]:
        self.ping()
        return list(self.projects.get(project, {}).values())

    def logs(
        self, project: str, services: list[str], *, follow: bool, tail: int
    ) -> Iterator[LogRecord]:
        self.ping()
        self.calls.append(("logs", project, tuple(services), follow, tail))
        for name in self.projects.get(project, {}):
            if not services or name in services:
                for text in self.log_lines.get(name, [])[-tail:]:
                    yield LogRecord(name, text)

    def crash(self, project: str, name: str, exit_code: int = 137) -> None:
        """What `docker kill` leaves behind: an exited container."""
        container = self.projects[project][name]
        self.projects[project][name] = replace(
            container, status="exited", health="unhealthy", exit_code=exit_code
        )


def _with_dependencies(names: list[str], defined: dict[str, Any]) -> list[str]:
    ordered: list[str] = []

    def visit(name: str) -> None:
        if name not in ordered:
            for dependency in defined[name].get("depends_on", {}):
                visit(dependency)
            ordered.append(name)

    for name in names:
        visit(name)
    return ordered


# -- the contract ----------------------------------------------------------------

CONTRACT_IMAGE = "busybox:1.36"
CONTRACT_GREETING = "contract-hello"


@dataclass(frozen=True)
class ContractProject:
    name: str
    compose_file: Path
    host_port: int


def write_contract_project(
    folder: Path, host_port: int, *, image: str = CONTRACT_IMAGE, server: str = "httpd -f -p 8080"
) -> ContractProject:
    """One tiny web server with a healthcheck, published on 127.0.0.1."""
    service = {
        "image": image,
        "pull_policy": "never" if image != CONTRACT_IMAGE else "missing",
        "command": ["sh", "-c", f"echo {CONTRACT_GREETING} && exec {server}"],
        "ports": [
            {"target": 8080, "published": str(host_port), "host_ip": "127.0.0.1", "protocol": "tcp"}
        ],
        "healthcheck": {"test": ["CMD", "true"], "interval": "1s", "retries": 30},
        "profiles": ["infra"],
        "labels": {COMPONENT_LABEL: "web", KIND_LABEL: "infra", PORT_LABEL: str(host_port)},
    }
    name = f"ecomctl-contract-{uuid.uuid4().hex[:8]}"
    compose_file = folder / "compose.yaml"
    compose_file.write_text(yaml.safe_dump({"name": name, "services": {"web": service}}))
    return ContractProject(name=name, compose_file=compose_file, host_port=host_port)


class DockerEngineContract:
    """Subclasses provide the `engine` and `project` fixtures."""

    @pytest.fixture
    def engine(self) -> DockerEngine:
        raise NotImplementedError

    @pytest.fixture
    def project(self, engine: DockerEngine, tmp_path: Path) -> Iterator[ContractProject]:
        raise NotImplementedError

    def _up(self, engine: DockerEngine, project: ContractProject) -> None:
        engine.compose_up(
            project.name, project.compose_file, ["web"], profiles=["infra"], wait_timeout_s=120
        )

    def test_ping_answers(self, engine: DockerEngine) -> None:
        engine.ping()

    def test_a_project_never_started_has_no_containers(self, engine: DockerEngine) -> None:
        assert engine.containers(f"ecomctl-absent-{uuid.uuid4().hex[:8]}") == []

    def test_up_waits_for_a_healthy_container_with_labels_and_port(
        self, engine: DockerEngine, project: ContractProject
    ) -> None:
        self._up(engine, project)
        [container] = engine.containers(project.name)
        assert container.service == "web"
        assert (container.status, container.health) == ("running", "healthy")
        assert dict(container.ports) == {8080: project.host_port}
        assert container.labels[COMPONENT_LABEL] == "web"
        assert container.labels[PROJECT_LABEL] == project.name
        assert container.started_at is not None

    def test_up_twice_keeps_one_container(
        self, engine: DockerEngine, project: ContractProject
    ) -> None:
        self._up(engine, project)
        first = engine.containers(project.name)
        self._up(engine, project)
        assert [c.name for c in engine.containers(project.name)] == [c.name for c in first]

    def test_logs_name_the_service(self, engine: DockerEngine, project: ContractProject) -> None:
        self._up(engine, project)
        records = list(engine.logs(project.name, ["web"], follow=False, tail=50))
        assert LogRecord("web", CONTRACT_GREETING) in records

    def test_down_removes_the_containers(
        self, engine: DockerEngine, project: ContractProject
    ) -> None:
        self._up(engine, project)
        engine.compose_down(project.name, project.compose_file, profiles=["infra"], volumes=True)
        assert engine.containers(project.name) == []
