"""Renders a stack as a compose file (the compose specification, no `version:` key).

Each infra component contributes its own service (`compose_service`: official
image, environment, healthcheck, volumes); this module adds what must be the
same for all of them: profiles, restart policy, ports published on 127.0.0.1
only, labels that let `status` map containers back to components, top-level
named volumes and `depends_on: condition: service_healthy`.

Each enabled generated service becomes a service built from `services/<name>`
with the Dockerfile and kit context of `ecomctl.runtime.docker.build`, the
environment of `ecomctl.runtime.docker.container_env`, and a dependency on
everything it uses (infra, the registry, for the gateway the services).
"""

from __future__ import annotations

import copy
import hashlib
import os
from pathlib import Path
from typing import Any

import yaml

from ecomctl.errors import ComponentFailed, UsageError
from ecomctl.infra.registry import get_component
from ecomctl.runtime.docker.build import (
    CONTAINER_KEYS_DIR,
    container_keys_dir,
    own_env_file,
    package_name,
    service_build,
    service_env_file,
    write_build_support,
)
from ecomctl.runtime.docker.container_env import container_env, infra_addresses
from ecomctl.runtime.docker.engine import COMPONENT_LABEL, KIND_LABEL, PORT_LABEL
from ecomctl.runtime.docker.local_compose import (
    MIGRATION_KIND,
    ImageSource,
    local_infra_service,
    local_migration_service,
    migration_name,
    stack_file_path,
    use_local_service_image,
    write_stack_file,
)
from ecomctl.runtime.docker.prepare import database_of, needs_migrations
from ecomctl.runtime.plan import HOST, context_for
from ecomctl.stack.model import ServiceSpec, Stack
from ecomctl.workspace import Workspace

INFRA_PROFILE = "infra"
SERVICES_PROFILE = "services"
RESTART_POLICY = "unless-stopped"
SERVICE_STOP_GRACE = "15s"  # as long as the local runtime waits after SIGTERM
COMPOSE_FILE_NAME = "compose.yaml"

Service = dict[str, Any]


def project_name(stack: Stack, workspace: Workspace) -> str:
    """The compose project: the stack's name plus a hash of the workspace's folder, so two
    workspaces running the same stack (or stacks of the same name) never share containers,
    networks or volumes."""
    folder = hashlib.sha256(str(workspace.root.resolve()).encode()).hexdigest()[:8]
    return f"{stack.name}-{folder}"  # stack names are already what compose accepts


def compose_path(workspace: Workspace) -> Path:
    """Where the docker runtime keeps the compose file it drives."""
    return workspace.state_dir / COMPOSE_FILE_NAME


def render_compose(
    stack: Stack,
    workspace: Workspace,
    *,
    port_offset: int,
    compose_dir: Path | None = None,
    images: ImageSource = "official",
) -> dict[str, Any]:
    """The compose document; build contexts are relative to `compose_dir` (default: state dir)."""
    base = compose_dir or workspace.state_dir
    services: dict[str, Service] = {}
    addresses: dict[int, str] = {}
    for name, infra_spec in stack.enabled_infra().items():
        services[name] = _infra_service(name, stack, workspace, port_offset, images, base)
        main_port = infra_spec.port
        addresses.update(
            infra_addresses(name, services[name], main_port=main_port, port_offset=port_offset)
        )
    for name, spec in stack.services.items():
        if not spec.enabled:
            continue
        if name in services:
            raise UsageError(f"service {name!r} has the name of an infra component; rename it")
        services[name] = _app_service(name, spec, stack, workspace, port_offset, base, addresses)
        if images == "local":
            package = package_name(workspace, name, spec.template)
            use_local_service_image(services[name], name, spec, package)
            _add_migration_container(services, name, stack, workspace, port_offset, base)
    document: dict[str, Any] = {"name": project_name(stack, workspace), "services": services}
    volumes = _named_volumes(services)
    if volumes:
        document["volumes"] = {volume: {} for volume in volumes}
    return document


def write_compose(
    stack: Stack,
    workspace: Workspace,
    *,
    port_offset: int,
    path: Path | None = None,
    images: ImageSource = "official",
) -> Path:
    """Render and write the compose file; returns its path (default: `compose_path`)."""
    target = path or compose_path(workspace)
    target.parent.mkdir(parents=True, exist_ok=True)
    document = render_compose(
        stack, workspace, port_offset=port_offset, compose_dir=target.parent, images=images
    )
    write_build_support(stack, workspace)
    if images == "local":
        write_stack_file(stack, workspace)
    header = (
        f"# Rendered by ecomctl from stack {stack.name!r} (port offset {port_offset}).\n"
        "# Change the stack file and render again rather than editing this file.\n"
    )
    target.write_text(header + yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return target


def _infra_service(
    name: str,
    stack: Stack,
    workspace: Workspace,
    port_offset: int,
    images: ImageSource,
    base: Path,
) -> Service:
    component = get_component(name)
    ctx = context_for(name, stack, workspace, port_offset=port_offset, installation=None)
    if images == "local":
        service = local_infra_service(ctx, os.path.relpath(stack_file_path(workspace), base))
    else:
        service = copy.deepcopy(component.compose_service(ctx))
    if ctx.spec.image and images != "local":
        service["image"] = ctx.spec.image  # the stack file overrides the component's default image
    if not service.get("image") and not service.get("build"):
        raise ComponentFailed(name, "its compose service names no image")
    if not _has_healthcheck(service):
        raise ComponentFailed(
            name, "its compose service has no healthcheck, so compose cannot wait for it"
        )
    service.pop("container_name", None)  # compose names containers after the project
    default_ports = [(ctx.port, component.default_port)] + [
        (host, component.extra_ports.get(key, host - port_offset))
        for key, host in ctx.ports.items()
    ]
    service["ports"] = _local_ports(service.get("ports"), default_ports)
    service["restart"] = RESTART_POLICY
    if images != "local":  # official images: `up` migrates from the host between profiles
        service["profiles"] = [INFRA_PROFILE]
    service["labels"] = _labels(service.get("labels"), name, "infra", ctx.port)
    dependencies = {dep: {"condition": "service_healthy"} for dep in component.depends_on}
    if dependencies:
        service["depends_on"] = {**dependencies, **(service.get("depends_on") or {})}
    return _ordered(service)


def _add_migration_container(
    services: dict[str, Service],
    name: str,
    stack: Stack,
    workspace: Workspace,
    port_offset: int,
    base: Path,
) -> None:
    """`migrate-<name>` before service `name`, which starts only once it exited 0."""
    from ecomctl.migrate.locations import service_locations

    if not needs_migrations(stack, name):
        return
    database = database_of(stack, name)
    [folder, *_] = service_locations(name, workspace_root=workspace.root)
    migrations = _bind_source(folder, workspace, base)
    stack_file = os.path.relpath(stack_file_path(workspace), base)
    one_shot = local_migration_service(name, database, migrations, stack_file, port_offset)
    one_shot["labels"] = _labels(None, migration_name(name), MIGRATION_KIND, 0)
    services[migration_name(name)] = one_shot
    depends = services[name].setdefault("depends_on", {})
    depends[migration_name(name)] = {"condition": "service_completed_successfully"}


def _bind_source(folder: Path, workspace: Workspace, base: Path) -> str:
    """Relative to the compose file inside the workspace (the folder can move), else absolute
    (ecomctl's own migrations, where it is installed)."""
    if not folder.resolve().is_relative_to(workspace.root.resolve()):
        return str(folder.resolve())
    # "./" makes it a bind mount: a bare relative name is a named volume to compose.
    return os.path.join(".", os.path.relpath(folder, base))


def _has_healthcheck(service: Service) -> bool:
    check = service.get("healthcheck")
    return isinstance(check, dict) and bool(check.get("test")) and not check.get("disable")


def _app_service(
    name: str,
    spec: ServiceSpec,
    stack: Stack,
    workspace: Workspace,
    port_offset: int,
    base: Path,
    addresses: dict[int, str],
) -> Service:
    """A generated service: built from `services/<name>` in the workspace, after what it uses."""
    from ecomctl.runtime.services import USER_AUTH_KIND, service_dependencies

    disabled = [u for u in spec.uses if u not in stack.enabled_infra()]
    if disabled:
        raise UsageError(f"service {name} uses {', '.join(disabled)}, disabled in the stack")
    port = spec.port + port_offset
    ready_url = f"http://127.0.0.1:{spec.port}/health/ready"
    probe = f"import urllib.request; urllib.request.urlopen('{ready_url}', timeout=3)"
    service: Service = {
        "build": _build_section(workspace, name, base),
        "pull_policy": "build",  # every `up` rebuilds, so the image follows the source
        "environment": container_env(name, stack, addresses),
        "env_file": [
            os.path.relpath(service_env_file(workspace), base),
            os.path.relpath(own_env_file(workspace, name), base),
        ],
        "profiles": [SERVICES_PROFILE],
        "restart": RESTART_POLICY,
        "stop_grace_period": SERVICE_STOP_GRACE,
        "ports": _local_ports(None, [(port, spec.port)]),
        "healthcheck": {
            "test": ["CMD", "python", "-c", probe],
            "interval": "5s",
            "timeout": "5s",
            "retries": 30,
            "start_period": "10s",
        },
        "labels": _labels(None, name, "service", port),
    }
    if spec.template == USER_AUTH_KIND:  # the signing keys and the clients' secrets
        # "./" makes it a bind mount: a bare relative name is a named volume to compose.
        keys = os.path.join(".", os.path.relpath(container_keys_dir(workspace), base))
        service["volumes"] = [f"{keys}:{CONTAINER_KEYS_DIR}:ro"]
    dependencies = service_dependencies(name, stack)
    if dependencies:
        service["depends_on"] = {d: {"condition": "service_healthy"} for d in dependencies}
    return service


def _build_section(workspace: Workspace, name: str, base: Path) -> dict[str, Any]:
    """Context relative to the compose file, Dockerfile relative to the context (compose rules)."""
    build = service_build(workspace, name)
    section: dict[str, Any] = {"context": os.path.relpath(build.context, base)}
    if build.dockerfile is not None:
        section["dockerfile"] = os.path.relpath(build.dockerfile, build.context)
    section["additional_contexts"] = {"kit": os.path.relpath(build.kit, base)}
    return section


def _labels(given: Any, name: str, kind: str, port: int) -> dict[str, str]:
    labels: dict[str, str] = {}
    if isinstance(given, dict):
        labels.update({str(k): str(v) for k, v in given.items()})
    elif isinstance(given, list):  # compose also allows ["key=value", ...]
        labels.update(dict(str(item).partition("=")[::2] for item in given))
    labels.update({COMPONENT_LABEL: name, KIND_LABEL: kind, PORT_LABEL: str(port)})
    return labels


def _local_ports(given: Any, defaults: list[tuple[int, int]]) -> list[dict[str, Any]]:
    """Every published port in long syntax, bound to 127.0.0.1 whatever the component said."""
    entries = given if given else [{"published": h, "target": c} for h, c in defaults]
    ports = []
    for entry in entries:
        published, target, protocol = _parse_port(entry)
        ports.append(
            {
                "target": target,
                "published": str(published),
                "host_ip": HOST,
                "protocol": protocol,
            }
        )
    return ports


def _parse_port(entry: Any) -> tuple[int, int, str]:
    """(published, target, protocol) from '9092', '9092:9092', 'ip:9092:9092/tcp' or a mapping."""
    if isinstance(entry, dict):
        target = int(entry["target"])
        return int(entry.get("published") or target), target, str(entry.get("protocol", "tcp"))
    text, _, protocol = str(entry).partition("/")
    parts = text.split(":")
    target = int(parts[-1])
    published = int(parts[-2]) if len(parts) >= 2 and parts[-2] else target
    return published, target, protocol or "tcp"


def _named_volumes(services: dict[str, Service]) -> list[str]:
    """Volume sources that are names, not host paths: they need a top-level declaration."""
    names: list[str] = []
    for service in services.values():
        for volume in service.get("volumes") or []:
            if isinstance(volume, dict):
                source = volume.get("source") if volume.get("type", "volume") == "volume" else None
            else:
                source, sep, _ = str(volume).partition(":")
                source = source if sep else None
            if source and not source.startswith(("/", ".", "~", "$")) and source not in names:
                names.append(source)
    return names


_KEY_ORDER = ("image", "build", "command", "environment", "ports", "volumes", "healthcheck")


def _ordered(service: Service) -> Service:
    """A stable key order so the rendered file reads the same way for every component."""
    first = {key: service[key] for key in _KEY_ORDER if key in service}
    return {**first, **{k: v for k, v in service.items() if k not in first}}
