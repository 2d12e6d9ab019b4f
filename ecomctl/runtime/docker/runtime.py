"""The docker runtime: the stack rendered as a compose project named after the stack.

Compose does the ordering (`depends_on: condition: service_healthy`) and the
waiting (`up --wait`); this class renders the file, reports progress while
compose works, and turns container state and engine errors into the same
statuses and one-line errors the local runtime gives.

With generated services, `up` runs in three steps (see `prepare`): the infra
they use up and healthy, then topics and SQL migrations from the host through
the published ports, then the services (built from source on every `up`). The
port offset is recorded in `.ecomctl/state.json`, where `ecomctl users
create-admin` looks for it: it reaches MySQL through the published port too.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import yaml

from ecomctl.errors import ComponentFailed, UsageError, UserError
from ecomctl.infra.registry import get_component
from ecomctl.runtime.base import (
    ComponentStatus,
    EventSink,
    Kind,
    LogLine,
    Runtime,
    State,
    UpEvent,
)
from ecomctl.runtime.docker.compose import (
    INFRA_PROFILE,
    SERVICES_PROFILE,
    compose_path,
    project_name,
    write_compose,
)
from ecomctl.runtime.docker.engine import (
    COMPONENT_LABEL,
    KIND_LABEL,
    PORT_LABEL,
    ComposeFailed,
    ContainerInfo,
    DockerEngine,
    EngineError,
    EngineUnavailable,
    ImageMissing,
)
from ecomctl.runtime.docker.local_compose import MIGRATION_KIND, ImageSource, migration_name
from ecomctl.runtime.docker.prepare import (
    HostPreparer,
    PublishedPortPreparer,
    needs_migrations,
)
from ecomctl.runtime.docker.status import container_state, image_tag, uptime_s
from ecomctl.runtime.local.state import RuntimeState, locked
from ecomctl.runtime.plan import HOST, check_offset, context_for, select_names
from ecomctl.runtime.ports import port_holder, port_is_free
from ecomctl.stack.model import Stack
from ecomctl.workspace import Workspace

_LOG_TAIL_LINES = 20


@contextmanager
def engine_errors() -> Iterator[None]:
    """Engine trouble becomes one line the user can act on."""
    try:
        yield
    except EngineUnavailable as exc:
        raise UserError(
            f"the docker runtime cannot work here: {exc}",
            hint="start the Docker engine, or use --runtime local",
        ) from None
    except ComposeFailed as exc:
        raise UserError(str(exc)) from None
    except EngineError as exc:
        raise UserError(f"Docker engine: {exc}") from None


class DockerRuntime(Runtime):
    name = "docker"

    def __init__(
        self,
        stack: Stack,
        workspace: Workspace,
        *,
        engine: DockerEngine | None = None,
        wait_timeout_s: float = 900.0,  # the default stack took 4 min at load 15-20
        poll_interval_s: float = 1.0,
        preparer: HostPreparer | None = None,
        images: ImageSource = "official",
    ) -> None:
        if engine is None:
            from ecomctl.runtime.docker.sdk import SdkDockerEngine

            engine = SdkDockerEngine()
        self.stack = stack
        self.workspace = workspace
        self.engine = engine
        self.preparer = preparer or PublishedPortPreparer()
        self.project = project_name(stack, workspace)
        self.images = images
        self.wait_timeout_s = wait_timeout_s
        self.poll_interval_s = poll_interval_s

    # -- up ------------------------------------------------------------------

    def up(
        self, names: list[str], *, port_offset: int, on_event: EventSink
    ) -> list[ComponentStatus]:
        chosen = self._select(names)
        check_offset(self.stack, port_offset)
        with engine_errors():
            self.engine.ping()
            containers = self._containers()
        running = {name for name, info in containers.items() if info.status == "running"}
        self._check_ports([n for n in chosen if n not in running], port_offset)
        self.workspace.ensure()
        if self.images == "local":
            self._build_local_images(on_event)
            # A cold build takes many minutes, in which another program may take a port.
            self._check_ports([n for n in chosen if n not in running], port_offset)
        compose_file = write_compose(
            self.stack, self.workspace, port_offset=port_offset, images=self.images
        )
        self._record_offset(port_offset)
        self._ensure_images(compose_file, select_names(self.stack, chosen))
        for name in chosen:
            phase, message = ("skip", "already running") if name in running else ("start", "")
            on_event(UpEvent(name, phase, message or f"docker compose up ({self.project})"))
        already: dict[str, State] = {name: "ready" for name in running}
        services = self._services()
        if self.images == "local":
            # Topics come from Kafka's container, migrations from one-shot containers that
            # compose orders before the services: one `up` of everything needed.
            needed = select_names(self.stack, chosen)
            self._compose_up_with_progress(needed, compose_file, [], already, on_event)
        elif not set(chosen) & services:
            self._compose_up_with_progress(chosen, compose_file, [INFRA_PROFILE], already, on_event)
        else:
            needed = select_names(self.stack, chosen)
            infra = [name for name in needed if name not in services]
            apps = [name for name in needed if name in services]
            self._compose_up_with_progress(infra, compose_file, [INFRA_PROFILE], already, on_event)
            self._prepare_from_host(infra, apps, port_offset, on_event)
            profiles = [INFRA_PROFILE, SERVICES_PROFILE]
            self._compose_up_with_progress(apps, compose_file, profiles, already, on_event)
        statuses = {row.name: row for row in self.status()}
        return [statuses[name] for name in chosen]

    def _ensure_images(self, compose_file: Path, names: list[str]) -> None:
        """Every image `up` needs, before compose starts anything: a missing one is one line."""
        document = yaml.safe_load(compose_file.read_text(encoding="utf-8")) or {}
        services = document.get("services") or {}
        for name in names:
            image = (services.get(name) or {}).get("image")
            if not image or "build" in services[name]:
                continue  # built by compose from the workspace
            try:
                self.engine.ensure_image(str(image))
            except ImageMissing as exc:
                raise UserError(
                    f"{name}: {exc}",
                    hint="build every image here with `ecomctl images build`, then "
                    "`ecomctl up --runtime docker --images local`",
                ) from None
            except EngineError as exc:
                raise UserError(f"Docker engine: {exc}") from None

    def _build_local_images(self, on_event: EventSink) -> None:
        """`ecomctl images build` as part of `up`: a warm run checks labels and builds nothing."""
        from ecomctl.runtime.docker.image_set import build_all

        def progress(line: str) -> None:
            on_event(UpEvent("images", "install", line))

        build_all(self.stack, self.workspace, progress)

    def _prepare_from_host(
        self, infra: list[str], services: list[str], port_offset: int, on_event: EventSink
    ) -> None:
        """Topics and migrations through the published ports, before any service starts."""
        if "kafka" in infra and self.stack.topics:
            on_event(UpEvent("kafka", "prepare", "creating the stack's topics"))
            try:
                created = self.preparer.create_topics(
                    self.stack, self.workspace, port_offset=port_offset
                )
            except UserError:
                on_event(UpEvent("kafka", "failed", "topics not created"))
                raise
            except Exception as exc:  # the Kafka client's errors carry no common base
                on_event(UpEvent("kafka", "failed", "topics not created"))
                raise ComponentFailed("kafka", f"creating topics failed: {exc}") from exc
            on_event(UpEvent("kafka", "prepare", f"{len(created)} topic(s) created"))
        for name in services:
            if not needs_migrations(self.stack, name):
                continue
            on_event(UpEvent(name, "prepare", "applying SQL migrations from the host"))
            try:
                applied = self.preparer.migrate(
                    self.stack, self.workspace, name, port_offset=port_offset
                )
            except UserError as exc:
                on_event(UpEvent(name, "failed", "migrations failed"))
                raise ComponentFailed(
                    name,
                    f"migrations failed: {exc}",
                    hint=f"see `ecomctl migrate info --service {name}`",
                ) from exc
            done = f"applied {', '.join(applied)}" if applied else "schema up to date"
            on_event(UpEvent(name, "prepare", done))

    def _record_offset(self, port_offset: int) -> None:
        """Where `users create-admin` and `migrate` read the offset the stack runs with."""
        state_file = self.workspace.state_dir / "state.json"
        with locked(self.workspace.state_dir):
            state = RuntimeState.load(state_file)
            state.port_offset = port_offset
            state.save(state_file)

    def _compose_up_with_progress(
        self,
        chosen: list[str],
        compose_file: Path,
        profiles: list[str],
        reported: dict[str, State],
        on_event: EventSink,
    ) -> None:
        """Compose blocks until all are healthy; meanwhile container states give live events."""
        failure: list[BaseException] = []

        def run() -> None:
            try:
                self.engine.compose_up(
                    self.project,
                    compose_file,
                    chosen,
                    profiles=profiles,
                    wait_timeout_s=self.wait_timeout_s,
                )
            except BaseException as exc:  # handed to the calling thread below
                failure.append(exc)

        worker = threading.Thread(target=run, name="docker-compose-up", daemon=True)
        worker.start()
        while worker.is_alive():
            worker.join(self.poll_interval_s)
            if worker.is_alive():
                containers = self._report_progress(chosen, reported, on_event)
                # A container that exited at start (and restarts, by its policy) fails `up`
                # at once: compose would wait for its health until the timeout.
                self._raise_failed(containers, chosen, on_event, finished=False)
        if failure:
            self._raise_up_failure(failure[0], chosen, on_event)
        self._report_progress(chosen, reported, on_event)

    def _report_progress(
        self, chosen: list[str], reported: dict[str, State], on_event: EventSink
    ) -> dict[str, ContainerInfo]:
        try:
            containers = self._containers()
        except EngineError:
            return {}  # progress is best effort; compose itself reports real failures
        for name in chosen:
            self._report_migrations(name, containers.get(migration_name(name)), reported, on_event)
            info = containers.get(name)
            state, detail = container_state(info)
            if info is None or reported.get(name) == state:
                continue
            reported[name] = state
            if state == "ready":
                on_event(UpEvent(name, "ready", f"{HOST}:{info.labels.get(PORT_LABEL, '?')}"))
            elif state == "starting":
                on_event(UpEvent(name, "wait", detail))
        return containers

    def _report_migrations(
        self,
        name: str,
        one_shot: ContainerInfo | None,
        reported: dict[str, State],
        on_event: EventSink,
    ) -> None:
        """`prepare` once `name`'s migrations container (local images) exited 0."""
        key = migration_name(name)
        if one_shot is None or one_shot.status != "exited" or one_shot.exit_code:
            return
        if reported.get(key) != "stopped":
            reported[key] = "stopped"
            on_event(UpEvent(name, "prepare", f"migrations applied by {one_shot.name}"))

    def _raise_up_failure(self, exc: BaseException, chosen: list[str], on_event: EventSink) -> None:
        if not isinstance(exc, EngineError):
            raise exc
        if isinstance(exc, ComposeFailed):
            try:
                containers = self._containers()
            except EngineError:
                containers = {}
            self._raise_failed(containers, chosen, on_event, finished=True, compose_said=str(exc))
        with engine_errors():
            raise exc

    def _raise_failed(
        self,
        containers: dict[str, ContainerInfo],
        chosen: list[str],
        on_event: EventSink,
        *,
        finished: bool,
        compose_said: str = "",
    ) -> None:
        """The first failed component as one line and its log's end; once compose has
        finished, a component still starting failed too (not healthy in time), and what
        compose said is kept: it may name another cause (a port taken during the build)."""
        self._raise_failed_migration(containers, chosen, on_event)
        for name in chosen:
            state, detail = container_state(containers.get(name))
            if state == "starting" and finished:
                said = f"; {compose_said}" if compose_said else ""
                state, detail = "failed", f"not healthy in time ({detail}{said})"
            if state == "failed":
                on_event(UpEvent(name, "failed", detail))
                raise ComponentFailed(
                    name,
                    f"container {detail}",
                    log_tail=self._log_tail(name),
                    hint=f"see `ecomctl logs {name}`",
                ) from None

    def _raise_failed_migration(
        self, containers: dict[str, ContainerInfo], chosen: list[str], on_event: EventSink
    ) -> None:
        """A service whose migrations container exited non-zero: that container's log."""
        for name in chosen:
            info = containers.get(migration_name(name))
            if info is None or info.status != "exited" or not info.exit_code:
                continue
            on_event(UpEvent(name, "failed", "migrations failed"))
            raise ComponentFailed(
                name,
                f"its migrations container {info.name} exited with code {info.exit_code}",
                log_tail=self._log_tail(migration_name(name)),
                hint=f"see `docker logs {info.name}` and `ecomctl migrate info --service {name}`",
            )

    def _log_tail(self, name: str) -> str:
        try:
            records = self.engine.logs(self.project, [name], follow=False, tail=_LOG_TAIL_LINES)
            return "\n".join(record.text for record in records)
        except EngineError:
            return ""

    def _check_ports(self, names: list[str], port_offset: int) -> None:
        for name in names:
            for port in self._host_ports(name, port_offset):
                if not port_is_free(port, HOST):
                    raise UserError(
                        f"port {port} for {name} is taken by {port_holder(port)}",
                        hint="stop that process, or move the whole stack with --port-offset N",
                    )

    def _host_ports(self, name: str, port_offset: int) -> list[int]:
        if name in self._services():
            return [self.stack.services[name].port + port_offset]
        ctx = context_for(
            name, self.stack, self.workspace, port_offset=port_offset, installation=None
        )
        return [ctx.port, *ctx.ports.values()]

    # -- down, status, logs ----------------------------------------------------

    def down(self, *, volumes: bool, on_event: EventSink) -> list[str]:
        with engine_errors():
            self.engine.ping()
            # Components, not the one-shot migrations containers compose removes with them.
            present = [
                name
                for name, info in self._containers().items()
                if info.labels.get(KIND_LABEL) != MIGRATION_KIND
            ]
            compose_file = compose_path(self.workspace)
            if not compose_file.is_file():
                compose_file = write_compose(
                    self.stack, self.workspace, port_offset=0, images=self.images
                )
            self.engine.compose_down(
                self.project,
                compose_file,
                profiles=[INFRA_PROFILE, SERVICES_PROFILE],
                volumes=volumes,
            )
        message = "container removed" + (", volumes deleted" if volumes else "")
        for name in present:
            on_event(UpEvent(name, "stop", message))
        return present

    def stop(self, names: list[str], *, on_event: EventSink) -> list[str]:
        with engine_errors():
            self.engine.ping()
            running = [
                name
                for name, info in self._containers().items()
                if name in names and info.status == "running"
            ]
            compose_file = compose_path(self.workspace)
            if running and compose_file.is_file():
                for name in running:
                    on_event(UpEvent(name, "stop", "stopping"))
                self.engine.compose_stop(
                    self.project,
                    compose_file,
                    running,
                    profiles=[INFRA_PROFILE, SERVICES_PROFILE],
                )
        for name in running:
            on_event(UpEvent(name, "stop", "container stopped"))
        return running

    def status(self) -> list[ComponentStatus]:
        with engine_errors():
            containers = self._containers()
        rendered_ports = self._rendered_ports()
        rows: list[ComponentStatus] = []
        for name, kind in self._components():
            info = containers.get(name)
            state, detail = container_state(info)
            port = _port_of(info) or rendered_ports.get(name) or self._stack_port(name, kind)
            rows.append(
                ComponentStatus(
                    name=name,
                    kind=kind,
                    state=state,
                    port=port,
                    runtime=self.name,
                    ports=self._extra_ports(name, kind, port),
                    uptime_s=uptime_s(info),
                    version=image_tag(info.image) if info else None,
                    detail=f"{info.name}: {detail}".rstrip(": ") if info else detail,
                )
            )
        return rows

    def logs(self, names: list[str], *, follow: bool, tail: int) -> Iterator[LogLine]:
        known = [name for name, _ in self._components()]
        unknown = [name for name in names if name not in known]
        if unknown:
            raise UsageError(f"no component named {', '.join(unknown)}; known: {', '.join(known)}")
        with engine_errors():
            for record in self.engine.logs(self.project, names, follow=follow, tail=tail):
                yield LogLine(record.service, record.text)

    # -- helpers -------------------------------------------------------------

    def _select(self, names: list[str]) -> list[str]:
        known = [name for name, _ in self._components()]
        if not names:
            return list(self.stack.enabled_infra())
        unknown = [name for name in names if name not in known]
        if unknown:
            raise UsageError(
                f"{', '.join(unknown)}: not an enabled component of stack {self.stack.name!r}"
            )
        return list(dict.fromkeys(names))

    def _components(self) -> list[tuple[str, Kind]]:
        infra: list[tuple[str, Kind]] = [(name, "infra") for name in self.stack.enabled_infra()]
        return infra + [(name, "service") for name in sorted(self._services())]

    def _services(self) -> set[str]:
        return {name for name, spec in self.stack.services.items() if spec.enabled}

    def _containers(self) -> dict[str, ContainerInfo]:
        """The project's containers by component name (one container per service)."""
        found: dict[str, ContainerInfo] = {}
        for info in self.engine.containers(self.project):
            name = info.labels.get(COMPONENT_LABEL)
            if name:
                found.setdefault(name, info)
        return found

    def _rendered_ports(self) -> dict[str, int]:
        """Ports of the last rendered file, so stopped components show the port they will use."""
        path = compose_path(self.workspace)
        try:
            document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError):
            return {}
        ports: dict[str, int] = {}
        for name, service in (document.get("services") or {}).items():
            value = (service.get("labels") or {}).get(PORT_LABEL)
            if str(value).isdigit():
                ports[name] = int(str(value))
        return ports

    def _stack_port(self, name: str, kind: Kind) -> int:
        return self.stack.infra[name].port if kind == "infra" else self.stack.services[name].port

    def _extra_ports(self, name: str, kind: Kind, port: int) -> dict[str, int]:
        if kind != "infra":
            return {}
        offset = port - self.stack.infra[name].port
        extra = {**get_component(name).extra_ports, **self.stack.infra[name].extra_ports}
        return {key: value + offset for key, value in extra.items()}


def _port_of(info: ContainerInfo | None) -> int | None:
    value = str(info.labels.get(PORT_LABEL, "")) if info else ""
    return int(value) if value.isdigit() else None
