"""Installing Debian packages with apt-get, without keeping their daemons.

ecomctl runs its own instance of each server (its data under the workspace,
its ports, its lifetime), never the system one. So while apt installs, a
`policy-rc.d` that denies every start keeps maintainer scripts from starting
daemons (the usual Debian way, also used by container images); any service
that still got started by the install is stopped with its own init script.
A service that was already running before the install is left alone: it is
not ours.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from ecomctl.errors import ComponentFailed
from ecomctl.infra.component import ProgressFn

POLICY_RC_D = Path("/usr/sbin/policy-rc.d")
_DENY_ALL_STARTS = "#!/bin/sh\n# written by ecomctl while installing packages\nexit 101\n"
_LOCK_TIMEOUT_S = 300  # another apt (unattended-upgrades, another agent) may hold the lock

_updated = False
"""`apt-get update` runs at most once per ecomctl process."""


def apt_env() -> dict[str, str]:
    return {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}


def install_argv(packages: Sequence[str]) -> list[str]:
    return [
        "apt-get",
        "install",
        "-y",
        "--no-install-recommends",
        "-o",
        f"DPkg::Lock::Timeout={_LOCK_TIMEOUT_S}",
        *packages,
    ]


def sudo_hint(packages: Sequence[str]) -> str:
    """The exact command a non-root user runs instead."""
    return (
        "sudo apt-get update && sudo DEBIAN_FRONTEND=noninteractive "
        f"apt-get install -y --no-install-recommends {' '.join(packages)}"
    )


def _run(component: str, argv: list[str]) -> None:
    done = subprocess.run(argv, env=apt_env(), capture_output=True, text=True, check=False)
    if done.returncode != 0:
        tail = "\n".join((done.stdout + done.stderr).splitlines()[-20:])
        raise ComponentFailed(
            component, f"`{' '.join(argv)}` failed (exit {done.returncode})", log_tail=tail
        )


@contextmanager
def no_daemon_starts(policy_file: Path = POLICY_RC_D) -> Iterator[None]:
    """Deny service starts during an install, unless the machine already has a policy."""
    if policy_file.exists():
        yield
        return
    policy_file.write_text(_DENY_ALL_STARTS)
    policy_file.chmod(0o755)
    try:
        yield
    finally:
        policy_file.unlink(missing_ok=True)


def service_running(service: str) -> bool:
    """Whether the system's own instance of `service` runs (via its init script)."""
    if shutil.which("service") is None:
        return False
    status = subprocess.run(["service", service, "status"], capture_output=True, check=False)
    return status.returncode == 0


def stop_service(service: str) -> None:
    subprocess.run(["service", service, "stop"], capture_output=True, check=False)


def install_packages(
    component: str,
    packages: Sequence[str],
    progress: ProgressFn,
    *,
    services: Sequence[str] = (),
) -> None:
    """Install `packages`; stop `services` the install started.

    Raises ComponentFailed with the sudo command as hint when not root.
    """
    global _updated
    if os.geteuid() != 0:
        raise ComponentFailed(
            component, "installing Debian packages needs root", hint=sudo_hint(packages)
        )
    if shutil.which("apt-get") is None:
        raise ComponentFailed(component, "apt-get not found: this is not a Debian-like system")
    already_running = {s for s in services if service_running(s)}
    if not _updated:
        progress("apt-get update")
        _run(component, ["apt-get", "update", "-o", f"DPkg::Lock::Timeout={_LOCK_TIMEOUT_S}"])
        _updated = True
    progress(f"apt-get install {' '.join(packages)}")
    with no_daemon_starts():
        _run(component, install_argv(packages))
    for service in services:
        if service not in already_running and service_running(service):
            progress(f"stopping the system {service} service (ecomctl runs its own)")
            stop_service(service)
