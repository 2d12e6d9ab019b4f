"""The operations behind the CLI commands, usable as a library.

Each function is keyword-only and returns plain data; the CLI shows it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, cast

from ecomctl import config, provisioning
from ecomctl.errors import UsageError, UserError
from ecomctl.infra.component import Installation
from ecomctl.runtime import plan
from ecomctl.runtime.base import ComponentStatus, EventSink, LogLine, Runtime, UpEvent
from ecomctl.runtime.docker.local_compose import IMAGE_SOURCES, ImageSource
from ecomctl.runtime.local.state import RuntimeState
from ecomctl.stack.loader import load_stack
from ecomctl.stack.model import Stack
from ecomctl.workspace import Workspace, resolve_workspace

RuntimeName = Literal["auto", "local", "docker"]
DOCKER_PING_TIMEOUT_S = 2.0


@dataclass(frozen=True)
class Target:
    """The stack and workspace a command acts on."""

    stack: Stack
    workspace: Workspace
    stack_file: Path


def target(*, workspace: Path | None, stack_file: Path | None, create: bool) -> Target:
    ws = resolve_workspace(workspace, create=create)
    chosen_file = stack_file or ws.stack_file
    stack = load_stack(chosen_file)
    from ecomctl.stack.loader import default_stack_path

    return Target(stack=stack, workspace=ws, stack_file=chosen_file or default_stack_path())


def choose_runtime(requested: RuntimeName, workspace: Workspace, *, starting: bool = False) -> str:
    """--runtime, then $ECOMCTL_RUNTIME, then what the workspace runs, then a Docker ping.

    Only `up` (`starting`) pings Docker: `down`, `status` and `logs` in a workspace
    that never ran anything act on the local runtime, where there is nothing to stop,
    rather than on a compose project of the same name started from another workspace.
    Nor does $ECOMCTL_RUNTIME decide for them: what runs is stopped, shown and read where
    it runs (a shell with ECOMCTL_RUNTIME=local once left a docker stack running on `down`).
    """
    marker = workspace.state_dir / "runtime"
    recorded = marker.read_text().strip() if marker.is_file() else None
    if requested == "auto" and recorded and not starting:
        return recorded
    wanted = requested if requested != "auto" else os.environ.get(config.RUNTIME, "auto")
    if wanted not in ("auto", "local", "docker"):
        raise UsageError(f"runtime {wanted!r} is not one of local, docker")
    if wanted != "auto":
        return wanted
    if recorded:
        return recorded
    if not starting:
        return "local"
    from ecomctl.runtime.docker.engine import docker_engine_available

    return "docker" if docker_engine_available(DOCKER_PING_TIMEOUT_S) else "local"


def choose_images(requested: str | None, workspace: Workspace) -> ImageSource:
    """--images, else what the workspace last ran with, else official."""
    marker = workspace.state_dir / "images"
    wanted = requested or (marker.read_text().strip() if marker.is_file() else "official")
    if wanted not in IMAGE_SOURCES:
        raise UsageError(f"--images {wanted!r} is not one of {', '.join(IMAGE_SOURCES)}")
    return wanted


def open_runtime(
    name: str,
    tgt: Target,
    *,
    installations: dict[str, object] | None = None,
    images: str | None = None,
) -> Runtime:
    if name == "docker":
        from ecomctl.runtime.docker.runtime import DockerRuntime

        return DockerRuntime(tgt.stack, tgt.workspace, images=choose_images(images, tgt.workspace))
    from ecomctl.runtime.local.runtime import LocalRuntime

    return LocalRuntime(
        tgt.stack,
        tgt.workspace,
        dict(installations or {}),  # type: ignore[arg-type]
        cache_dir=config.cache_dir(),
    )


def component_names(*, tgt: Target, only: list[str]) -> list[str]:
    """The components a command acts on: `only` (plus dependencies) or all enabled ones."""
    return plan.select_names(tgt.stack, only)


def up(
    *,
    tgt: Target,
    runtime: RuntimeName = "auto",
    only: list[str] | None = None,
    port_offset: int = 0,
    allow_install: bool,
    on_event: EventSink,
    images: str | None = None,
) -> tuple[str, list[ComponentStatus]]:
    """Bring the stack up; returns the runtime used and the final status."""
    names = plan.select_names(tgt.stack, only or [])
    plan.check_offset(tgt.stack, port_offset)
    runtime_name = choose_runtime(runtime, tgt.workspace, starting=True)
    services = [name for name in names if plan.is_service(tgt.stack, name)]
    _ensure_generated(tgt, services, on_event)
    installations = None
    if runtime_name == "local":
        infra = [name for name in names if name not in services]
        installations = _ensure_installed(infra, allow_install=allow_install, on_event=on_event)
        installations.update(_ensure_services_installed(tgt, services, on_event))
    chosen = open_runtime(runtime_name, tgt, installations=installations, images=images)
    tgt.workspace.ensure()
    # Recorded before starting: `down` after a failed `up` must find what it left running.
    (tgt.workspace.state_dir / "runtime").write_text(runtime_name)
    if runtime_name == "docker":
        (tgt.workspace.state_dir / "images").write_text(choose_images(images, tgt.workspace))
    statuses = chosen.up(names, port_offset=port_offset, on_event=on_event)
    return runtime_name, statuses


def _ensure_installed(
    names: list[str], *, allow_install: bool, on_event: EventSink
) -> dict[str, object]:
    cache = config.cache_dir()
    located = provisioning.locate(names, cache)
    missing = [name for name, inst in located.items() if inst is None]
    if missing and not allow_install:
        raise UserError(
            f"not installed: {', '.join(missing)}",
            hint="run `ecomctl infra install`, or `ecomctl up --yes` to install as part of up",
        )
    if missing:
        for name in missing:
            on_event(UpEvent(name, "install", "installing"))
        installed = provisioning.install(
            missing, cache, progress=lambda n, line: on_event(UpEvent(n, "install", line))
        )
        located.update(installed)
    return {name: inst for name, inst in located.items() if inst is not None}


def _ensure_generated(tgt: Target, services: list[str], on_event: EventSink) -> None:
    """A first `up` generates the services the workspace does not have yet."""
    if not services:
        return
    from ecomctl.scaffold import ensure_generated

    ensure_generated(
        workspace=tgt.workspace,
        stack=tgt.stack,
        names=services,
        progress=lambda name, line: on_event(UpEvent(name, "install", line)),
    )


def _ensure_services_installed(
    tgt: Target, services: list[str], on_event: EventSink
) -> dict[str, object]:
    """One virtualenv for every service of the workspace (pip runs only when it changed)."""
    if not services:
        return {}
    from ecomctl.runtime.services import ServiceComponent, service_dir
    from ecomctl.runtime.venv import ensure_venv

    for name in services:
        on_event(UpEvent(name, "install", "installing into the workspace's virtualenv"))
    sources = [service_dir(tgt.workspace.root, name) for name in services]
    ensure_venv(
        tgt.workspace, sources, lambda line: on_event(UpEvent(services[0], "install", line))
    )
    found: dict[str, object] = {}
    for name in services:
        installation = ServiceComponent(name, tgt.stack, tgt.workspace).locate(config.cache_dir())
        if installation is None:
            raise UserError(f"{name}: not installed after pip install; see .ecomctl/venv")
        found[name] = installation
    return found


def down(*, tgt: Target, volumes: bool, on_event: EventSink) -> tuple[str, list[str]]:
    runtime_name = choose_runtime("auto", tgt.workspace)
    stopped = open_runtime(runtime_name, tgt, installations={}).down(
        volumes=volumes, on_event=on_event
    )
    return runtime_name, stopped


def stop(*, tgt: Target, names: list[str], on_event: EventSink) -> tuple[str, list[str]]:
    """Stop the named components only; `up` (or `restart`) starts them again."""
    _check_known(tgt, names)
    runtime_name = choose_runtime("auto", tgt.workspace)
    stopped = open_runtime(runtime_name, tgt, installations={}).stop(names, on_event=on_event)
    return runtime_name, stopped


def restart(
    *, tgt: Target, names: list[str], on_event: EventSink
) -> tuple[str, list[ComponentStatus]]:
    """Stop the named components, then start them as `up` would, at the offset the stack
    runs with: a service picks up its edited code and the stack file's env."""
    _check_known(tgt, names)
    runtime_name, _stopped = stop(tgt=tgt, names=names, on_event=on_event)
    offset = RuntimeState.load(tgt.workspace.state_dir / "state.json").port_offset
    return up(
        tgt=tgt,
        runtime=cast(RuntimeName, runtime_name),
        only=names,
        port_offset=offset,
        allow_install=False,
        on_event=on_event,
    )


def _check_known(tgt: Target, names: list[str]) -> None:
    if not names:
        raise UsageError("name at least one component (`ecomctl status` lists them)")
    unknown = [n for n in names if n not in tgt.stack.infra and n not in tgt.stack.services]
    if unknown:
        raise UsageError(f"unknown component(s) {', '.join(unknown)}")


def status(*, tgt: Target) -> tuple[str, list[ComponentStatus]]:
    runtime_name = choose_runtime("auto", tgt.workspace)
    return runtime_name, open_runtime(runtime_name, tgt).status()


def logs(*, tgt: Target, names: list[str], follow: bool, tail: int) -> Iterator[LogLine]:
    if names:
        _check_known(tgt, names)
    runtime_name = choose_runtime("auto", tgt.workspace)
    return open_runtime(runtime_name, tgt, installations={}).logs(names, follow=follow, tail=tail)


def infra_names(*, tgt: Target, only: list[str]) -> list[str]:
    """The infrastructure part of `component_names`: what `infra install` provisions."""
    names = plan.select_names(tgt.stack, only)
    return [name for name in names if not plan.is_service(tgt.stack, name)]


def install_infra(
    *, tgt: Target, only: list[str] | None, force: bool, progress: Callable[[str, str], None]
) -> dict[str, Installation]:
    infra = infra_names(tgt=tgt, only=only or [])
    return provisioning.install(infra, config.cache_dir(), progress=progress, force=force)


def presence(*, tgt: Target) -> list[provisioning.Presence]:
    return provisioning.presence(list(tgt.stack.infra), config.cache_dir())


def tool_report() -> dict[str, str | None]:
    """The package clients and runtimes provisioning relies on, and where they are."""
    import shutil

    return {tool: shutil.which(tool) for tool in ("java", "mvn", "go", "apt-get", "pip", "docker")}


def render_compose(
    *, tgt: Target, port_offset: int, output_file: Path | None, images: str | None = None
) -> Path:
    from ecomctl.runtime.docker.compose import write_compose

    # A file the user asked for lands where they will look for it: the workspace root.
    target_file = output_file or tgt.workspace.root / "compose.yaml"
    return write_compose(
        tgt.stack,
        tgt.workspace,
        port_offset=port_offset,
        path=target_file,
        images=choose_images(images, tgt.workspace),
    )


def render_helm(*, tgt: Target, output_dir: Path | None, values_file: Path | None) -> Path:
    from ecomctl.kube.chart import write_chart

    chart_dir = output_dir or tgt.workspace.root / "chart"
    return write_chart(tgt.stack, tgt.stack_file, chart_dir, values_file)


def render_workflow(*, tgt: Target, output_file: Path | None) -> Path:
    from ecomctl.kube.workflow import write_workflow

    default = tgt.workspace.root / ".github" / "workflows" / f"{tgt.stack.name}.yaml"
    return write_workflow(tgt.stack, output_file or default)
