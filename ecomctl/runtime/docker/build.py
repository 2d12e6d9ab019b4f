"""What `docker compose build` needs for a generated service, kept in `.ecomctl/docker/`.

Every service image is the same recipe (a venv with the kit and the service, a
non-root user, uvicorn, a readiness healthcheck), so ecomctl renders one
Jinja template (`Dockerfile.service.jinja`) per service instead of each
template carrying a copy. Beside it:

- `kit/`: a copy of the service kit's source, handed to the build as the extra
  context `kit` (compose `additional_contexts`). Copying it into the workspace
  keeps the compose project self-contained: it builds from a clean checkout,
  with ecomctl installed from a wheel, without any index holding the kit.
- `<service>/Dockerfile.dockerignore`: BuildKit reads `<Dockerfile>.dockerignore`
  next to the Dockerfile, so the service folder needs no ignore file of its own.
- `service.env`: the workspace's registration secret, and `<service>.env` each service's
  own credentials (its client secret; for user-auth the paths of its key files), mode 0600,
  read by compose as `env_file`s, so the compose file itself holds no secret.
- `keys/`: copies of user-auth's signing keys and the services' client secrets, owned by
  the image's user (uid 10001, 0600), mounted read-only into the user-auth container only.

A team that wants its own image writes `services/<name>/Dockerfile`; it is then
used as it is (its build still gets the `kit` context).
"""

from __future__ import annotations

import contextlib
import os
import shutil
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import jinja2

from ecomctl.errors import ComponentFailed
from ecomctl.runtime.services import GATEWAY_KIND
from ecomctl.stack.model import Stack
from ecomctl.workspace import Workspace

PYTHON_IMAGE = "python:3.11-slim-bookworm"
APP_UID = 10001
KIT_CONTEXT = "kit"
SERVICE_ENV_FILE = "service.env"
CONTAINER_KEYS_DIR = "/run/ecomctl/keys"
_TEMPLATE = "Dockerfile.service.jinja"
_KIT_IGNORED = ("tests", "__pycache__", "*.egg-info", ".pytest_cache", ".mypy_cache")
_KIT_IGNORED_MORE = (".ruff_cache", "build", "dist", ".venv")
DOCKERIGNORE = """\
# Rendered by ecomctl: what the build of this service never needs.
.git
.venv
venv
tests
**/__pycache__
**/*.egg-info
.pytest_cache
.mypy_cache
.ruff_cache
build
dist
"""


@dataclass(frozen=True)
class ServiceBuild:
    """Where one service's image is built from (absolute paths)."""

    context: Path
    dockerfile: Path | None  # None: the service's own Dockerfile at the context root
    kit: Path


def support_dir(workspace: Workspace) -> Path:
    return workspace.state_dir / "docker"


def service_source(workspace: Workspace, name: str) -> Path:
    return workspace.root / "services" / name


def service_build(workspace: Workspace, name: str) -> ServiceBuild:
    context = service_source(workspace, name)
    own = (context / "Dockerfile").is_file()
    rendered = support_dir(workspace) / name / "Dockerfile"
    return ServiceBuild(context, None if own else rendered, support_dir(workspace) / KIT_CONTEXT)


def service_env_file(workspace: Workspace) -> Path:
    return support_dir(workspace) / SERVICE_ENV_FILE


def own_env_file(workspace: Workspace, name: str) -> Path:
    """The service's own credentials (client secret; user-auth's key file paths)."""
    return support_dir(workspace) / f"{name}.env"


def container_keys_dir(workspace: Workspace) -> Path:
    return support_dir(workspace) / "keys"


def package_name(workspace: Workspace, name: str, kind: str) -> str:
    """The generated package (src/<pkg>/entrypoints/app.py), else the name fixed for its kind."""
    found = sorted(service_source(workspace, name).glob("src/*/entrypoints/app.py"))
    return found[0].parent.parent.name if found else kind.replace("-", "_")


def render_dockerfile(*, service: str, package: str, port: int, own_launcher: bool = False) -> str:
    """The Dockerfile of one service from ecomctl's single template; `own_launcher` runs
    `python -m <package>` (the gateway's Granian launcher) instead of uvicorn."""
    text = resources.files("ecomctl.runtime.docker").joinpath(_TEMPLATE).read_text("utf-8")
    environment = jinja2.Environment(
        undefined=jinja2.StrictUndefined, keep_trailing_newline=True, autoescape=False
    )
    return environment.from_string(text).render(
        service=service,
        package=package,
        port=port,
        python_image=PYTHON_IMAGE,
        uid=APP_UID,
        own_launcher=own_launcher,
    )


def write_build_support(stack: Stack, workspace: Workspace) -> None:
    """Write the kit copy, each enabled service's Dockerfile and the env file compose reads."""
    services = {name: spec for name, spec in stack.services.items() if spec.enabled}
    if not services:
        return
    base = support_dir(workspace)
    base.mkdir(parents=True, exist_ok=True)
    _copy_kit(base / KIT_CONTEXT)
    for name, spec in services.items():
        folder = base / name
        folder.mkdir(exist_ok=True)
        package = package_name(workspace, name, spec.template)
        dockerfile = render_dockerfile(
            service=name,
            package=package,
            port=spec.port,
            own_launcher=spec.template == GATEWAY_KIND,
        )
        (folder / "Dockerfile").write_text(dockerfile, encoding="utf-8")
        (folder / "Dockerfile.dockerignore").write_text(DOCKERIGNORE, encoding="utf-8")
    _write_env_file(service_env_file(workspace), workspace)
    _write_credentials(stack, workspace, list(services))


def _write_credentials(stack: Stack, workspace: Workspace, names: list[str]) -> None:
    """Each service's `<name>.env`, and user-auth's key files copied for its container."""
    from ecomctl.runtime.services import auth_env

    keys = container_keys_dir(workspace)
    for name in names:
        env = auth_env(name, stack, workspace)
        for key in ("ECOM_JWT_KEYS_FILE", "ECOM_SERVICE_CLIENTS_FILE"):
            if key in env:
                source = Path(env[key])
                env[key] = f"{CONTAINER_KEYS_DIR}/{source.name}"
                _copy_private(source, keys / source.name)
        lines = [f"{key}={value}" for key, value in sorted(env.items())]
        _write_private_text(own_env_file(workspace, name), "\n".join(lines) + "\n")


def _copy_private(source: Path, target: Path) -> None:
    """0600 and owned by the image's user, who must read it through the bind mount."""
    target.parent.mkdir(parents=True, exist_ok=True)
    target.parent.chmod(0o700)
    _write_private_text(target, source.read_text(encoding="utf-8"))
    with contextlib.suppress(PermissionError):  # not root: the image's user cannot read it
        os.chown(target.parent, APP_UID, APP_UID)
        os.chown(target, APP_UID, APP_UID)


def _write_private_text(path: Path, text: str) -> None:
    path.touch(mode=0o600)
    path.chmod(0o600)
    path.write_text(text, encoding="utf-8")


def _copy_kit(target: Path) -> None:
    from ecomctl.runtime.venv import kit_dir

    source = kit_dir()
    if source is None:
        raise ComponentFailed(
            "services",
            "the service kit's source is not found, so service images cannot be built",
            hint="set ECOMCTL_KIT_DIR to the kit folder (the one with its pyproject.toml)",
        )
    if target.exists():
        shutil.rmtree(target)
    ignore = shutil.ignore_patterns(*_KIT_IGNORED, *_KIT_IGNORED_MORE)
    shutil.copytree(source, target, ignore=ignore)


def _write_env_file(path: Path, workspace: Workspace) -> None:
    """Secrets shared by every container: the registration secret. (Per-service client
    secrets and user-auth's key file are not passed to containers yet.)"""
    from ecomctl.runtime.services import registry_secret

    path.touch(mode=0o600)
    path.chmod(0o600)
    path.write_text(f"ECOM_REGISTRY_SECRET={registry_secret(workspace)}\n", encoding="utf-8")
