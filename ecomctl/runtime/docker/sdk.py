"""The real `DockerEngine`: the docker SDK for queries, the compose CLI for up/down.

Compose is not part of the docker SDK, so `up`/`down` run `docker compose` as a
subprocess; everything that reads state (ping, containers, logs) goes through
the SDK, which returns structured data instead of text to parse.
"""

from __future__ import annotations

import os
import queue
import shutil
import subprocess
import threading
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import docker
from docker.errors import DockerException
from requests import RequestException

from ecomctl.runtime.docker.engine import (
    PROJECT_LABEL,
    SERVICE_LABEL,
    ComposeFailed,
    ContainerInfo,
    DockerEngine,
    EngineError,
    EngineUnavailable,
    ImageMissing,
    LogRecord,
)

_OUTPUT_TAIL_LINES = 15


class SdkDockerEngine(DockerEngine):
    def __init__(
        self,
        *,
        timeout_s: float = 10.0,
        docker_cli: str = "docker",
        client: docker.DockerClient | None = None,
    ) -> None:
        self._timeout_s = timeout_s
        self._docker_cli = docker_cli
        self._client = client  # made from the environment (DOCKER_HOST, ...) on first use

    # -- queries through the SDK -------------------------------------------------

    def ping(self) -> None:
        try:
            self._sdk().ping()
        except (DockerException, RequestException) as exc:
            raise EngineUnavailable(_unanswered(exc)) from exc

    def ensure_image(self, name: str) -> None:
        from docker.errors import ImageNotFound

        try:
            self._sdk().images.get(name)
            return
        except ImageNotFound:
            pass
        except (DockerException, RequestException) as exc:
            raise EngineError(_one_line(exc)) from exc
        try:
            self._sdk().images.pull(name)
        except (DockerException, RequestException) as exc:
            raise ImageMissing(name, _one_line(exc)) from exc

    def containers(self, project: str) -> list[ContainerInfo]:
        try:
            found = self._sdk().containers.list(
                all=True, filters={"label": f"{PROJECT_LABEL}={project}"}
            )
        except (DockerException, RequestException) as exc:
            raise EngineError(_one_line(exc)) from exc
        return [_container_info(container.attrs) for container in found]

    def logs(
        self, project: str, services: list[str], *, follow: bool, tail: int
    ) -> Iterator[LogRecord]:
        wanted = set(services)
        try:
            found = self._sdk().containers.list(
                all=True, filters={"label": f"{PROJECT_LABEL}={project}"}
            )
        except (DockerException, RequestException) as exc:
            raise EngineError(_one_line(exc)) from exc
        chosen = [c for c in found if not wanted or c.labels.get(SERVICE_LABEL) in wanted]
        return _merge_streams(chosen, follow=follow, tail=tail)

    # -- compose through the CLI ---------------------------------------------

    def compose_up(
        self,
        project: str,
        compose_file: Path,
        services: list[str],
        *,
        profiles: list[str],
        wait_timeout_s: float,
    ) -> None:
        self._compose(
            project,
            compose_file,
            profiles,
            ["up", "--detach", "--wait", "--wait-timeout", str(int(wait_timeout_s)), *services],
        )

    def compose_down(
        self, project: str, compose_file: Path, *, profiles: list[str], volumes: bool
    ) -> None:
        args = ["down", "--remove-orphans", *(["--volumes"] if volumes else [])]
        self._compose(project, compose_file, profiles, args)

    def compose_stop(
        self, project: str, compose_file: Path, services: list[str], *, profiles: list[str]
    ) -> None:
        self._compose(project, compose_file, profiles, ["stop", *services])

    def _compose(
        self, project: str, compose_file: Path, profiles: list[str], args: list[str]
    ) -> None:
        if shutil.which(self._docker_cli) is None:
            raise EngineUnavailable(f"the {self._docker_cli!r} command is not on PATH")
        argv = [self._docker_cli, "compose", "--project-name", project, "--file", str(compose_file)]
        for profile in profiles:
            argv += ["--profile", profile]
        completed = subprocess.run([*argv, *args], capture_output=True, text=True, check=False)
        if completed.returncode != 0:
            printed = (completed.stdout + completed.stderr).strip().splitlines()
            output = "\n".join(printed[-_OUTPUT_TAIL_LINES:])
            last = output.splitlines()[-1] if output else f"exit code {completed.returncode}"
            raise ComposeFailed(f"docker compose {args[0]} failed: {last}", output=output)

    def _sdk(self) -> docker.DockerClient:
        if self._client is None:
            try:
                client = docker.from_env(timeout=int(max(1, self._timeout_s)))
                client.ping()
            except (DockerException, RequestException) as exc:
                raise EngineUnavailable(_unanswered(exc)) from exc
            self._client = client
        return self._client


def compose_cli_available(docker_cli: str = "docker", timeout_s: float = 10.0) -> bool:
    """Whether `docker compose` (the v2 plugin) is installed; the engine may still be down."""
    if shutil.which(docker_cli) is None:
        return False
    try:
        completed = subprocess.run(
            [docker_cli, "compose", "version"], capture_output=True, timeout=timeout_s, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return completed.returncode == 0


def probe_engine(timeout: float) -> bool:
    """An engine answers a ping within `timeout` seconds and `docker compose` is installed."""
    try:
        client = docker.from_env(timeout=int(max(1, timeout)))
        try:
            client.ping()
        finally:
            client.close()
    except (DockerException, RequestException, OSError):
        return False
    return compose_cli_available(timeout_s=max(timeout, 5.0))


def _container_info(attrs: dict[str, Any]) -> ContainerInfo:
    state = attrs.get("State") or {}
    config = attrs.get("Config") or {}
    labels: dict[str, str] = config.get("Labels") or {}
    health = (state.get("Health") or {}).get("Status")
    return ContainerInfo(
        name=str(attrs.get("Name", "")).lstrip("/"),
        service=labels.get(SERVICE_LABEL, ""),
        status=str(state.get("Status", "")),
        health=health,
        exit_code=state.get("ExitCode"),
        ports=_published_ports((attrs.get("NetworkSettings") or {}).get("Ports") or {}),
        labels=labels,
        started_at=_parse_time(state.get("StartedAt")),
        image=str(config.get("Image", "")),
        restart_count=int(attrs.get("RestartCount") or 0),
    )


def _published_ports(ports: dict[str, list[dict[str, str]] | None]) -> dict[int, int]:
    """{'6379/tcp': [{'HostIp': '127.0.0.1', 'HostPort': '6380'}]} -> {6379: 6380}."""
    published: dict[int, int] = {}
    for key, bindings in ports.items():
        port, _, protocol = key.partition("/")
        if protocol not in ("", "tcp") or not bindings:
            continue
        published[int(port)] = int(bindings[0]["HostPort"])
    return published


def _parse_time(value: str | None) -> datetime | None:
    """Docker's RFC 3339 times with nanoseconds; the zero time means 'never started'."""
    if not value or value.startswith("0001-"):
        return None
    head, _, fraction = value.rstrip("Z").partition(".")
    try:
        return datetime.fromisoformat(f"{head}.{fraction[:6] or '0'}+00:00")
    except ValueError:
        return None


_DONE = object()


def _merge_streams(containers: list[Any], *, follow: bool, tail: int) -> Iterator[LogRecord]:
    """One thread per container feeds a queue, so followed logs interleave as they arrive."""
    lines: queue.Queue[object] = queue.Queue(maxsize=10_000)

    def pump(container: Any) -> None:
        service = container.labels.get(SERVICE_LABEL, container.name)
        try:
            pending = b""
            for chunk in container.logs(stream=True, follow=follow, tail=tail):
                pending += chunk
                *complete, pending = pending.split(b"\n")
                for raw in complete:
                    lines.put(LogRecord(service, raw.decode("utf-8", "replace").rstrip("\r")))
            if pending:
                lines.put(LogRecord(service, pending.decode("utf-8", "replace")))
        except (DockerException, RequestException) as exc:
            lines.put(LogRecord(service, f"[ecomctl] log stream ended: {_one_line(exc)}"))
        finally:
            lines.put(_DONE)

    for container in containers:
        threading.Thread(target=pump, args=(container,), daemon=True).start()
    running = len(containers)
    while running:
        item = lines.get()
        if item is _DONE:
            running -= 1
        elif isinstance(item, LogRecord):
            yield item


def _unanswered(exc: BaseException) -> str:
    """'no Docker engine answers at unix:///var/run/docker.sock (No such file or directory)'."""
    host = os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock"
    return f"no Docker engine answers at {host} ({_root_reason(exc)})"


def _root_reason(exc: BaseException) -> str:
    """The OS-level reason buried in the SDK's wrapped exceptions, when there is one."""
    pending: list[object] = [exc]
    seen: set[int] = set()
    while pending:
        current = pending.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, OSError) and current.strerror:
            return current.strerror
        if isinstance(current, BaseException):
            pending += [*current.args, current.__cause__, current.__context__]
        elif isinstance(current, tuple):
            pending += list(current)
    return _one_line(exc)


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
