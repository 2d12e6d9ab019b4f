"""The interface both runtimes (local processes, docker compose) implement."""

from __future__ import annotations

import abc
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

State = Literal["ready", "starting", "stopped", "failed"]
Kind = Literal["infra", "service"]


@dataclass
class ComponentStatus:
    """One row of `ecomctl status`; also the JSON shape of `status --json`."""

    name: str
    kind: Kind
    state: State
    port: int
    runtime: str
    ports: dict[str, int] = field(default_factory=dict)
    pid: int | None = None
    uptime_s: float | None = None
    rss_mb: float | None = None
    version: str | None = None
    detail: str = ""
    color: str | None = None  # a service instance's release color (blue, green)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class UpEvent:
    """A step of `up`, reported live: phase is install/prepare/start/wait/ready/skip/failed/stop."""

    component: str
    phase: str
    message: str = ""


EventSink = Callable[[UpEvent], None]


@dataclass(frozen=True)
class LogLine:
    component: str
    text: str


class Runtime(abc.ABC):
    name: str

    @abc.abstractmethod
    def up(
        self, names: list[str], *, port_offset: int, on_event: EventSink
    ) -> list[ComponentStatus]:
        """Start the named components (and what they depend on); idempotent."""

    @abc.abstractmethod
    def down(self, *, volumes: bool, on_event: EventSink) -> list[str]:
        """Stop what this runtime started in the workspace; returns the names stopped."""

    @abc.abstractmethod
    def stop(self, names: list[str], *, on_event: EventSink) -> list[str]:
        """Stop the named components only (their data stays, and `up` starts them again);
        returns the names that were running."""

    @abc.abstractmethod
    def status(self) -> list[ComponentStatus]:
        """Health of every component of the stack."""

    @abc.abstractmethod
    def logs(self, names: list[str], *, follow: bool, tail: int) -> Iterator[LogLine]:
        """Log lines of the named components (all when empty), merged."""

    # ---- a second color of a service (ecomctl deploy / switch / rollback) -----------------
    supports_colors = False  # whether start/stop/promote_instances work here

    def check_colors(self) -> None:
        """Refuses, before anything changes, on a runtime that cannot run two colors."""
        if not self.supports_colors:
            raise _no_colors(self.name)

    def start_instances(
        self,
        service: str,
        *,
        color: str,
        count: int,
        source: Path | None,
        env: dict[str, str],
        on_event: EventSink,
    ) -> list[ComponentStatus]:
        """Start `count` more instances of a running service, labelled `color`."""
        raise _no_colors(self.name)

    def stop_instances(self, service: str, *, color: str, on_event: EventSink) -> list[str]:
        """Stop (gracefully) every instance of `service` labelled `color`; the names stopped."""
        raise _no_colors(self.name)

    def promote_instances(self, service: str, *, color: str) -> None:
        """`color`'s instances become the service's own (what `up`, `status`, `down` see)."""
        raise _no_colors(self.name)


def _no_colors(runtime: str) -> Exception:
    from ecomctl.errors import UserError

    return UserError(
        f"the {runtime} runtime cannot run two colors of a service yet",
        hint="releases with deploy/switch run on the local runtime: ecomctl up --runtime local",
    )
