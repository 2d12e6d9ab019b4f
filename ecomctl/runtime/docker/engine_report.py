"""What `ecomctl doctor` says about Docker: client, daemon, storage, compose, local images."""

from __future__ import annotations

import shutil
import subprocess
from typing import Any

START_HINT = (
    "the docker client is installed but no daemon answers: start one as root "
    "(`systemctl start docker`, or `dockerd &` where systemd does not run), "
    "or use --runtime local"
)
INSTALL_HINT = "no docker client: install Debian's docker.io (as root), or use --runtime local"


def engine_report(timeout_s: float = 3.0) -> dict[str, Any]:
    """Never raises: every missing piece becomes a field and one hint."""
    import docker
    from docker.errors import DockerException
    from requests import RequestException

    client_path = shutil.which("docker")
    report: dict[str, Any] = {
        "client": client_path,
        "daemon": False,
        "version": None,
        "storage_driver": None,
        "compose": None,
        "local_images": [],
        "hint": None,
    }
    try:
        client = docker.from_env(timeout=int(max(1, timeout_s)))
        try:
            report["version"] = client.version().get("Version")
            report["storage_driver"] = client.info().get("Driver")
            report["daemon"] = True
            report["local_images"] = sorted(
                tag for image in client.images.list(name="ecomctl-local/*") for tag in image.tags
            )
        finally:
            client.close()
    except (DockerException, RequestException, OSError):
        report["hint"] = START_HINT if client_path else INSTALL_HINT
    report["compose"] = _compose_version(client_path, timeout_s)
    if report["daemon"] and not report["compose"]:
        report["hint"] = "no `docker compose` plugin: run scripts/ensure-docker (builds one)"
    elif report["daemon"] and not report["local_images"]:
        report["hint"] = "no local images yet: `ecomctl images build` (or use --images official)"
    return report


def _compose_version(client_path: str | None, timeout_s: float) -> str | None:
    if client_path is None:
        return None
    try:
        done = subprocess.run(
            [client_path, "compose", "version", "--short"],
            capture_output=True,
            text=True,
            timeout=max(timeout_s, 5.0),
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() or None if done.returncode == 0 else None
