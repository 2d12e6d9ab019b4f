"""The compose services of `--images local` (see `local_images` for how the images are made).

An infrastructure container runs the component the way the local runtime does
(`in_container serve`) and listens on the same port numbers the host
publishes, so every address is the same inside the project network and out:
only the host name differs (`kafka`, `postgres`, ...). The stack, passwords
included, reaches it as a read-only 0600 file, never through the compose file.
A service container runs the image built from the workspace, unchanged
otherwise (same environment, healthcheck and dependencies as with `official`).

A service with a SQL database waits for a one-shot container of its own,
`migrate-<service>` (the runner image, `in_container migrate`), to complete
successfully: the file then needs no ecomctl on the host, and no profiles.
Kafka's topics are made by its own container before it reports healthy.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from ecomctl.infra.component import ComponentContext
from ecomctl.runtime.docker.build import support_dir
from ecomctl.runtime.docker.in_container import (
    DATA_ROOT,
    MIGRATIONS_ROOT,
    PORT_OFFSET_ENV,
    STACK_FILE,
    ready_marker_path,
)
from ecomctl.runtime.docker.local_images import image_name, infra_image, service_image
from ecomctl.runtime.services import GATEWAY_KIND
from ecomctl.stack.model import ServiceSpec, Stack
from ecomctl.workspace import Workspace

ImageSource = Literal["official", "local"]
IMAGE_SOURCES: tuple[ImageSource, ...] = ("official", "local")
STACK_FILE_NAME = "stack.json"
MIGRATION_PREFIX = "migrate-"
MIGRATION_KIND = "migration"


def stack_file_path(workspace: Workspace) -> Path:
    return support_dir(workspace) / STACK_FILE_NAME


def write_stack_file(stack: Stack, workspace: Workspace) -> Path:
    path = stack_file_path(workspace)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.chmod(0o600)
    path.write_text(json.dumps(stack.model_dump(mode="json")), encoding="utf-8")
    return path


def local_infra_service(ctx: ComponentContext, stack_file: str) -> dict[str, Any]:
    offset = ctx.port - ctx.spec.port
    ports = [ctx.port, *ctx.ports.values()]
    environment = {PORT_OFFSET_ENV: str(offset)}
    if ctx.name == "kafka":
        from ecomctl.infra.components.kafka import INTERNAL_PORT

        # Read by container_env: services in other containers use the INTERNAL listener.
        environment["KAFKA_ADVERTISED_LISTENERS"] = f"INTERNAL://{ctx.name}:{INTERNAL_PORT}"
    return {
        "image": infra_image(ctx.name),
        "pull_policy": "never",
        "environment": environment,
        "ports": [{"published": port, "target": port} for port in ports],
        "volumes": [
            f"{ctx.name}-data:{DATA_ROOT}",
            {"type": "bind", "source": stack_file, "target": STACK_FILE, "read_only": True},
        ],
        "healthcheck": {
            # `serve` writes the marker once the server answered and after_ready ran, and the
            # container ends with the server: a file test is enough, and costs no interpreter.
            "test": ["CMD", "test", "-f", str(ready_marker_path(ctx.name))],
            "interval": "3s",
            "timeout": "10s",
            # 10 minutes: longer than `serve` itself waits for its server (three times the
            # component's ready timeout, 450 s for OpenSearch), so a slow start on a loaded
            # machine is not declared unhealthy early.
            "retries": 200,
            "start_period": "10s",
        },
        "stop_grace_period": "30s",
        # With an offset the ports fall in the ephemeral range, where a client polling a port
        # nobody listens on yet can connect to itself and hold it (TCP self-connect): the
        # server then fails with "address already in use".
        "sysctls": {"net.ipv4.ip_local_reserved_ports": ",".join(map(str, sorted(ports)))},
    }


def migration_name(service: str) -> str:
    return f"{MIGRATION_PREFIX}{service}"


def local_migration_service(
    service: str, database: str, migrations: str, stack_file: str, port_offset: int
) -> dict[str, Any]:
    """The one-shot container applying `service`'s migrations once `database` is healthy.

    `migrations` and `stack_file` are paths relative to the compose file.
    """
    return {
        "image": image_name("runner"),
        "pull_policy": "never",
        "command": ["python", "-m", "ecomctl.runtime.docker.in_container", "migrate", service],
        "environment": {PORT_OFFSET_ENV: str(port_offset)},
        "volumes": [
            {"type": "bind", "source": migrations, "target": MIGRATIONS_ROOT, "read_only": True},
            {"type": "bind", "source": stack_file, "target": STACK_FILE, "read_only": True},
        ],
        "restart": "no",
        "depends_on": {database: {"condition": "service_healthy"}},
    }


def service_command(name: str, spec: ServiceSpec, package: str) -> list[str]:
    if spec.template == GATEWAY_KIND:
        return ["python", "-m", package]
    app = f"{package}.entrypoints.app:app"
    port = str(spec.port)
    return ["python", "-m", "uvicorn", app, "--host", "0.0.0.0", "--port", port, "--no-access-log"]


def use_local_service_image(
    service: dict[str, Any], name: str, spec: ServiceSpec, package: str
) -> None:
    """The image `ecomctl images build` made from the workspace instead of a compose build.

    The command is repeated here because the image's tag is per service name, not per
    stack: an image built for another stack's port must still listen on this one's.
    """
    service.pop("build", None)
    service.pop("profiles", None)  # with migrations in containers, a plain `up` runs it all
    service["image"] = service_image(name)
    service["pull_policy"] = "never"
    service["command"] = service_command(name, spec, package)
