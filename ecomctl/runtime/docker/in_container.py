"""The entrypoint of the local infrastructure images: the local runtime's steps, in a container.

    python -m ecomctl.runtime.docker.in_container serve <component>
    python -m ecomctl.runtime.docker.in_container migrate <service>

`serve` runs what the local runtime runs for a component (`prepare`, the
process of `process`, `check_ready`, then `after_ready`: databases, users,
topics), with a context that differs in three ways only: the server listens on
every interface (`container_name` is set), data lives in the volume at
`DATA_ROOT`, and the binaries are those of the image. It then waits for the
server and exits with its code, forwarding SIGTERM/SIGINT as the component's
stop signal. The compose healthcheck tests for the marker file `serve` writes
once `after_ready` has finished (no interpreter start per check: on a busy
laptop that alone takes seconds).

`migrate` is the one-shot container that runs before a service: the service's
SQL migrations (mounted read-only at `MIGRATIONS_ROOT`) applied with ecomctl's
Flyway-compatible engine to its database container, reached by its compose name.

The stack comes from `STACK_FILE` (a 0600 JSON copy of the stack the docker
runtime mounts read-only: it holds passwords, so it is not in the compose file)
and the port offset from `ECOMCTL_PORT_OFFSET`: the container listens on the
same ports as the host publishes, so addresses are the same inside and out.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from ecomctl.config import cache_dir
from ecomctl.infra.component import ComponentContext, InfraComponent
from ecomctl.infra.registry import get_component
from ecomctl.stack.model import Stack

STACK_FILE = "/etc/ecomctl/stack.json"
DATA_ROOT = "/var/lib/ecomctl"
RUN_ROOT = "/run/ecomctl"
MIGRATIONS_ROOT = "/etc/ecomctl/migrations"
PORT_OFFSET_ENV = "ECOMCTL_PORT_OFFSET"
_POLL_S = 0.5


def _mounted_stack() -> Stack:
    return Stack.model_validate(json.loads(Path(STACK_FILE).read_text(encoding="utf-8")))


def _port_offset() -> int:
    return int(os.environ.get(PORT_OFFSET_ENV, "0"))


def container_context(name: str) -> ComponentContext:
    stack = _mounted_stack()
    offset = _port_offset()
    spec = stack.infra[name]
    component = get_component(name)
    extra = {**component.extra_ports, **spec.extra_ports}
    return ComponentContext(
        name=name,
        spec=spec,
        stack=stack,
        port=spec.port + offset,
        ports={key: port + offset for key, port in extra.items()},
        host="127.0.0.1",
        data_dir=Path(DATA_ROOT) / name,
        run_dir=Path(RUN_ROOT) / name,
        log_file=Path("/dev/stdout"),
        installation=component.locate(cache_dir()),
        container_name=name,
    )


def ready_marker_path(name: str) -> Path:
    return Path(RUN_ROOT) / f"{name}.ready"


def ready_marker(ctx: ComponentContext) -> Path:
    return ready_marker_path(ctx.name)


def serve(name: str) -> int:
    from ecomctl.infra.provision.privileges import wrap_for_user

    component = get_component(name)
    ctx = container_context(name)
    if ctx.installation is None:
        print(f"ecomctl: {name} is not installed in this image", file=sys.stderr)
        return 2
    ready_marker(ctx).parent.mkdir(parents=True, exist_ok=True)
    ready_marker(ctx).unlink(missing_ok=True)
    component.prepare(ctx)
    spec = component.process(ctx)
    argv = wrap_for_user(spec.argv, spec.run_as) if spec.run_as else spec.argv
    child = subprocess.Popen(argv, env={**os.environ, **spec.env}, cwd=spec.cwd)

    def forward(_signum: int, _frame: object) -> None:
        child.send_signal(spec.stop_signal)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    if _wait_ready(component, ctx, child):
        component.after_ready(ctx)
        ready_marker(ctx).touch()
        print(f"ecomctl: {name} ready", flush=True)
    return child.wait()


def _wait_ready(
    component: InfraComponent, ctx: ComponentContext, child: subprocess.Popen[bytes]
) -> bool:
    deadline = time.monotonic() + component.ready_timeout_s * 3  # a container shares the CPU
    while time.monotonic() < deadline and child.poll() is None:
        try:
            component.check_ready(ctx)
            return True
        except Exception:  # NotReady, or a client error while the server boots
            time.sleep(_POLL_S)
    return False


def migrate(service: str) -> int:
    """Apply `service`'s pending migrations; exit 1 with one line on failure (compose then
    starts nothing that depends on this container)."""
    from ecomctl.errors import UserError
    from ecomctl.migrate import MigrateSettings, service_url
    from ecomctl.migrate import migrate as apply_pending
    from ecomctl.runtime.docker.prepare import database_of

    stack = _mounted_stack()
    # The database container listens on the published port number, under its compose name.
    host = database_of(stack, service)
    url = service_url(stack, service, port_offset=_port_offset(), host=host)
    settings = MigrateSettings(url=url, locations=(Path(MIGRATIONS_ROOT),))
    try:
        result = apply_pending(settings=settings)
    except UserError as exc:
        print(f"ecomctl: {service}: migrations failed: {exc}", file=sys.stderr, flush=True)
        return 1
    applied = [item.version or item.script for item in result.applied]
    done = f"applied {', '.join(applied)}" if applied else "schema up to date"
    print(f"ecomctl: {service}: {done}", flush=True)
    return 0


_COMMANDS = {"serve": serve, "migrate": migrate}


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in _COMMANDS:
        usage = "serve COMPONENT | migrate SERVICE"
        print(f"usage: python -m ecomctl.runtime.docker.in_container {usage}")
        return 2
    return _COMMANDS[argv[0]](argv[1])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
