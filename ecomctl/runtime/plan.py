"""Turns a stack plus `--only` and `--port-offset` into what a runtime starts, in order."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ecomctl.errors import UsageError
from ecomctl.infra.component import ComponentContext, InfraComponent, Installation
from ecomctl.infra.registry import get_component
from ecomctl.runtime.services import metrics_token
from ecomctl.stack.model import InfraSpec, Stack
from ecomctl.workspace import Workspace

HOST = "127.0.0.1"


@dataclass(frozen=True)
class Planned:
    component: InfraComponent
    context: ComponentContext


def component_for(name: str, stack: Stack, workspace: Workspace | None = None) -> InfraComponent:
    """The infra component, or the generated service, called `name` in this stack."""
    if name in stack.services and name not in stack.infra:
        from ecomctl.runtime.services import ServiceComponent

        return ServiceComponent(name, stack, workspace)
    return get_component(name)


def enabled_names(stack: Stack) -> dict[str, object]:
    """Every enabled component: infrastructure first, then services."""
    services = {name: spec for name, spec in stack.services.items() if spec.enabled}
    return {**stack.enabled_infra(), **services}


def is_service(stack: Stack, name: str) -> bool:
    return name in stack.services and name not in stack.infra


def select_names(stack: Stack, only: list[str]) -> list[str]:
    """The enabled components to run: all, or `only` plus what they depend on, in start order."""
    enabled = enabled_names(stack)
    if not only:
        chosen = list(enabled)
    else:
        known = [*stack.infra, *stack.services]
        unknown = [name for name in only if name not in known]
        if unknown:
            raise UsageError(
                f"--only: unknown component(s) {', '.join(unknown)}; "
                f"this stack has {', '.join(known)}"
            )
        disabled = [name for name in only if name not in enabled]
        if disabled:
            raise UsageError(f"--only: {', '.join(disabled)} disabled in the stack file")
        chosen = list(dict.fromkeys(only))
    return _with_dependencies(chosen, enabled, stack)


def _with_dependencies(names: list[str], enabled: Mapping[str, object], stack: Stack) -> list[str]:
    ordered: list[str] = []

    def visit(name: str, path: tuple[str, ...]) -> None:
        if name in ordered:
            return
        if name in path:
            raise UsageError(f"dependency cycle: {' -> '.join((*path, name))}")
        for dependency in component_for(name, stack).depends_on:
            if dependency not in enabled:
                raise UsageError(f"{name} needs {dependency}, which the stack disables")
            visit(dependency, (*path, name))
        ordered.append(name)

    for name in names:
        visit(name, ())
    return ordered


def context_for(
    name: str,
    stack: Stack,
    workspace: Workspace,
    *,
    port_offset: int,
    installation: Installation | None,
) -> ComponentContext:
    if is_service(stack, name):
        # A service has one port and no infra settings; the context's spec carries the port.
        spec = InfraSpec(port=stack.services[name].port)
        extra: dict[str, int] = {}
    else:
        spec = stack.infra[name]
        extra = {**get_component(name).extra_ports, **spec.extra_ports}
    return ComponentContext(
        name=name,
        spec=spec,
        stack=stack,
        port=spec.port + port_offset,
        ports={key: port + port_offset for key, port in extra.items()},
        host=HOST,
        data_dir=workspace.data_dir(name),
        run_dir=workspace.run_dir(name),
        log_file=workspace.log_file(name),
        installation=installation,
        metrics_token=metrics_token(workspace),
    )


def check_offset(stack: Stack, port_offset: int) -> None:
    for owner, port in stack.all_ports():
        if not 1024 <= port + port_offset <= 65535:
            raise UsageError(
                f"--port-offset {port_offset} puts {owner} on port {port + port_offset}, "
                "outside 1024-65535"
            )
