"""Service images for `--images local`: one shared kit layer, then one thin image per service.

Every service runs on the kit, whose dependencies are most of what a service
installs, so they are installed once, in `ecomctl-local/svc-kit` (the base plus
a venv with the kit and its dependencies, and the `app` user). Each
`ecomctl-local/svc-<name>` then adds only its own package and the few
dependencies the kit does not have. Both carry content hashes like every local
image: a change to one service rebuilds that service alone, a change to the kit
rebuilds the kit layer and every service on it.

What generating a service leaves that the image never holds (`.copier-answers.yml`
names the workspace's path) and what tools leave in the tree do not count in the hash,
so two workspaces of the same stack share their images.
"""

from __future__ import annotations

import shutil
import tomllib
from pathlib import Path

from ecomctl.runtime.docker.local_images import (
    APP_UID,
    SERVICE_VENV,
    BuiltImage,
    Progress,
    build_from_dockerfile,
    digest,
    docker_cache,
    existing_hash,
    fill_wheelhouse,
    image_name,
    service_image,
    tree_digest,
)

KIT_IMAGE = image_name("svc-kit")
# Left in a source tree by generation, pip's in-tree builds and tools: never in an image.
NOT_IN_IMAGE = frozenset(
    {
        "__pycache__",
        ".venv",
        "tests",
        ".pytest_cache",
        ".mypy_cache",
        ".ruff_cache",
        "build",
        "dist",
        ".copier-answers.yml",
    }
)


def source_digest(source: Path) -> str:
    ignore = set(NOT_IN_IMAGE) | {p.name for p in source.glob("**/*.egg-info")}
    return tree_digest(source, ignore)


def package_of(source: Path) -> str:
    data = tomllib.loads((source / "pyproject.toml").read_text(encoding="utf-8"))
    return str(data["project"]["name"])


def kit_wheels(kit: Path, kit_hash: str, progress: Progress) -> Path:
    """The kit's wheel (no index holds it), kept for the services' wheelhouses."""
    folder = docker_cache() / f"kit-wheel-{kit_hash}"
    if not any(folder.glob("*.whl")):
        for stale in docker_cache().glob("kit-wheel-*"):
            shutil.rmtree(stale, ignore_errors=True)
        fill_wheelhouse(folder, [str(kit)], progress)
    return folder


def build_kit_layer(kit: Path, base: BuiltImage, progress: Progress) -> BuiltImage:
    wanted = digest(base.content_hash, "svc-kit", source_digest(kit))
    if existing_hash(KIT_IMAGE) == wanted:
        return BuiltImage(KIT_IMAGE, wanted, rebuilt=False)
    wheels = kit_wheels(kit, wanted, progress)
    context = docker_cache() / "svc-kit-context"
    shutil.rmtree(context, ignore_errors=True)
    shutil.copytree(wheels, context / "wheels")
    progress(f"docker build {KIT_IMAGE}")
    dockerfile = f"""\
FROM {base.name}
COPY wheels /tmp/wheels
RUN python3 -m venv {SERVICE_VENV} \\
 && {SERVICE_VENV}/bin/pip install -q --no-index --find-links /tmp/wheels {package_of(kit)} \\
 && rm -rf /tmp/wheels \\
 && groupadd --system --gid {APP_UID} app \\
 && useradd --system --uid {APP_UID} --gid app --home-dir /app --no-create-home app \\
 && mkdir -p /app && chown app:app /app
"""
    build_from_dockerfile(KIT_IMAGE, context, dockerfile, wanted, used_by="every service image")
    shutil.rmtree(context, ignore_errors=True)
    return BuiltImage(KIT_IMAGE, wanted, rebuilt=True)


def build_service(
    service: str,
    source: Path,
    kit: Path,
    kit_layer: BuiltImage,
    command: list[str],
    port: int,
    progress: Progress,
) -> BuiltImage:
    name = service_image(service)
    wanted = digest(kit_layer.content_hash, source_digest(source), *command)
    if existing_hash(name) == wanted:
        return BuiltImage(name, wanted, rebuilt=False)
    context = docker_cache() / f"svc-{service}-context"
    shutil.rmtree(context, ignore_errors=True)
    kit_folder = kit_wheels(kit, kit_layer.content_hash, progress)
    fill_wheelhouse(context / "wheels", [str(source)], progress, find_links=[kit_folder])
    progress(f"docker build {name}")
    cmd = ", ".join(f'"{part}"' for part in command)
    # pip skips what the kit layer already has: only the service and its own extras install.
    dockerfile = f"""\
FROM {kit_layer.name}
COPY wheels /tmp/wheels
RUN {SERVICE_VENV}/bin/pip install -q --no-index --find-links /tmp/wheels {package_of(source)} \\
 && rm -rf /tmp/wheels
WORKDIR /app
ENV PATH={SERVICE_VENV}/bin:$PATH PYTHONUNBUFFERED=1 ECOM_SERVICE_NAME={service} ECOM_PORT={port}
USER {APP_UID}:{APP_UID}
EXPOSE {port}
CMD [{cmd}]
"""
    build_from_dockerfile(name, context, dockerfile, wanted, used_by=service)
    shutil.rmtree(context, ignore_errors=True)
    return BuiltImage(name, wanted, rebuilt=True)
