"""The port between the docker runtime and a Docker engine.

`DockerRuntime` talks to Docker only through `DockerEngine`, so its logic is
unit tested against a fake and the real adapter (`ecomctl.runtime.docker.sdk`)
stays a thin translation that a contract test checks against a real engine.
"""

from __future__ import annotations

import abc
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

COMPONENT_LABEL = "io.ecomctl.component"
KIND_LABEL = "io.ecomctl.kind"
PORT_LABEL = "io.ecomctl.port"
PROJECT_LABEL = "com.docker.compose.project"  # set by compose on every container it creates
SERVICE_LABEL = "com.docker.compose.service"


class EngineError(Exception):
    """The engine or the compose CLI refused a request; the message is one readable line."""


class EngineUnavailable(EngineError):
    """No Docker engine answers, or the compose CLI is missing."""


class ImageMissing(EngineError):
    """An image is neither on this machine nor pullable (no registry answers)."""

    def __init__(self, image: str, reason: str) -> None:
        super().__init__(f"image {image} is not on this machine and cannot be pulled ({reason})")
        self.image = image


class ComposeFailed(EngineError):
    """`docker compose` exited non-zero; `output` holds the end of what it printed."""

    def __init__(self, message: str, *, output: str = "") -> None:
        super().__init__(message)
        self.output = output


@dataclass(frozen=True)
class ContainerInfo:
    """What the runtime needs to know about one container of a compose project."""

    name: str
    service: str
    status: str  # docker's State.Status: created, running, restarting, exited, paused, dead
    health: str | None = None  # starting, healthy, unhealthy; None without a healthcheck
    exit_code: int | None = None
    ports: Mapping[int, int] = field(default_factory=dict)  # container port -> host port
    labels: Mapping[str, str] = field(default_factory=dict)
    started_at: datetime | None = None
    image: str = ""
    restart_count: int = 0  # restarts by the restart policy since the container was created


@dataclass(frozen=True)
class LogRecord:
    service: str
    text: str


class DockerEngine(abc.ABC):
    """Everything the docker runtime asks of Docker."""

    @abc.abstractmethod
    def ping(self) -> None:
        """Return when the engine answers; raise EngineUnavailable otherwise."""

    @abc.abstractmethod
    def compose_up(
        self,
        project: str,
        compose_file: Path,
        services: list[str],
        *,
        profiles: list[str],
        wait_timeout_s: float,
    ) -> None:
        """Create/start `services` detached and wait until they are healthy."""

    @abc.abstractmethod
    def compose_down(
        self, project: str, compose_file: Path, *, profiles: list[str], volumes: bool
    ) -> None:
        """Stop and remove the project's containers in `profiles` (and named volumes if asked)."""

    @abc.abstractmethod
    def compose_stop(
        self, project: str, compose_file: Path, services: list[str], *, profiles: list[str]
    ) -> None:
        """Stop `services`' containers, keeping them (and their volumes) for a later `up`."""

    @abc.abstractmethod
    def ensure_image(self, name: str) -> None:
        """Return when image `name` is on this machine, pulling it if needed; raise
        ImageMissing when it is not there and cannot be pulled."""

    @abc.abstractmethod
    def containers(self, project: str) -> list[ContainerInfo]:
        """Every container of the compose project, running or not."""

    @abc.abstractmethod
    def logs(
        self, project: str, services: list[str], *, follow: bool, tail: int
    ) -> Iterator[LogRecord]:
        """Log lines of the project's containers (all when `services` is empty), merged."""


def docker_engine_available(timeout: float = 2.0) -> bool:
    """Whether the docker runtime can work here (engine answers, compose installed); never raises.

    Lives beside the port so runtime selection can import it cheaply; the docker
    SDK is imported only when the probe actually runs.
    """
    from ecomctl.runtime.docker.sdk import probe_engine

    return probe_engine(timeout)
