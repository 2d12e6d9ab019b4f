"""The local runtime: every component a supervised process of this machine.

`up` starts components in dependency waves, independent ones in parallel,
and waits for a real protocol round trip from each before calling it ready.
Process records (pid + start time) are the only way `down` finds what to stop.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

from ecomctl.errors import ComponentFailed, UserError
from ecomctl.infra.component import ComponentContext, InfraComponent, Installation
from ecomctl.infra.provision.privileges import wrap_for_user
from ecomctl.runtime import plan
from ecomctl.runtime.base import ComponentStatus, EventSink, LogLine, Runtime, UpEvent
from ecomctl.runtime.local import colors
from ecomctl.runtime.local import logs as local_logs
from ecomctl.runtime.local.processes import start_process, stop_process, tree_rss_mb, uptime_s
from ecomctl.runtime.local.readiness import probe, wait_ready
from ecomctl.runtime.local.state import ComponentRecord, RuntimeState, locked
from ecomctl.runtime.ports import port_holder, port_is_free
from ecomctl.runtime.services import ServiceComponent
from ecomctl.stack.model import Stack
from ecomctl.workspace import Workspace

LOG_TAIL_LINES = 15


class LocalRuntime(Runtime):
    name = "local"
    supports_colors = True

    def __init__(
        self,
        stack: Stack,
        workspace: Workspace,
        installations: dict[str, Installation],
        *,
        cache_dir: Path | None = None,
    ) -> None:
        self.stack = stack
        self.workspace = workspace
        self.installations = installations
        self.cache_dir = cache_dir  # to locate installations lazily, for status of running parts
        self._state_lock = threading.Lock()  # parallel starts record their pids one at a time

    @property
    def _state_file(self) -> Path:
        return self.workspace.state_dir / "state.json"

    def _component(self, name: str) -> InfraComponent:
        return plan.component_for(name, self.stack, self.workspace)

    # ---- up -------------------------------------------------------------------------------
    def up(
        self, names: list[str], *, port_offset: int, on_event: EventSink
    ) -> list[ComponentStatus]:
        plan.check_offset(self.stack, port_offset)
        self.workspace.ensure()
        with locked(self.workspace.state_dir):
            state = RuntimeState.load(self._state_file)
            offset = self._effective_offset(state, port_offset)
            to_start = self._not_running(state, names, on_event)
            contexts = {n: self._context(n, offset) for n in to_start}
            self._check_ports_free(contexts)
            state.port_offset = offset
            started: list[str] = []
            try:
                self._start_in_waves(names, contexts, state, started, on_event)
            except BaseException:
                # A failed or interrupted `up` leaves nothing half-running behind.
                for name in reversed(started):
                    on_event(UpEvent(name, "stop", "stopping (up did not finish)"))
                    self._stop_one(name, state)
                raise
        return self.status()

    def _effective_offset(self, state: RuntimeState, requested: int) -> int:
        running = [n for n, r in state.components.items() if not r.stopped and r.process.alive()]
        if running and state.port_offset != requested:
            raise UserError(
                f"the stack is running with --port-offset {state.port_offset} "
                f"({', '.join(running)}); run `ecomctl down` first to change it"
            )
        return requested

    def _not_running(self, state: RuntimeState, names: list[str], on_event: EventSink) -> list[str]:
        to_start = []
        for name in names:
            record = state.components.get(name)
            if record and not record.stopped and record.process.alive():
                on_event(UpEvent(name, "skip", f"already running (pid {record.pid})"))
            else:
                if record and not record.stopped:
                    on_event(UpEvent(name, "restart", "was not running: restarting"))
                to_start.append(name)
        return to_start

    def _context(self, name: str, offset: int) -> ComponentContext:
        if name not in self.installations:
            raise ComponentFailed(name, "not installed", hint="run `ecomctl infra install`")
        return plan.context_for(
            name,
            self.stack,
            self.workspace,
            port_offset=offset,
            installation=self.installations[name],
        )

    def _check_ports_free(self, contexts: dict[str, ComponentContext]) -> None:
        for name, ctx in contexts.items():
            for label, port in [("", ctx.port), *((f" ({k})", p) for k, p in ctx.ports.items())]:
                if not port_is_free(port, ctx.host):
                    raise UserError(
                        f"port {port} for {name}{label} is taken by {port_holder(port)}",
                        hint="stop that process, or start the whole stack elsewhere "
                        "with --port-offset N",
                    )

    def _start_in_waves(
        self,
        names: list[str],
        contexts: dict[str, ComponentContext],
        state: RuntimeState,
        started: list[str],
        on_event: EventSink,
    ) -> None:
        futures: dict[str, Future[None]] = {}
        with ThreadPoolExecutor(max_workers=max(1, len(contexts))) as pool:
            for name in names:  # names are in dependency order
                if name not in contexts:
                    continue
                needs = [futures[d] for d in self._component(name).depends_on if d in futures]
                futures[name] = pool.submit(
                    self._start_one, name, contexts[name], needs, state, started, on_event
                )
            errors = [f.exception() for f in futures.values() if f.exception() is not None]
        if errors:
            raise errors[0]  # type: ignore[misc]

    def _start_one(
        self,
        name: str,
        ctx: ComponentContext,
        needs: list[Future[None]],
        state: RuntimeState,
        started: list[str],
        on_event: EventSink,
    ) -> None:
        for dependency in needs:
            dependency.result()
        component = self._component(name)
        on_event(UpEvent(name, "prepare", "preparing data and config"))
        ctx.data_dir.mkdir(parents=True, exist_ok=True)
        ctx.run_dir.mkdir(parents=True, exist_ok=True)
        component.prepare(ctx)
        spec = component.process(ctx)
        argv = wrap_for_user(spec.argv, spec.run_as) if spec.run_as else spec.argv
        on_event(UpEvent(name, "start", f"starting on {ctx.host}:{ctx.port}"))
        record = start_process(spec, ctx.log_file, argv)
        with self._state_lock:
            state.components[name] = ComponentRecord(
                pid=record.pid,
                create_time=record.create_time,
                port=ctx.port,
                ports=ctx.ports,
                kind="service" if plan.is_service(self.stack, name) else "infra",
                version=ctx.installation.version if ctx.installation else None,
                stop_signal=int(spec.stop_signal),
                stop_timeout_s=spec.stop_timeout_s,
            )
            started.append(name)
            state.save(self._state_file)
        on_event(UpEvent(name, "wait", "waiting for readiness"))
        wait_ready(component, ctx, record, log_tail=lambda: self._log_tail(name))
        component.after_ready(ctx)
        on_event(UpEvent(name, "ready", f"ready on {ctx.host}:{ctx.port}"))

    # ---- down -----------------------------------------------------------------------------
    def down(self, *, volumes: bool, on_event: EventSink) -> list[str]:
        with locked(self.workspace.state_dir):
            state = RuntimeState.load(self._state_file)
            stopped: list[str] = []
            # Services first (they deregister and flush while their infra still answers),
            # then the infra; within each group nothing depends on the other at shutdown.
            for kind in ("service", "infra"):
                names = [
                    n
                    for n, r in state.components.items()
                    if (r.kind == "service") == (kind == "service")
                ]
                for name in names:
                    on_event(UpEvent(name, "stop", "stopping"))
                with ThreadPoolExecutor(max_workers=len(names) or 1) as pool:
                    was_running = list(pool.map(lambda n: self._stop_one(n, state), names))
                stopped += [name for name, ran in zip(names, was_running, strict=True) if ran]
            if volumes:
                for name in state.components or self.stack.infra:
                    shutil.rmtree(self.workspace.data_dir(name), ignore_errors=True)
                on_event(UpEvent("*", "volumes", "data deleted"))
            state.components.clear()
            state.save(self._state_file)
        return stopped

    def stop(self, names: list[str], *, on_event: EventSink) -> list[str]:
        with locked(self.workspace.state_dir):
            state = RuntimeState.load(self._state_file)
            recorded = [name for name in names if name in state.components]
            for name in recorded:
                on_event(UpEvent(name, "stop", "stopping"))
            with ThreadPoolExecutor(max_workers=len(recorded) or 1) as pool:
                was_running = list(pool.map(lambda n: self._stop_one(n, state), recorded))
        for name, ran in zip(recorded, was_running, strict=True):
            on_event(UpEvent(name, "stop", "stopped" if ran else "was not running"))
        return [name for name, ran in zip(recorded, was_running, strict=True) if ran]

    def _stop_one(self, name: str, state: RuntimeState) -> bool:
        record = state.components.get(name)
        if record is None:
            return False
        was_running = stop_process(
            record.process, stop_signal=record.stop_signal, timeout_s=record.stop_timeout_s
        )
        with self._state_lock:
            record.stopped = True
            state.save(self._state_file)
        return was_running

    # ---- status and logs ------------------------------------------------------------------
    def status(self) -> list[ComponentStatus]:
        state = RuntimeState.load(self._state_file)
        names = [*plan.enabled_names(self.stack), *colors.extra_names(state)]
        with ThreadPoolExecutor(max_workers=len(names) or 1) as pool:
            rows = list(pool.map(lambda n: self._status_of(n, state), names))
        return rows

    def _status_of(self, name: str, state: RuntimeState) -> ComponentStatus:
        record = state.components.get(name)
        if record is not None and record.service:  # a second color's instance
            return self._instance_status(name, record)
        service = plan.is_service(self.stack, name)
        spec_port = self.stack.services[name].port if service else self.stack.infra[name].port
        base = ComponentStatus(
            name=name,
            kind="service" if service else "infra",
            state="stopped",
            port=spec_port + state.port_offset,
            runtime=self.name,
        )
        if record is None or record.stopped:
            return base
        base.ports, base.port, base.version = record.ports, record.port, record.version
        if not record.process.alive():
            base.state, base.detail = (
                "failed",
                f"process {record.pid} is gone; `ecomctl up` restarts it",
            )
            return base
        base.pid, base.uptime_s = record.pid, uptime_s(record.process)
        base.rss_mb = tree_rss_mb(record.process)
        installation = self._installation(name)
        ctx = plan.context_for(
            name,
            self.stack,
            self.workspace,
            port_offset=state.port_offset,
            installation=installation,
        )
        if service:
            ctx = replace(ctx, port=record.port)  # a promoted color runs on its own port
            base.color = record.color or colors.FIRST_COLOR
        ok, detail = probe(self._component(name), ctx)
        base.state, base.detail = ("ready", "") if ok else ("starting", detail)
        return base

    def _instance_status(self, name: str, record: ComponentRecord) -> ComponentStatus:
        assert record.service is not None
        row = ComponentStatus(
            name=name,
            kind="service",
            state="stopped",
            port=record.port,
            runtime=self.name,
            version=record.version,
            color=record.color,
        )
        if not record.process.alive():
            row.state, row.detail = "failed", f"process {record.pid} is gone"
            return row
        row.pid, row.uptime_s = record.pid, uptime_s(record.process)
        row.rss_mb = tree_rss_mb(record.process)
        ctx = colors.instance_context(
            self.stack,
            self.workspace,
            name,
            record.service,
            self._installation(record.service),
            record.port,
        )
        ok, detail = probe(self._component(record.service), ctx)
        row.state, row.detail = ("ready", "") if ok else ("starting", detail)
        return row

    def _installation(self, name: str) -> Installation | None:
        if name not in self.installations and self.cache_dir is not None:
            found = self._component(name).locate(self.cache_dir)
            if found is not None:
                self.installations[name] = found
        return self.installations.get(name)

    def logs(self, names: list[str], *, follow: bool, tail: int) -> Iterator[LogLine]:
        chosen = names or [
            n for n in plan.enabled_names(self.stack) if self.workspace.log_file(n).exists()
        ]
        files = {name: self.workspace.log_file(name) for name in chosen}
        return local_logs.merged(files, follow=follow, tail=tail)

    def _log_tail(self, name: str) -> str:
        return local_logs.tail_text(self.workspace.log_file(name), LOG_TAIL_LINES)

    # ---- a second color of a service ------------------------------------------------------
    def start_instances(
        self,
        service: str,
        *,
        color: str,
        count: int,
        source: Path | None,
        env: dict[str, str],
        on_event: EventSink,
    ) -> list[ComponentStatus]:
        with locked(self.workspace.state_dir):
            state = RuntimeState.load(self._state_file)
            own = state.components.get(service)
            if own is None or own.stopped or not own.process.alive():
                raise UserError(
                    f"{service} is not running", hint=f"start it first: ecomctl up --only {service}"
                )
            installation = self._installation(service)
            if installation is None:
                raise UserError(f"{service} is not installed", hint="run `ecomctl up`")
            started: list[str] = []
            try:
                for number in range(1, count + 1):
                    name = colors.instance_name(service, color, number)
                    self._start_instance(
                        name, service, color, installation, source, env, state, on_event
                    )
                    started.append(name)
            except BaseException:
                for name in reversed(started):  # all replicas or none
                    self._stop_one(name, state)
                    state.components.pop(name, None)
                state.save(self._state_file)
                raise
        return [row for row in self.status() if row.name in started]

    def _start_instance(
        self,
        name: str,
        service: str,
        color: str,
        installation: Installation,
        source: Path | None,
        env: dict[str, str],
        state: RuntimeState,
        on_event: EventSink,
    ) -> None:
        component = self._component(service)
        assert isinstance(component, ServiceComponent)
        ctx = colors.instance_context(
            self.stack, self.workspace, name, service, installation, colors.free_port()
        )
        spec = component.process_on(
            ctx, port_offset=state.port_offset, extra_env=env, source=source
        )
        on_event(UpEvent(name, "start", f"starting {color} on {ctx.host}:{ctx.port}"))
        record = start_process(spec, ctx.log_file, spec.argv)
        state.components[name] = ComponentRecord(
            pid=record.pid,
            create_time=record.create_time,
            port=ctx.port,
            ports={},
            kind="service",
            version=env.get("ECOM_VERSION", installation.version),
            stop_signal=int(spec.stop_signal),
            stop_timeout_s=spec.stop_timeout_s,
            service=service,
            color=color,
        )
        state.save(self._state_file)
        on_event(UpEvent(name, "wait", "waiting for readiness"))
        wait_ready(component, ctx, record, log_tail=lambda: self._log_tail(name))
        on_event(UpEvent(name, "ready", f"ready on {ctx.host}:{ctx.port}"))

    def stop_instances(self, service: str, *, color: str, on_event: EventSink) -> list[str]:
        with locked(self.workspace.state_dir):
            state = RuntimeState.load(self._state_file)
            names = colors.names_of(state, service, color)
            for name in names:
                on_event(UpEvent(name, "stop", f"stopping {color}"))
            with ThreadPoolExecutor(max_workers=len(names) or 1) as pool:
                list(pool.map(lambda n: self._stop_one(n, state), names))
            for name in names:
                if name == service:
                    state.components[name].stopped = True
                else:
                    del state.components[name]
            state.save(self._state_file)
        return names

    def promote_instances(self, service: str, *, color: str) -> None:
        with locked(self.workspace.state_dir):
            state = RuntimeState.load(self._state_file)
            colors.promote(state, service, color)
            state.save(self._state_file)
