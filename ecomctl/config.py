"""Every environment variable ecomctl reads, with its default, in one place."""

from __future__ import annotations

import os
from pathlib import Path

WORKSPACE = "ECOMCTL_WORKSPACE"  # the workspace folder (default: see workspace.py)
CACHE_DIR = "ECOMCTL_CACHE_DIR"  # provisioned binaries (default: $XDG_CACHE_HOME/ecomctl)
RUNTIME = "ECOMCTL_RUNTIME"  # force "local" or "docker"
DEBUG = "ECOMCTL_DEBUG"  # "1": tracebacks for unexpected errors
KAFKA_HOME = "KAFKA_HOME"  # a Kafka distribution the user already has
NO_COLOR = "NO_COLOR"
TEMPLATES_DIR = "ECOMCTL_TEMPLATES_DIR"  # service templates (default: those shipped with ecomctl)
KIT_DIR = "ECOMCTL_KIT_DIR"  # the service kit's source (default: the one shipped with ecomctl)
INSTALLER = "ECOMCTL_INSTALLER"  # "pip": install services with pip even when uv is present

WORKSPACE_MARKER = "ecomctl.yaml"  # a stack file that makes its folder a workspace
DEFAULT_WORKSPACE_NAME = "ecomctl-workspace"


def env_path(name: str) -> Path | None:
    value = os.environ.get(name, "").strip()
    return Path(value).expanduser() if value else None


def cache_dir() -> Path:
    explicit = env_path(CACHE_DIR)
    if explicit:
        return explicit
    xdg = env_path("XDG_CACHE_HOME") or Path.home() / ".cache"
    return xdg / "ecomctl"


def debug_enabled() -> bool:
    return os.environ.get(DEBUG, "").strip() not in ("", "0", "false", "no")
