"""`ecomctl users create-admin`: the first ADMIN, made by user-auth's own command.

The API would need an admin to make one, and ecomctl should not know another
service's tables; so it runs the service's admin command,
`python -m user_auth.entrypoints.cli create-admin`, with the workspace
virtualenv's python and the ECOM_* environment `up` gives the service (its
database, port offset applied), and reports what the command answered. The
password goes over stdin, never into an argv that `ps` shows, and no output of
ecomctl repeats it. The command's own rules hold: the same admin again is a
no-op, a username that is taken otherwise is refused, weak input exits 2.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from dataclasses import dataclass

from ecomctl import config
from ecomctl.errors import UsageError, UserError
from ecomctl.infra.component import Installation
from ecomctl.migrate.url import service_url
from ecomctl.runtime.local.processes import inherited_env
from ecomctl.runtime.services import ServiceComponent, auth_env, service_dir, service_env
from ecomctl.stack.model import Stack
from ecomctl.workspace import Workspace

ADMIN_MODULE = "entrypoints.cli"  # inside the service's package
TIMEOUT_S = 120.0
# The admin command's exit codes (templates/user-auth/.../entrypoints/cli.py).
_REFUSED, _USAGE, _UNREACHABLE, _DATABASE = 1, 2, 3, 4


@dataclass(frozen=True)
class AdminResult:
    user_id: int
    username: str
    created: bool  # False: the same admin already existed
    database: str  # redacted URL


def create_admin(
    *,
    workspace: Workspace,
    stack: Stack,
    username: str,
    password: str,
    email: str | None = None,
    port_offset: int = 0,
    service: str = "user-auth",
    progress: Callable[[str], None] = lambda _line: None,
) -> AdminResult:
    """Runs the service's `create-admin` against the stack's database (idempotent)."""
    installed = installed_service(workspace, stack, service, progress)
    env = inherited_env() | service_env(
        service, stack, port_offset=port_offset, auth=auth_env(service, stack, workspace)
    )
    argv = [
        str(installed.path("python")),
        "-m",
        f"{installed.paths['package']}.{ADMIN_MODULE}",
        "create-admin",
        "--username",
        username,
        "--password-stdin",
        "--json",
    ]
    if email:
        argv += ["--email", email]
    try:
        done = subprocess.run(
            argv,
            input=password + "\n",
            env=env,
            cwd=installed.path("source"),
            capture_output=True,
            text=True,
            timeout=TIMEOUT_S,
        )
    except subprocess.TimeoutExpired:
        raise UserError(f"{service}'s create-admin did not finish in {TIMEOUT_S:.0f}s") from None
    database = service_url(stack, service, port_offset=port_offset).redacted()
    if done.returncode != 0:
        raise _explain(done, service, database)
    try:
        answer = json.loads(done.stdout.strip().splitlines()[-1])
        return AdminResult(int(answer["user_id"]), answer["username"], answer["created"], database)
    except (ValueError, KeyError, IndexError, TypeError):
        raise UserError(
            f"{service}'s create-admin answered no JSON result: {done.stdout.strip()[-200:]!r}"
        ) from None


def installed_service(
    workspace: Workspace, stack: Stack, service: str, progress: Callable[[str], None]
) -> Installation:
    """The service in the workspace's virtualenv; installed there first when it is not."""
    if service not in stack.services:
        raise UsageError(f"the stack has no service {service!r}")
    component = ServiceComponent(service, stack, workspace)
    found = component.locate(config.cache_dir())
    if found is not None:
        return found
    if not (service_dir(workspace.root, service) / "pyproject.toml").is_file():
        raise UserError(
            f"{service} is not generated in {workspace.root}",
            hint="`ecomctl up` generates the services and starts the stack",
        )
    return component.install(config.cache_dir(), progress)


def _explain(done: subprocess.CompletedProcess[str], service: str, database: str) -> UserError:
    lines = done.stderr.strip().splitlines()
    message = lines[-1].removeprefix("error: ") if lines else f"exit {done.returncode}"
    if done.returncode == _USAGE:
        return UsageError(message)
    if done.returncode == _REFUSED:
        return UserError(
            message, hint="choose another username; roles of existing users change through the API"
        )
    if done.returncode == _UNREACHABLE:
        detail = message.removeprefix("cannot reach the database ")
        return UserError(
            f"cannot reach the {service} database at {database} {detail}",
            hint="start the stack first (`ecomctl up`); pass --port-offset if it runs with one",
        )
    if done.returncode == _DATABASE:
        return UserError(
            f"{database}: {message}",
            hint=f"`ecomctl up` migrates it, or `ecomctl migrate -s {service}`",
        )
    tail = "\n".join(lines[-5:])
    return UserError(f"{service}'s create-admin failed (exit {done.returncode}): {tail}")
