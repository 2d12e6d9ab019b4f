"""Turns a stack plus `--only` and `--port-offset` into what a runtime starts, in order."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ecomctl.errors import UsageError
from ecomctl.infra.component import ComponentContext, InfraComponent, Installation
from ecomctl.infra.registry import get_component
from ecomctl.stack.model import Stack
from ecomctl.workspace import Workspace

HOST = "127.0.0.1"


@dataclass(frozen=True)
class Planned:
    component: InfraComponent
    context: ComponentContext


def select_names(stack: Stack, only: list[str]) -> list[str]:
    """The enabled components to run: all, or `only` plus what they depend on, in start order."""
    enabled = stack.enabled_infra()
    if not only:
        chosen = list(enabled)
    else:
        unknown = [name for name in only if name not in stack.infra]
        if unknown:
            raise UsageError(
                f"--only: unknown component(s) {', '.join(unknown)}; "
                f"this stack has {', '.join(stack.infra)}"
            )
        disabled = [name for name in only if name not in enabled]
        if disabled:
            raise UsageError(f"--only: {', '.join(disabled)} disabled in the stack file")
        chosen = list(dict.fromkeys(only))
    return _with_dependencies(chosen, enabled)


def _with_dependencies(names: list[str], enabled: Mapping[str, object]) -> list[str]:
    ordered: list[str] = []

    def visit(name: str, path: tuple[str, ...]) -> None:
        if name in ordered:
            return
        if name in path:
            raise UsageError(f"dependency cycle: {' -> '.join((*path, name))}")
        for dependency in get_component(name).depends_on:
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
    spec = stack.infra[name]
    component = get_component(name)
    extra = {**component.extra_ports, **spec.extra_ports}
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
    )


def check_offset(stack: Stack, port_offset: int) -> None:
    for owner, port in stack.all_ports():
        if not 1024 <= port + port_offset <= 65535:
            raise UsageError(
                f"--port-offset {port_offset} puts {owner} on port {port + port_offset}, "
                "outside 1024-65535"
            )
