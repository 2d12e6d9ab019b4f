"""Second colors of a service in the local runtime's records.

A service's own record (`order`) is its stable instance, "blue" until a promotion says
otherwise. `ecomctl deploy` adds records named `order@green-1`, `order@green-2`, ...
(their `service` and `color` say whose and which); promotion moves the first of them into
the service's own name, so `up`, `status` and `down` keep working on the new version.
"""

from __future__ import annotations

import socket

from ecomctl.infra.component import ComponentContext, Installation
from ecomctl.runtime.local.state import RuntimeState
from ecomctl.runtime.plan import HOST
from ecomctl.stack.model import InfraSpec, Stack
from ecomctl.workspace import Workspace

FIRST_COLOR = "blue"


def instance_name(service: str, color: str, number: int) -> str:
    return f"{service}@{color}-{number}"


def color_of(state: RuntimeState, name: str) -> str:
    record = state.components[name]
    return record.color or FIRST_COLOR


def names_of(state: RuntimeState, service: str, color: str) -> list[str]:
    """Every live record of `service` in `color`: its own (when that color) and the extra ones."""
    return [
        name
        for name, record in state.components.items()
        if (name == service or record.service == service)
        and not record.stopped
        and color_of(state, name) == color
    ]


def extra_names(state: RuntimeState) -> list[str]:
    return sorted(name for name, record in state.components.items() if record.service)


def promote(state: RuntimeState, service: str, color: str) -> None:
    """`color`'s first instance becomes the service's own record; the old one is dropped."""
    promoted = sorted(
        name for name, r in state.components.items() if r.service == service and r.color == color
    )
    if not promoted:
        return
    first = state.components.pop(promoted[0])
    first.service = None  # it is the service's own record now; its color stays recorded
    state.components[service] = first


def free_port(host: str = HOST) -> int:
    """A port nobody listens on now (the kernel's choice), for one more instance."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        port: int = probe.getsockname()[1]
    return port


def instance_context(
    stack: Stack,
    workspace: Workspace,
    name: str,
    service: str,
    installation: Installation | None,
    port: int,
) -> ComponentContext:
    """Where one extra instance runs: its own port and log, the service's data folders."""
    return ComponentContext(
        name=name,
        spec=InfraSpec(port=stack.services[service].port),
        stack=stack,
        port=port,
        ports={},
        host=HOST,
        data_dir=workspace.data_dir(service),
        run_dir=workspace.run_dir(service),
        log_file=workspace.log_file(name),
        installation=installation,
    )
