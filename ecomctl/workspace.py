"""Where a platform's stack file, data, logs and process records live.

A workspace is a folder holding `ecomctl.yaml` (a stack the team owns) or,
when none is found, a folder ecomctl creates and names the first time. All
runtime state goes under `<workspace>/.ecomctl/` so deleting that folder is
a complete reset.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ecomctl import config


@dataclass(frozen=True)
class Workspace:
    root: Path
    created: bool = False

    @property
    def state_dir(self) -> Path:
        return self.root / ".ecomctl"

    @property
    def stack_file(self) -> Path | None:
        candidate = self.root / config.WORKSPACE_MARKER
        return candidate if candidate.is_file() else None

    def data_dir(self, component: str) -> Path:
        return self.state_dir / "data" / component

    def run_dir(self, component: str) -> Path:
        return self.state_dir / "run" / component

    @property
    def log_dir(self) -> Path:
        return self.state_dir / "logs"

    def log_file(self, component: str) -> Path:
        return self.log_dir / f"{component}.log"

    def ensure(self) -> None:
        for folder in (self.state_dir, self.log_dir):
            folder.mkdir(parents=True, exist_ok=True)


def find_workspace(start: Path) -> Path | None:
    """The nearest folder at or above `start` that holds a stack file."""
    for folder in (start, *start.parents):
        if (folder / config.WORKSPACE_MARKER).is_file():
            return folder
    return None


def resolve_workspace(explicit: Path | None = None, *, create: bool = False) -> Workspace:
    """--workspace, $ECOMCTL_WORKSPACE, a stack file at or above cwd, else ~/ecomctl-workspace."""
    chosen = explicit or config.env_path(config.WORKSPACE) or find_workspace(Path.cwd())
    root = (chosen or Path.home() / config.DEFAULT_WORKSPACE_NAME).resolve()
    existed = root.exists()
    if create:
        root.mkdir(parents=True, exist_ok=True)
    return Workspace(root=root, created=create and not existed)
