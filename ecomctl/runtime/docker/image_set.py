"""`ecomctl images build` and `images list`: the stack's local images, built in order."""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass

from ecomctl.errors import UserError
from ecomctl.runtime.docker import local_images as li
from ecomctl.stack.model import Stack
from ecomctl.workspace import Workspace


@dataclass(frozen=True)
class ImageRow:
    name: str
    size_mb: float
    used_by: str
    content_hash: str


def build_all(
    stack: Stack, workspace: Workspace, progress: li.Progress, *, services: bool = True
) -> list[li.BuiltImage]:
    """Base, runner, one image per enabled infra component, the kit layer and one image per
    generated service; then the images these replaced are dropped."""
    base = li.build_base(progress)
    runner = li.build_runner(base, progress)
    built = [base, runner]
    for name in stack.enabled_infra():
        built.append(li.build_infra(name, runner, progress))
    if services:
        built += _service_images(stack, workspace, base, progress)
    if any(image.rebuilt for image in built):
        li.prune_superseded()
    return built


def _service_images(
    stack: Stack, workspace: Workspace, base: li.BuiltImage, progress: li.Progress
) -> list[li.BuiltImage]:
    from ecomctl.runtime.docker.build import package_name, service_source
    from ecomctl.runtime.docker.local_compose import service_command
    from ecomctl.runtime.docker.service_images import build_kit_layer, build_service
    from ecomctl.runtime.venv import kit_dir

    kit = kit_dir()
    if kit is None:
        raise UserError("the service kit's source is not found", hint="set ECOMCTL_KIT_DIR")
    wanted = [
        (name, spec)
        for name, spec in stack.services.items()
        if spec.enabled and (service_source(workspace, name) / "pyproject.toml").is_file()
    ]
    if not wanted:
        return []
    kit_layer = build_kit_layer(kit, base, progress)
    built = [kit_layer]
    for name, spec in wanted:
        command = service_command(name, spec, package_name(workspace, name, spec.template))
        source = service_source(workspace, name)
        built.append(build_service(name, source, kit, kit_layer, command, spec.port, progress))
    return built


def missing_images(names: list[str]) -> list[str]:
    return [name for name in names if li.existing_hash(name) is None]


def list_images() -> list[ImageRow]:
    done = subprocess.run(
        ["docker", "image", "ls", "--format", "{{json .}}", f"{li.REPOSITORY}/*"],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise UserError(f"docker image ls failed: {done.stderr.strip().splitlines()[-1:]}")
    rows = []
    for line in done.stdout.splitlines():
        entry = json.loads(line)
        name = f"{entry['Repository']}:{entry['Tag']}"
        labels = _labels(name)
        rows.append(
            ImageRow(
                name=name,
                size_mb=_size_mb(name),
                used_by=labels.get(li.USED_BY_LABEL, ""),
                content_hash=labels.get(li.HASH_LABEL, ""),
            )
        )
    return sorted(rows, key=lambda row: row.name)


def _labels(name: str) -> dict[str, str]:
    done = subprocess.run(
        ["docker", "image", "inspect", "--format", "{{json .Config.Labels}}", name],
        capture_output=True,
        text=True,
        check=False,
    )
    return dict(json.loads(done.stdout or "null") or {}) if done.returncode == 0 else {}


def _size_mb(name: str) -> float:
    done = subprocess.run(
        ["docker", "image", "inspect", "--format", "{{.Size}}", name],
        capture_output=True,
        text=True,
        check=False,
    )
    return round(int(done.stdout.strip() or 0) / 1e6, 1)
