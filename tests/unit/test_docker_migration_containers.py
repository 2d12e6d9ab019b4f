"""`--images local`: migrations as one-shot containers, one compose `up`, no profiles, and a
compose project of its own per workspace.

The real engine runs the same file in tests/integration/test_docker_stack.py.
"""

from __future__ import annotations

from pathlib import Path

import jsonschema
import pytest

from ecomctl.errors import ComponentFailed
from ecomctl.runtime.base import UpEvent
from ecomctl.runtime.docker.compose import project_name, render_compose, write_compose
from ecomctl.runtime.docker.runtime import DockerRuntime
from ecomctl.stack.model import Stack
from ecomctl.workspace import Workspace
from tests.unit.fake_docker import FakeDockerEngine
from tests.unit.test_compose_render import assert_valid, compose_validator  # noqa: F401

STACK = {
    "name": "shop",
    "infra": {
        "kafka": {"port": 9092},
        "postgres": {"port": 5432, "databases": ["orders"]},
        "redis": {"port": 6379},
    },
    "services": {
        "order": {
            "port": 8083,
            "template": "order",
            "uses": ["kafka", "postgres"],
            "database": "orders",
        },
        "gateway": {"port": 8080, "template": "gateway", "uses": ["redis"]},
    },
}


def stack() -> Stack:
    return Stack.model_validate(STACK)


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    return Workspace(tmp_path / "ws")


def test_a_service_with_a_database_waits_for_its_migrations_container(
    workspace: Workspace,
) -> None:
    services = render_compose(stack(), workspace, port_offset=100, images="local")["services"]
    one_shot = services["migrate-order"]
    assert one_shot["image"] == "ecomctl-local/runner:local"
    assert one_shot["restart"] == "no"
    assert one_shot["command"][-2:] == ["migrate", "order"]
    assert one_shot["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    assert one_shot["environment"] == {"ECOMCTL_PORT_OFFSET": "100"}
    mounts = {volume["target"]: volume for volume in one_shot["volumes"]}
    assert mounts["/etc/ecomctl/migrations"]["read_only"] is True
    assert Path(mounts["/etc/ecomctl/migrations"]["source"]).name == "order"
    assert services["order"]["depends_on"]["migrate-order"] == {
        "condition": "service_completed_successfully"
    }
    assert "migrate-gateway" not in services  # no database, no migrations


def test_the_local_file_needs_no_profiles_and_is_valid(
    workspace: Workspace,
    compose_validator: jsonschema.protocols.Validator,  # noqa: F811
) -> None:
    import yaml

    document = yaml.safe_load(
        write_compose(stack(), workspace, port_offset=0, images="local").read_text()
    )
    assert_valid(compose_validator, document)
    assert not [name for name, s in document["services"].items() if "profiles" in s]
    official = render_compose(stack(), workspace, port_offset=0)["services"]
    assert official["order"]["profiles"] == ["services"]  # `up` migrates from the host there


def test_two_workspaces_of_one_stack_are_two_compose_projects(tmp_path: Path) -> None:
    first, second = Workspace(tmp_path / "a"), Workspace(tmp_path / "b")
    assert project_name(stack(), first) != project_name(stack(), second)
    assert project_name(stack(), first) == project_name(stack(), Workspace(tmp_path / "a"))
    assert project_name(stack(), first).startswith("shop-")


class Events(list[UpEvent]):
    def __call__(self, event: UpEvent) -> None:
        self.append(event)


@pytest.fixture
def local_runtime(workspace: Workspace, monkeypatch: pytest.MonkeyPatch) -> DockerRuntime:
    monkeypatch.setattr("ecomctl.runtime.docker.runtime.port_is_free", lambda port, host: True)
    monkeypatch.setattr(DockerRuntime, "_build_local_images", lambda self, on_event: None)
    return DockerRuntime(
        stack(), workspace, engine=FakeDockerEngine(), poll_interval_s=0.01, images="local"
    )


def test_local_images_up_is_one_compose_up_without_host_steps(
    local_runtime: DockerRuntime,
) -> None:
    rows = local_runtime.up(["order"], port_offset=0, on_event=Events())
    engine = local_runtime.engine
    assert isinstance(engine, FakeDockerEngine)
    assert engine.calls == [("up", local_runtime.project, ("kafka", "postgres", "order"), ())]
    assert [(row.name, row.state) for row in rows] == [("order", "ready")]


def test_a_completed_migrations_container_is_reported_once(local_runtime: DockerRuntime) -> None:
    from ecomctl.runtime.docker.engine import COMPONENT_LABEL, ContainerInfo

    engine = local_runtime.engine
    assert isinstance(engine, FakeDockerEngine)
    done = ContainerInfo(
        "shop-migrate-order-1", "migrate-order", "exited", None, 0,
        labels={COMPONENT_LABEL: "migrate-order"},
    )  # fmt: skip
    engine.projects[local_runtime.project] = {"migrate-order": done}
    events = Events()
    reported: dict[str, str] = {}
    for _ in range(2):
        local_runtime._report_progress(["order"], reported, events)  # type: ignore[arg-type]
    assert [(e.component, e.phase, e.message) for e in events] == [
        ("order", "prepare", "migrations applied by shop-migrate-order-1")
    ]


def test_a_failed_migrations_container_names_the_service_and_shows_its_log(
    local_runtime: DockerRuntime,
) -> None:
    engine = local_runtime.engine
    assert isinstance(engine, FakeDockerEngine)
    engine.outcomes["migrate-order"] = ("exited", None)
    engine.log_lines["migrate-order"] = ["ecomctl: order: migrations failed: V1__init.sql"]
    events = Events()
    with pytest.raises(ComponentFailed, match=r"order: its migrations container .* code 1"):
        local_runtime.up(["order"], port_offset=0, on_event=events)
    try:
        local_runtime.up(["order"], port_offset=0, on_event=events)
    except ComponentFailed as failed:
        assert "V1__init.sql" in failed.log_tail
        assert "docker logs" in (failed.hint or "")
    assert ("order", "failed") in [(e.component, e.phase) for e in events]


def test_a_container_restarting_at_start_fails_up_without_waiting_for_compose(
    local_runtime: DockerRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Compose would wait for the health of a crash-looping container until its timeout."""
    import threading
    from dataclasses import replace

    engine = local_runtime.engine
    assert isinstance(engine, FakeDockerEngine)
    released = threading.Event()
    fake_up = engine.compose_up

    def slow_up(project: str, *args: object, **kwargs: object) -> None:
        fake_up(project, *args, **kwargs)  # type: ignore[arg-type]
        redis = engine.projects[project]["redis"]
        engine.projects[project]["redis"] = replace(redis, health="starting", restart_count=3)
        released.wait(30)  # compose still waiting when `up` gives up

    monkeypatch.setattr(engine, "compose_up", slow_up)
    engine.log_lines["redis"] = ["Bad file format reading the append only file"]
    try:
        with pytest.raises(ComponentFailed, match="redis: container exited at start") as caught:
            local_runtime.up(["redis"], port_offset=0, on_event=Events())
        assert "append only file" in caught.value.log_tail
    finally:
        released.set()


def test_down_names_the_components_not_the_migrations_containers(
    local_runtime: DockerRuntime,
) -> None:
    local_runtime.up(["order"], port_offset=0, on_event=Events())
    assert sorted(local_runtime.down(volumes=True, on_event=Events())) == [
        "kafka",
        "order",
        "postgres",
    ]


def test_a_failed_up_still_records_its_runtime_so_down_cleans_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A container that exited at start is still there: `down` must act on docker."""
    from ecomctl import operations
    from ecomctl.errors import UserError

    class FailingRuntime:
        def up(self, *args: object, **kwargs: object) -> None:
            raise UserError("redis: container exited with code 1")

    monkeypatch.delenv("ECOMCTL_RUNTIME", raising=False)
    monkeypatch.setattr(operations, "open_runtime", lambda *a, **k: FailingRuntime())
    only_redis = Stack.model_validate({"name": "shop", "infra": {"redis": {"port": 6379}}})
    tgt = operations.Target(only_redis, Workspace(tmp_path / "ws"), tmp_path / "ecomctl.yaml")
    with pytest.raises(UserError):
        operations.up(
            tgt=tgt, runtime="docker", allow_install=False, on_event=print, images="local"
        )
    assert operations.choose_runtime("auto", tgt.workspace) == "docker"
    assert operations.choose_images(None, tgt.workspace) == "local"
    # A shell that forces the local runtime still stops, shows and reads the docker stack.
    monkeypatch.setenv("ECOMCTL_RUNTIME", "local")
    assert operations.choose_runtime("auto", tgt.workspace) == "docker"
    assert operations.choose_runtime("auto", tgt.workspace, starting=True) == "local"
