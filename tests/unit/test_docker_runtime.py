"""DockerRuntime against a fake at the DockerEngine boundary, and the fake against the contract."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from ecomctl.errors import ComponentFailed, UsageError, UserError
from ecomctl.infra import registry
from ecomctl.runtime.base import UpEvent
from ecomctl.runtime.docker.compose import compose_path
from ecomctl.runtime.docker.engine import ContainerInfo
from ecomctl.runtime.docker.runtime import DockerRuntime
from ecomctl.runtime.docker.status import container_state, image_tag
from ecomctl.stack.model import Stack
from ecomctl.workspace import Workspace
from tests.unit.fake_docker import (
    CONTRACT_GREETING,
    FAKE_COMPONENTS,
    ContractProject,
    DockerEngineContract,
    FakeDockerEngine,
    write_contract_project,
)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


# The runtime checks that ports are free, so the stack uses ports nothing holds now.
PORTS = {"redis": _free_port(), "zipkin": _free_port(), "kafka": _free_port()}
CONTROLLER_PORT = _free_port()
SERVICE_PORT = _free_port()


@pytest.fixture
def fake_components(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, target in FAKE_COMPONENTS.items():
        monkeypatch.setitem(registry._IMPLEMENTATIONS, name, target)


@pytest.fixture
def stack() -> Stack:
    return Stack.model_validate(
        {
            "name": "shop",
            "infra": {
                "redis": {"port": PORTS["redis"]},
                "zipkin": {"port": PORTS["zipkin"]},
                "kafka": {"port": PORTS["kafka"], "extra_ports": {"controller": CONTROLLER_PORT}},
            },
            "services": {"order": {"port": SERVICE_PORT, "template": "order", "uses": ["kafka"]}},
        }
    )


@pytest.fixture
def engine() -> FakeDockerEngine:
    return FakeDockerEngine()


@pytest.fixture
def runtime(
    fake_components: None, stack: Stack, engine: FakeDockerEngine, tmp_path: Path
) -> DockerRuntime:
    return DockerRuntime(stack, Workspace(tmp_path / "ws"), engine=engine, poll_interval_s=0.01)


class Events(list[UpEvent]):
    def __call__(self, event: UpEvent) -> None:
        self.append(event)

    def phases(self, component: str) -> list[str]:
        return [e.phase for e in self if e.component == component]


def test_up_writes_the_compose_file_and_starts_the_infra_profile(
    runtime: DockerRuntime, engine: FakeDockerEngine
) -> None:
    events = Events()
    rows = runtime.up([], port_offset=0, on_event=events)
    written = yaml.safe_load(compose_path(runtime.workspace).read_text())
    assert set(written["services"]) == {"redis", "zipkin", "kafka", "order"}
    assert engine.calls == [("up", runtime.project, ("redis", "zipkin", "kafka"), ("infra",))]
    assert [(r.name, r.state, r.port) for r in rows] == [
        ("redis", "ready", PORTS["redis"]),
        ("zipkin", "ready", PORTS["zipkin"]),
        ("kafka", "ready", PORTS["kafka"]),
    ]
    assert events.phases("kafka") == ["start", "ready"]


def test_up_applies_the_port_offset_everywhere(
    runtime: DockerRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The shifted ports were never reserved for this test: another program may hold one
    # by chance (an ephemeral port). The port check has tests of its own.
    monkeypatch.setattr("ecomctl.runtime.docker.runtime.port_is_free", lambda port, host: True)
    rows = runtime.up(["kafka"], port_offset=7, on_event=Events())
    assert [(r.name, r.port, r.ports) for r in rows] == [
        ("kafka", PORTS["kafka"] + 7, {"controller": CONTROLLER_PORT + 7})
    ]
    status = {row.name: row for row in runtime.status()}
    assert status["redis"].port == PORTS["redis"] + 7  # not started; shown on its next port


def test_a_service_brings_the_services_profile(
    runtime: DockerRuntime, engine: FakeDockerEngine
) -> None:
    runtime.up(["order"], port_offset=0, on_event=Events())
    assert (
        engine.calls
        == [  # infra healthy first, then the services (details: test_docker_services)
            ("up", runtime.project, ("kafka",), ("infra",)),
            ("up", runtime.project, ("order",), ("infra", "services")),
        ]
    )
    states = {row.name: (row.kind, row.state) for row in runtime.status()}
    assert states["order"] == ("service", "ready")
    assert states["kafka"] == ("infra", "ready")  # compose started what order depends on


def test_up_twice_reports_running_components_as_skipped(runtime: DockerRuntime) -> None:
    runtime.up(["redis"], port_offset=0, on_event=Events())
    events = Events()
    rows = runtime.up(["redis"], port_offset=0, on_event=events)
    assert events.phases("redis") == ["skip"]
    assert rows[0].state == "ready"


def test_unhealthy_container_fails_up_naming_it_with_its_log(
    runtime: DockerRuntime, engine: FakeDockerEngine
) -> None:
    engine.outcomes["zipkin"] = ("running", "unhealthy")
    engine.log_lines["zipkin"] = ["booting", "OutOfMemoryError: Java heap space"]
    events = Events()
    with pytest.raises(ComponentFailed) as failure:
        runtime.up([], port_offset=0, on_event=events)
    assert str(failure.value) == "zipkin: container health check failing"
    assert "OutOfMemoryError" in failure.value.log_tail
    assert events.phases("zipkin")[-1] == "failed"


def test_no_engine_is_one_readable_line(runtime: DockerRuntime, engine: FakeDockerEngine) -> None:
    engine.available = False
    with pytest.raises(UserError) as failure:
        runtime.up([], port_offset=0, on_event=Events())
    assert "the docker runtime cannot work here" in str(failure.value)
    assert failure.value.hint is not None and "--runtime local" in failure.value.hint
    assert "\n" not in str(failure.value)


def test_a_missing_image_without_registry_is_one_line_naming_it_and_the_fix(
    runtime: DockerRuntime, engine: FakeDockerEngine
) -> None:
    engine.images = {"redis:7"}
    with pytest.raises(UserError) as failure:
        runtime.up([], port_offset=0, on_event=Events())
    message = str(failure.value)
    assert message.startswith("zipkin: image openzipkin/zipkin:3 is not on this machine")
    assert "\n" not in message
    assert failure.value.hint is not None and "ecomctl images build" in failure.value.hint
    assert engine.calls == []  # nothing started
    assert runtime.down(volumes=True, on_event=Events()) == []


def test_a_missing_image_is_pulled_when_a_registry_answers(
    runtime: DockerRuntime, engine: FakeDockerEngine
) -> None:
    engine.images, engine.registry = set(), True
    runtime.up(["redis"], port_offset=0, on_event=Events())
    assert engine.images == {"redis:7"}


def test_a_taken_port_is_named_before_anything_starts(
    runtime: DockerRuntime, engine: FakeDockerEngine
) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", PORTS["redis"]))
        holder.listen()
        with pytest.raises(UserError, match=f"port {PORTS['redis']} for redis is taken"):
            runtime.up(["redis"], port_offset=0, on_event=Events())
    assert engine.calls == []


def test_unknown_name_is_a_usage_error(runtime: DockerRuntime) -> None:
    with pytest.raises(UsageError, match="nope"):
        runtime.up(["nope"], port_offset=0, on_event=Events())


def test_status_maps_a_crashed_container_to_failed(
    runtime: DockerRuntime, engine: FakeDockerEngine
) -> None:
    runtime.up([], port_offset=0, on_event=Events())
    engine.crash(runtime.project, "redis")
    rows = {row.name: row for row in runtime.status()}
    assert rows["redis"].state == "failed"
    assert "exited with code 137" in rows["redis"].detail
    assert rows["order"].state == "stopped"
    assert rows["zipkin"].runtime == "docker"
    assert rows["kafka"].version == "4"


def test_down_stops_what_runs_and_deletes_volumes_on_request(
    runtime: DockerRuntime, engine: FakeDockerEngine
) -> None:
    runtime.up(["redis"], port_offset=0, on_event=Events())
    events = Events()
    stopped = runtime.down(volumes=True, on_event=events)
    assert stopped == ["redis"]
    assert engine.calls[-1] == ("down", runtime.project, ("infra", "services"), True)
    assert events.phases("redis") == ["stop"]
    assert all(row.state == "stopped" for row in runtime.status())


def test_stop_stops_only_the_named_running_containers_and_up_starts_them_again(
    runtime: DockerRuntime, engine: FakeDockerEngine
) -> None:
    runtime.up(["redis", "kafka"], port_offset=0, on_event=Events())
    events = Events()
    assert runtime.stop(["redis", "zipkin"], on_event=events) == ["redis"]  # zipkin never ran
    assert engine.calls[-1] == ("stop", runtime.project, ("redis",))
    assert events.phases("redis") == ["stop", "stop"]
    states = {row.name: row.state for row in runtime.status()}
    assert states["redis"] == "stopped" and states["kafka"] == "ready"
    rows = runtime.up(["redis"], port_offset=0, on_event=Events())
    assert rows[0].state == "ready"


def test_down_without_a_rendered_file_still_works(
    runtime: DockerRuntime, engine: FakeDockerEngine
) -> None:
    assert runtime.down(volumes=False, on_event=Events()) == []
    assert engine.calls == [("down", runtime.project, ("infra", "services"), False)]


def test_logs_come_from_the_engine_with_component_names(
    runtime: DockerRuntime, engine: FakeDockerEngine
) -> None:
    engine.log_lines = {"redis": ["r1", "r2", "r3"], "kafka": ["k1"]}
    runtime.up([], port_offset=0, on_event=Events())
    lines = list(runtime.logs(["redis"], follow=False, tail=2))
    assert [(line.component, line.text) for line in lines] == [("redis", "r2"), ("redis", "r3")]
    with pytest.raises(UsageError):
        list(runtime.logs(["ghost"], follow=True, tail=10))


@pytest.mark.parametrize(
    ("info", "state"),
    [
        (None, "stopped"),
        (ContainerInfo("c", "s", "running", "healthy"), "ready"),
        (ContainerInfo("c", "s", "running", None), "ready"),
        (ContainerInfo("c", "s", "running", "starting"), "starting"),
        (ContainerInfo("c", "s", "running", "unhealthy"), "failed"),
        (ContainerInfo("c", "s", "created"), "starting"),
        (ContainerInfo("c", "s", "restarting", None, 1), "failed"),
        # Exited at start and brought back by its restart policy: failed, not "starting".
        (ContainerInfo("c", "s", "running", "starting", restart_count=2), "failed"),
        (ContainerInfo("c", "s", "running", "healthy", restart_count=2), "ready"),
        (ContainerInfo("c", "s", "exited", None, 0), "stopped"),
        (ContainerInfo("c", "s", "exited", None, 137), "failed"),
        (ContainerInfo("c", "s", "paused"), "stopped"),
    ],
)
def test_container_states(info: ContainerInfo | None, state: str) -> None:
    assert container_state(info)[0] == state


@pytest.mark.parametrize(
    ("image", "tag"),
    [("postgres:16", "16"), ("registry:5000/team/app", None), ("a/b:1.2@sha256:x", None)],
)
def test_image_tag(image: str, tag: str | None) -> None:
    assert image_tag(image) == tag


class TestFakeEngineMeetsTheContract(DockerEngineContract):
    @pytest.fixture
    def engine(self) -> FakeDockerEngine:
        return FakeDockerEngine(log_lines={"web": [CONTRACT_GREETING]})

    @pytest.fixture
    def project(self, engine: FakeDockerEngine, tmp_path: Path) -> Iterator[ContractProject]:
        yield write_contract_project(tmp_path, 48080)
