"""A service's rollout, kept in the workspace (`.ecomctl/rollouts/<service>.json`).

The file is the rollout's memory between commands: `deploy` writes it, `switch` moves it
step by step (saving after every weight change, so an interrupted switch leaves a record
of where the weights are), `rollback` and promotion close it. Only one `switch` may drive
a service at a time: it holds `<service>.lock` while it runs, and a second one is refused.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import psutil

from ecomctl.errors import UserError
from ecomctl.workspace import Workspace

Phase = Literal["deployed", "switching", "interrupted", "promoted", "rolled-back"]
OPEN_PHASES = ("deployed", "switching", "interrupted")


@dataclass
class Rollout:
    service: str
    stable: str  # the color serving production traffic before the rollout
    canary: str  # the color being released
    canary_version: str = ""
    stable_version: str = ""
    phase: Phase = "deployed"
    weight: int = 0  # percent of traffic on the canary color right now
    steps: list[int] = field(default_factory=list)
    step_index: int = 0  # the next step to take
    strategy: str = "canary"
    gates: str = ""
    driver_pid: int | None = None  # the `switch` moving it, while one runs
    driver_started: float | None = None
    history: list[dict[str, Any]] = field(default_factory=list)
    updated_at: float = field(default_factory=time.time)

    @property
    def open(self) -> bool:
        return self.phase in OPEN_PHASES

    def driver_alive(self) -> bool:
        """Whether the `switch` recorded as driving this rollout still runs."""
        if self.driver_pid is None or self.driver_started is None:
            return False
        try:
            process = psutil.Process(self.driver_pid)
            return abs(process.create_time() - self.driver_started) < 0.05
        except psutil.Error:
            return False

    def effective_phase(self) -> str:
        """'switching' whose driver is gone (killed, machine rebooted) reads as interrupted."""
        if self.phase == "switching" and not self.driver_alive():
            return "interrupted"
        return self.phase

    def record(self, event: dict[str, Any]) -> None:
        self.history.append({"at": round(time.time(), 3), **event})
        del self.history[:-200]  # the newest decisions; a long rollout must not grow the file

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "effective_phase": self.effective_phase()}


def rollouts_dir(workspace: Workspace) -> Path:
    return workspace.state_dir / "rollouts"


def _path(workspace: Workspace, service: str) -> Path:
    return rollouts_dir(workspace) / f"{service}.json"


def load(workspace: Workspace, service: str) -> Rollout | None:
    path = _path(workspace, service)
    if not path.is_file():
        return None
    try:
        raw = json.loads(path.read_text())
        raw.pop("effective_phase", None)
        return Rollout(**raw)
    except (ValueError, TypeError) as exc:
        raise UserError(
            f"{path}: the rollout record is unreadable ({exc})",
            hint="check `ecomctl status`, then delete the file to start over",
        ) from None


def load_all(workspace: Workspace) -> list[Rollout]:
    folder = rollouts_dir(workspace)
    names = sorted(p.stem for p in folder.glob("*.json")) if folder.is_dir() else []
    return [r for r in (load(workspace, name) for name in names) if r is not None]


def save(workspace: Workspace, rollout: Rollout) -> None:
    """Atomic: a crash mid-write leaves the previous record, never half of one."""
    path = _path(workspace, rollout.service)
    path.parent.mkdir(parents=True, exist_ok=True)
    rollout.updated_at = time.time()
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(json.dumps(rollout.to_dict(), indent=2))
    os.replace(temporary, path)


@contextlib.contextmanager
def exclusive(workspace: Workspace, service: str) -> Iterator[None]:
    """Held by the one command moving a service's traffic; a second is refused at once."""
    folder = rollouts_dir(workspace)
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / f"{service}.lock").open("w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise UserError(
                f"another ecomctl is moving {service}'s traffic right now",
                hint="wait for it, or stop it (Ctrl-C) and run `ecomctl traffic status`",
            ) from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
