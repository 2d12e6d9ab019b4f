"""Maps what Docker says about a container onto the four states `ecomctl status` knows."""

from __future__ import annotations

from datetime import UTC, datetime

from ecomctl.runtime.base import State
from ecomctl.runtime.docker.engine import ContainerInfo


def container_state(info: ContainerInfo | None) -> tuple[State, str]:
    """(state, detail): a healthcheck decides readiness; a crash or a restart loop is a failure."""
    if info is None:
        return "stopped", "no container"
    if info.status == "running":
        if info.restart_count and info.health != "healthy":
            return "failed", f"exited at start and was restarted {info.restart_count} time(s)"
        if info.health == "starting":
            return "starting", "health check pending"
        if info.health == "unhealthy":
            return "failed", "health check failing"
        return "ready", ""
    if info.status == "created":
        return "starting", "created"
    if info.status == "restarting":
        return "failed", f"restarting after exit code {info.exit_code}"
    if info.status in ("exited", "dead"):
        if info.exit_code:
            return "failed", f"exited with code {info.exit_code}"
        return "stopped", info.status
    return "stopped", info.status or "unknown"


def uptime_s(info: ContainerInfo | None, now: datetime | None = None) -> float | None:
    if info is None or info.status != "running" or info.started_at is None:
        return None
    return max(0.0, ((now or datetime.now(UTC)) - info.started_at).total_seconds())


def image_tag(image: str) -> str | None:
    """'postgres:16' -> '16'; None for an untagged or digest-pinned image."""
    name = image.rsplit("/", 1)[-1]
    if "@" in name or ":" not in name:
        return None
    return name.rsplit(":", 1)[1]
