"""The local runtime's supervisor, against real tiny processes (no real servers)."""

from __future__ import annotations

import os
import signal
import socket

import pytest

from ecomctl.errors import ComponentFailed, UserError
from ecomctl.runtime.base import UpEvent
from ecomctl.runtime.local.runtime import LocalRuntime
from ecomctl.stack.model import Stack
from ecomctl.workspace import Workspace
from tests.unit.fake_components import HttpServerComponent

pytestmark = pytest.mark.usefixtures("fake_registry")


def runtime_for(stack: Stack, workspace: Workspace) -> LocalRuntime:
    installations = {name: HttpServerComponent().locate(workspace.root) for name in stack.infra}
    return LocalRuntime(stack, workspace, installations)  # type: ignore[arg-type]


def states(runtime: LocalRuntime) -> dict[str, str]:
    return {row.name: row.state for row in runtime.status()}


def test_up_starts_dependencies_first_and_reports_ready(
    fake_stack: Stack, workspace: Workspace
) -> None:
    events: list[UpEvent] = []
    runtime = runtime_for(fake_stack, workspace)
    try:
        runtime.up(["redis", "zipkin"], port_offset=0, on_event=events.append)
        ready_order = [e.component for e in events if e.phase == "ready"]
        assert ready_order == ["redis", "zipkin"]
        rows = {row.name: row for row in runtime.status()}
        assert rows["redis"].state == "ready" and rows["zipkin"].state == "ready"
        assert rows["redis"].pid and rows["redis"].rss_mb and rows["redis"].rss_mb > 0
        assert rows["smtp"].state == "stopped"
    finally:
        runtime.down(volumes=True, on_event=lambda e: None)


def test_up_twice_is_a_no_op_and_down_stops_exactly_what_up_started(
    fake_stack: Stack, workspace: Workspace
) -> None:
    runtime = runtime_for(fake_stack, workspace)
    runtime.up(["redis"], port_offset=0, on_event=lambda e: None)
    first_pid = next(r.pid for r in runtime.status() if r.name == "redis")
    events: list[UpEvent] = []
    runtime.up(["redis"], port_offset=0, on_event=events.append)
    assert [e.phase for e in events] == ["skip"]
    assert next(r.pid for r in runtime.status() if r.name == "redis") == first_pid
    stopped = runtime.down(volumes=False, on_event=lambda e: None)
    assert stopped == ["redis"]
    assert first_pid is not None
    with pytest.raises(ProcessLookupError):
        os.kill(first_pid, 0)
    assert states(runtime)["redis"] == "stopped"


def test_a_killed_component_is_failed_and_restarted_by_up(
    fake_stack: Stack, workspace: Workspace
) -> None:
    runtime = runtime_for(fake_stack, workspace)
    try:
        runtime.up(["redis"], port_offset=0, on_event=lambda e: None)
        pid = next(r.pid for r in runtime.status() if r.name == "redis")
        assert pid is not None
        os.kill(pid, signal.SIGKILL)
        for _ in range(50):
            if states(runtime)["redis"] == "failed":
                break
        assert states(runtime)["redis"] == "failed"
        events: list[UpEvent] = []
        runtime.up(["redis"], port_offset=0, on_event=events.append)
        assert "restart" in [e.phase for e in events]
        assert states(runtime)["redis"] == "ready"
    finally:
        runtime.down(volumes=True, on_event=lambda e: None)


def test_a_taken_port_fails_before_anything_starts(fake_stack: Stack, workspace: Workspace) -> None:
    port = fake_stack.infra["zipkin"].port
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", port))
        squatter.listen()
        runtime = runtime_for(fake_stack, workspace)
        with pytest.raises(
            UserError, match=f"port {port} for zipkin is taken by pid {os.getpid()}"
        ):
            runtime.up(["redis", "zipkin"], port_offset=0, on_event=lambda e: None)
        assert states(runtime)["redis"] == "stopped"


def test_a_component_that_dies_fails_with_its_log_and_rolls_back(
    fake_stack: Stack, workspace: Workspace
) -> None:
    runtime = runtime_for(fake_stack, workspace)
    with pytest.raises(ComponentFailed) as failure:
        runtime.up(["redis", "smtp"], port_offset=0, on_event=lambda e: None)
    assert failure.value.component == "smtp"
    assert "boom: bad config" in failure.value.log_tail
    assert states(runtime) == {"redis": "stopped", "zipkin": "stopped", "smtp": "stopped"}


def test_changing_the_port_offset_of_a_running_stack_is_refused(
    fake_stack: Stack, workspace: Workspace
) -> None:
    runtime = runtime_for(fake_stack, workspace)
    try:
        runtime.up(["redis"], port_offset=0, on_event=lambda e: None)
        with pytest.raises(UserError, match="running with --port-offset 0"):
            runtime.up(["redis"], port_offset=7, on_event=lambda e: None)
    finally:
        runtime.down(volumes=True, on_event=lambda e: None)


def test_logs_are_merged_with_component_names(fake_stack: Stack, workspace: Workspace) -> None:
    runtime = runtime_for(fake_stack, workspace)
    try:
        runtime.up(["redis", "zipkin"], port_offset=0, on_event=lambda e: None)
        lines = list(runtime.logs([], follow=False, tail=0))
        assert {line.component for line in lines} == {"redis", "zipkin"}
        assert any("ecomctl: starting" in line.text for line in lines)
    finally:
        runtime.down(volumes=True, on_event=lambda e: None)
