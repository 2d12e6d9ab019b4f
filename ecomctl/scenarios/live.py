"""Adapters for a running stack: the admin account, process control, and the wiring of all."""

from __future__ import annotations

import json
import os
import secrets
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

import psutil

from ecomctl.errors import EcomctlError, UserError
from ecomctl.operations import Target
from ecomctl.scenarios.client import Gateway, MailSink, StripeEmulator
from ecomctl.scenarios.endpoints import Endpoints, for_workspace
from ecomctl.scenarios.kafka import EventLog
from ecomctl.scenarios.world import Adapters
from ecomctl.traces.zipkin import ZipkinClient
from ecomctl.tracking.background import GatewayTracking

ADMIN_USERNAME = "scenario-admin"
KILL_WAIT_S = 10.0


class WorkspaceAdmin:
    """An ADMIN made with `ecomctl users create-admin`'s core, its password kept in the
    workspace's state folder (mode 0600) so later runs log in as the same admin."""

    def __init__(self, tgt: Target, offset: int) -> None:
        self.tgt = tgt
        self.offset = offset

    def credentials(self) -> tuple[str, str]:
        from ecomctl.users import create_admin

        path = self.tgt.workspace.state_dir / "scenario-admin.json"
        stored: dict[str, str] = json.loads(path.read_text()) if path.is_file() else {}
        if "password" not in stored:
            stored = {"username": ADMIN_USERNAME, "password": f"Adm-{secrets.token_urlsafe(18)}1"}
            path.parent.mkdir(parents=True, exist_ok=True)
            path.touch(mode=0o600)
            path.write_text(json.dumps(stored))
        create_admin(
            workspace=self.tgt.workspace,
            stack=self.tgt.stack,
            username=stored["username"],
            password=stored["password"],
            port_offset=self.offset,
        )
        return stored["username"], stored["password"]


class RuntimeServices:
    """kill -9 by the pid the runtime reports; restart with `ecomctl up --only SERVICE`."""

    def __init__(self, tgt: Target, offset: int) -> None:
        self.tgt = tgt
        self.offset = offset
        self.pids: dict[str, int] = {}  # a paused process is resumed by the pid it was paused

    def _pid(self, service: str) -> int:
        from ecomctl import operations

        _runtime, statuses = operations.status(tgt=self.tgt)
        row = next((s for s in statuses if s.name == service), None)
        if row is None or row.pid is None or row.state != "ready":
            raise UserError(f"{service} is not running here (see `ecomctl status`)")
        self.pids[service] = row.pid
        return row.pid

    def kill(self, service: str) -> int:
        pid = self._pid(service)
        os.kill(pid, signal.SIGKILL)
        with suppress(psutil.NoSuchProcess):
            psutil.Process(pid).wait(KILL_WAIT_S)
        return pid

    def pause(self, service: str) -> int:
        pid = self._pid(service)
        os.kill(pid, signal.SIGSTOP)
        return pid

    def resume(self, service: str) -> int:
        pid = self.pids.get(service) or self._pid(service)
        os.kill(pid, signal.SIGCONT)
        return pid

    def restart(self, service: str) -> None:
        from ecomctl import operations

        operations.up(
            tgt=self.tgt,
            only=[service],
            port_offset=self.offset,
            allow_install=False,
            on_event=lambda _event: None,
        )


class WorkspaceReleases:
    """`ecomctl deploy` and `ecomctl switch` on the workspace's running stack."""

    def __init__(self, tgt: Target) -> None:
        self.tgt = tgt

    def deploy(self, service: str, env: dict[str, str]) -> str:
        from ecomctl.rollout import release

        rollout = release.deploy(
            self.tgt,
            service,
            color=None,
            source=None,
            version_ref=None,
            replicas=1,
            allow_contract=False,
            env=env,
            on_event=lambda _event: None,
        )
        return f"{rollout.canary} {rollout.canary_version}"

    def abandon(self, service: str) -> None:
        from ecomctl.rollout import release
        from ecomctl.rollout import state as rollout_state

        last = rollout_state.load(self.tgt.workspace, service)
        if last is None or not last.open:
            return
        with suppress(EcomctlError):  # best effort: `ecomctl rollback` can finish it
            release.rollback(self.tgt, service, emit=lambda _e: None, on_event=lambda _e: None)

    def switch(self, service: str, options: dict[str, Any], emit: Any) -> str:
        from ecomctl.cli.traffic import parse_duration, parse_steps
        from ecomctl.rollout import release
        from ecomctl.rollout import state as rollout_state
        from ecomctl.rollout.gates import parse_gates
        from ecomctl.rollout.switch import RolledBack, Switch, SwitchPlan

        plan = SwitchPlan(
            steps=parse_steps(options["steps"]),
            pause_s=parse_duration(options["pause"], "pause"),
            gates=parse_gates(options["gate"]),
            gate_text=options["gate"],
            scale_down_delay_s=parse_duration(options["scale_down_delay"], "scale_down_delay"),
            min_requests=int(options["min_requests"]),
        )
        with rollout_state.exclusive(self.tgt.workspace, service):
            rollout = release.open_rollout(self.tgt, service)
            ports = release.stack_ports(self.tgt, on_event=lambda _event: None)
            try:
                Switch(self.tgt.workspace, rollout, plan, ports, emit).run()
            except RolledBack:
                return "rolled-back"
        return "promoted"


@contextmanager
def live_adapters(tgt: Target) -> Iterator[tuple[Adapters, Endpoints]]:
    ends = for_workspace(tgt.stack, tgt.workspace)
    gateway = Gateway(ends.gateway)
    stripe = StripeEmulator(ends.stripe)
    mail = MailSink(ends.mailpit)
    # Each order's trace is checked only when every order is traced: with a lower sample
    # ratio an order may rightly have none.
    traced = ends.zipkin and tgt.stack.tracing.sample_ratio >= 1.0
    zipkin = ZipkinClient(ends.zipkin) if traced else None
    try:
        yield (
            Adapters(
                api=gateway,
                cards=stripe,
                mail=mail,
                events=EventLog(ends.kafka),
                services=RuntimeServices(tgt, ends.port_offset),
                admin=WorkspaceAdmin(tgt, ends.port_offset),
                releases=WorkspaceReleases(tgt),
                traces=zipkin,
                tracking=GatewayTracking(ends.gateway),
            ),
            ends,
        )
    finally:
        gateway.close()
        stripe.close()
        mail.close()
        if zipkin is not None:
            zipkin.close()


def wait_ready(ends: Endpoints, timeout_s: float = 15.0) -> None:
    """The gateway answers before the first step (a clear error instead of a failed step)."""
    import httpx

    deadline = time.monotonic() + timeout_s
    while True:
        try:
            if httpx.get(f"{ends.gateway}/health/ready", timeout=3).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise UserError(
                f"the gateway at {ends.gateway} is not ready",
                hint="start the stack with `ecomctl up` (the saga services must be enabled)",
            )
        time.sleep(0.5)
