"""Workspace-level generation: `init`, `generate service`, `generate update`, `up`'s first run."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ecomctl import config
from ecomctl.errors import UsageError
from ecomctl.scaffold import stackfile
from ecomctl.scaffold.generate import (
    MIGRATIONS_SUBDIR,
    Generated,
    Updated,
    generate_service,
    generated_services,
    refresh_schema,
    service_dir,
    update_service,
)
from ecomctl.stack.loader import default_stack_path, load_stack
from ecomctl.stack.model import ServiceSpec, Stack
from ecomctl.workspace import Workspace

if TYPE_CHECKING:
    from ecomctl.scaffold.schema_render import SchemaFile

Progress = Callable[[str, str], None]  # (service, message)


@dataclass(frozen=True)
class InitResult:
    workspace: Path
    stack_file: Path
    stack_written: bool
    generated: list[Generated] = field(default_factory=list)


def init_workspace(
    *, root: Path, templates_root: Path | None = None, progress: Progress | None = None
) -> InitResult:
    """A workspace: the default stack as `ecomctl.yaml` (kept if present) and every service."""
    root = root.resolve()
    root.mkdir(parents=True, exist_ok=True)
    stack_file = root / config.WORKSPACE_MARKER
    written = not stack_file.exists()
    if written:
        shutil.copyfile(default_stack_path(), stack_file)
    stack = load_stack(stack_file)
    workspace = Workspace(root=root)
    names = [name for name, spec in stack.services.items() if spec.enabled]
    generated = ensure_generated(
        workspace=workspace,
        stack=stack,
        names=names,
        templates_root=templates_root,
        progress=progress,
    )
    return InitResult(root, stack_file, written, generated)


def ensure_generated(
    *,
    workspace: Workspace,
    stack: Stack,
    names: list[str],
    templates_root: Path | None = None,
    progress: Progress | None = None,
) -> list[Generated]:
    """Generate the named services that have no folder yet (what `up` does on a first run)."""
    done = []
    for name in names:
        spec = stack.services.get(name)
        if spec is None or service_dir(workspace, name).is_dir():
            continue
        if progress:
            progress(name, f"generating from template {spec.template}")
        done.append(
            generate_service(
                workspace=workspace, name=name, spec=spec, templates_root=templates_root
            )
        )
    return done


def add_service(
    *,
    workspace: Workspace,
    name: str,
    kind: str,
    port: int | None = None,
    templates_root: Path | None = None,
) -> Generated:
    """`generate service`: a new entry in ecomctl.yaml and its generated folder."""
    stack_file = workspace.root / config.WORKSPACE_MARKER
    if not stack_file.is_file():
        raise UsageError(
            f"{workspace.root} has no {config.WORKSPACE_MARKER}",
            hint="create the workspace first with `ecomctl init`",
        )
    stack = load_stack(stack_file)
    base = _like(stack, kind)
    spec = ServiceSpec(
        port=port or _free_port(stack),
        template=kind,
        uses=list(base.uses) if base else [],
        database=base.database if base else None,
        publishes=list(base.publishes) if base else [],
        consumes=list(base.consumes) if base else [],
    )
    if name in stack.services:
        raise UsageError(f"service {name!r} is already in {stack_file.name}")
    generated = generate_service(
        workspace=workspace, name=name, spec=spec, templates_root=templates_root
    )
    try:
        stackfile.add_service(stack_file, name, spec)
    except UsageError:
        shutil.rmtree(generated.path, ignore_errors=True)
        raise
    return generated


def _like(stack: Stack, kind: str) -> ServiceSpec | None:
    """A service of the same kind in the stack: a new one needs the same infrastructure."""
    defaults = load_stack(default_stack_path())
    for source in (stack, defaults):
        for spec in source.services.values():
            if spec.template == kind:
                return spec
    return None


def _free_port(stack: Stack) -> int:
    taken = {port for _, port in stack.all_ports()}
    port = 8090
    while port in taken:
        port += 1
    return port


def update_services(
    *, workspace: Workspace, names: list[str], templates_root: Path | None = None
) -> list[Updated]:
    known = _generated(workspace, names)
    return [
        update_service(workspace=workspace, name=name, templates_root=templates_root)
        for name in (names or list(known))
    ]


def refresh_schemas(
    *, workspace: Workspace, names: list[str], check: bool = False
) -> list[tuple[str, SchemaFile]]:
    """`generate tables`: the named services' schema.py (default: every generated service
    with SQL migrations) rendered again from their migrations, or only compared (`check`)."""
    known = _generated(workspace, names)
    chosen = names or [name for name, path in known.items() if (path / MIGRATIONS_SUBDIR).is_dir()]
    if not chosen:
        raise UsageError(f"no generated service in {workspace.root} has SQL migrations")
    return [(name, refresh_schema(workspace=workspace, name=name, check=check)) for name in chosen]


def _generated(workspace: Workspace, names: list[str]) -> dict[str, Path]:
    """The workspace's generated services; refuses names that are not among them."""
    known = generated_services(workspace)
    unknown = [name for name in names if name not in known]
    if unknown:
        raise UsageError(
            f"no generated service {', '.join(unknown)} in {workspace.root}",
            hint=f"generated services: {', '.join(known) or 'none'}",
        )
    return known
