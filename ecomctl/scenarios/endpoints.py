"""Where the running stack listens, from the stack file and the port offset it runs with."""

from __future__ import annotations

from dataclasses import dataclass

from ecomctl.runtime.local.state import RuntimeState
from ecomctl.stack.model import Stack
from ecomctl.workspace import Workspace

SAGA_SERVICES = ("order", "inventory", "payment", "notification")
HOST = "127.0.0.1"


@dataclass(frozen=True)
class Endpoints:
    gateway: str
    services: dict[str, str]  # name -> base URL, for benchmarks and diagnostics only
    kafka: str
    mailpit: str
    stripe: str
    port_offset: int
    zipkin: str = ""

    def service(self, name: str) -> str:
        return self.services[name]


def port_offset(workspace: Workspace) -> int:
    return RuntimeState.load(workspace.state_dir / "state.json").port_offset


def endpoints(stack: Stack, *, offset: int) -> Endpoints:
    def url(port: int) -> str:
        return f"http://{HOST}:{port + offset}"

    infra = stack.infra
    services = {name: url(spec.port) for name, spec in stack.services.items()}
    gateway = next(
        (services[n] for n, s in stack.services.items() if s.template == "gateway"),
        url(8080),
    )
    smtp = infra.get("smtp")
    return Endpoints(
        gateway=gateway,
        services=services,
        kafka=f"{HOST}:{infra['kafka'].port + offset}" if "kafka" in infra else "",
        mailpit=url(smtp.extra_ports.get("http", 8025)) if smtp else "",
        stripe=url(infra["stripe"].port) if "stripe" in infra else "",
        port_offset=offset,
        zipkin=url(infra["zipkin"].port) if "zipkin" in infra else "",
    )


def for_workspace(stack: Stack, workspace: Workspace) -> Endpoints:
    """Where the workspace's stack listens now. A service promoted by `ecomctl switch`
    serves from its new color's port, which the runtime state records."""
    state = RuntimeState.load(workspace.state_dir / "state.json")
    found = endpoints(stack, offset=state.port_offset)
    for name in found.services:
        record = state.components.get(name)
        if record is not None and record.port and not record.stopped:
            found.services[name] = f"http://{HOST}:{record.port}"
    return found
