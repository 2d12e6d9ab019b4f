"""The local runtime's record of what it started, kept in `.ecomctl/state.json`.

Writes go through a temporary file and a rename so a crash mid-write never
leaves a half-written record; a file lock serialises concurrent `up`/`down`.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import threading
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ecomctl.errors import UserError
from ecomctl.runtime.local.processes import ProcessRecord


@dataclass
class ComponentRecord:
    pid: int
    create_time: float
    ports: dict[str, int]
    port: int
    kind: str = "infra"
    version: str | None = None
    stopped: bool = False
    stop_signal: int = 15  # from the component's ProcessSpec: postgres stops fastest on SIGINT
    stop_timeout_s: float = 20.0
    # A second instance of a service (`ecomctl deploy`): the service it belongs to and its
    # color. None on the stack's own components; a service's own instance is "blue" until
    # a promotion puts another color's instance in its place.
    service: str | None = None
    color: str | None = None

    @property
    def process(self) -> ProcessRecord:
        return ProcessRecord(pid=self.pid, create_time=self.create_time)


@dataclass
class RuntimeState:
    port_offset: int = 0
    components: dict[str, ComponentRecord] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> RuntimeState:
        if not path.is_file():
            return cls()
        try:
            raw: dict[str, Any] = json.loads(path.read_text())
            return cls(
                port_offset=int(raw.get("port_offset", 0)),
                components={
                    name: ComponentRecord(**record)
                    for name, record in raw.get("components", {}).items()
                },
            )
        except (ValueError, TypeError) as exc:
            raise UserError(
                f"{path}: the runtime state is unreadable ({exc})",
                hint="stop leftover processes by hand, then delete the file",
            ) from None

    def save(self, path: Path) -> None:
        payload = {
            "port_offset": self.port_offset,
            "components": {name: asdict(rec) for name, rec in self.components.items()},
        }
        # Components start in parallel threads: each save writes its own temporary file.
        temporary = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        temporary.write_text(json.dumps(payload, indent=2))
        os.replace(temporary, path)


@contextlib.contextmanager
def locked(state_dir: Path) -> Iterator[None]:
    """Hold the workspace lock; a second `up` waits rather than double-starting."""
    state_dir.mkdir(parents=True, exist_ok=True)
    with (state_dir / "lock").open("w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fcntl.flock(handle, fcntl.LOCK_EX)  # another ecomctl is busy here: wait our turn
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
