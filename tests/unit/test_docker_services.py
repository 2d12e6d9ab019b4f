"""Generated services in the docker runtime: image recipe, compose service, up's three steps.

No engine runs here: Dockerfiles are parsed with dockerfile-parse, compose
documents are checked against the compose-spec schema, and `DockerRuntime.up`
runs against the fake engine with a recording host preparer.
"""

from __future__ import annotations

import io
import json
import random
import stat
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from dockerfile_parse import DockerfileParser

from ecomctl.errors import ComponentFailed, UserError
from ecomctl.infra import registry
from ecomctl.runtime.docker.build import APP_UID, render_dockerfile, support_dir
from ecomctl.runtime.docker.compose import render_compose, write_compose
from ecomctl.runtime.docker.prepare import HostPreparer
from ecomctl.runtime.docker.runtime import DockerRuntime
from ecomctl.runtime.local.state import RuntimeState
from ecomctl.runtime.ports import port_is_free
from ecomctl.runtime.services import registry_secret
from ecomctl.stack.loader import load_stack
from ecomctl.stack.model import Stack
from ecomctl.workspace import Workspace
from tests.unit.conftest import free_port, install_user_auth_stand_in
from tests.unit.fake_docker import FAKE_COMPONENTS, FakeDockerEngine
from tests.unit.test_cli import ecomctl
from tests.unit.test_compose_render import assert_valid, compose_validator  # noqa: F401
from tests.unit.test_docker_runtime import Events

# -- the image recipe ------------------------------------------------------------


def _instructions(text: str) -> list[tuple[str, str]]:
    # An in-memory file: by default the parser writes "Dockerfile" into the working directory.
    parser = DockerfileParser(fileobj=io.BytesIO())
    parser.content = text
    return [(item["instruction"], item["value"]) for item in parser.structure]


def test_the_dockerfile_builds_in_two_stages_and_runs_uvicorn_as_non_root() -> None:
    text = render_dockerfile(service="user-auth", package="user_auth", port=8081)
    steps = _instructions(text)
    froms = [value for instruction, value in steps if instruction == "FROM"]
    assert len(froms) == 2 and froms[0].endswith(" AS build")
    final = steps[max(i for i, (ins, _) in enumerate(steps) if ins == "FROM") :]
    values = {ins: value for ins, value in final}
    assert values["USER"] == f"{APP_UID}:{APP_UID}"  # numeric: runAsNonRoot-friendly
    assert values["EXPOSE"] == "8081"
    assert "/health/ready" in values["HEALTHCHECK"] and "127.0.0.1:8081" in values["HEALTHCHECK"]
    command = json.loads(values["CMD"])
    assert command[:4] == ["python", "-m", "uvicorn", "user_auth.entrypoints.app:app"]
    assert command[command.index("--host") + 1] == "0.0.0.0"
    assert command[command.index("--port") + 1] == "8081"
    copies = [value for ins, value in steps if ins == "COPY"]
    assert "--from=kit . /build/kit" in copies  # the kit comes from the extra build context
    assert any(value.startswith("--from=build /opt/venv") for value in copies)
    runs = " ".join(value for ins, value in steps if ins == "RUN")
    assert "pip install /build/kit" in runs and "pip install /build/service" in runs
    assert "useradd" in runs


# -- the compose service -----------------------------------------------------------


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return Workspace(tmp_path / "ws")


def _all_services(stack: Stack) -> Stack:
    services = {n: s.model_copy(update={"enabled": True}) for n, s in stack.services.items()}
    return stack.model_copy(update={"services": services})


def test_container_environment_names_compose_services_and_container_ports(ws: Workspace) -> None:
    stack = _all_services(load_stack())
    services = render_compose(stack, ws, port_offset=100)["services"]
    catalog = services["product-catalog"]["environment"]
    assert catalog["ECOM_HOST"] == "product-catalog"  # what it registers; uvicorn binds 0.0.0.0
    assert catalog["ECOM_PORT"] == "8082"  # inside the container: no offset
    assert catalog["ECOM_KAFKA_BOOTSTRAP"] == "kafka:19092"  # the INTERNAL listener
    assert catalog["ECOM_DATABASE_URL"] == "mysql+asyncmy://ecomctl:ecomctl@mysql:3306/products"
    assert catalog["ECOM_MONGO_URL"] == "mongodb://mongo:27017/reviews"
    assert catalog["ECOM_REDIS_URL"] == "redis://redis:6379/0"
    assert catalog["ECOM_ZIPKIN_URL"] == "http://zipkin:9411/api/v2/spans"
    assert catalog["ECOM_REGISTRY_URL"] == "http://registry:8761"
    assert json.loads(catalog["ECOM_UPSTREAMS"])["user-auth"] == "http://user-auth:8081"
    order = services["order"]["environment"]
    assert order["ECOM_DATABASE_URL"] == "postgresql+asyncpg://ecomctl:ecomctl@postgres:5432/orders"
    text = yaml.safe_dump(services)
    assert "127.0.0.1:8" not in text.replace("http://127.0.0.1:8", "")  # healthchecks only
    assert "ECOM_CLIENT_SECRET" not in text and "ECOM_JWT_SECRET" not in text


def test_emulator_and_sink_addresses_use_their_container_ports(ws: Workspace) -> None:
    """localstripe listens on 8420 and Mailpit's API on 8025 inside their containers."""
    stack = _all_services(load_stack())
    services = render_compose(stack, ws, port_offset=3)["services"]
    payment = services["payment"]["environment"]
    stripe_target = services["stripe"]["ports"][0]["target"]
    assert payment["ECOM_STRIPE_API_BASE"] == f"http://stripe:{stripe_target}"
    notification = services["notification"]["environment"]
    assert (notification["ECOM_SMTP_HOST"], notification["ECOM_SMTP_PORT"]) == ("smtp", "1025")
    assert notification["ECOM_SMTP_API"] == "http://smtp:8025"


def test_kafka_advertises_the_internal_listener_the_services_use(ws: Workspace) -> None:
    stack = load_stack()
    kafka = render_compose(stack, ws, port_offset=0)["services"]["kafka"]
    assert "INTERNAL://kafka:19092" in kafka["environment"]["KAFKA_ADVERTISED_LISTENERS"]


def test_a_stack_port_unlike_the_container_port_maps_to_the_container_port(ws: Workspace) -> None:
    stack = load_stack()
    infra = dict(stack.infra)
    infra["mysql"] = infra["mysql"].model_copy(update={"port": 3316})
    stack = stack.model_copy(update={"infra": infra})
    env = render_compose(stack, ws, port_offset=0)["services"]["user-auth"]["environment"]
    assert "@mysql:3306/users" in env["ECOM_DATABASE_URL"]


def test_services_wait_for_infra_the_registry_and_the_gateway_for_services(ws: Workspace) -> None:
    stack = _all_services(load_stack())
    services = render_compose(stack, ws, port_offset=0)["services"]
    healthy = {"condition": "service_healthy"}
    assert services["user-auth"]["depends_on"] == {
        "mysql": healthy,
        "redis": healthy,
        "smtp": healthy,
        "registry": healthy,
    }
    assert "depends_on" not in services["registry"]
    assert {"redis", "registry", "user-auth", "order"} <= set(services["gateway"]["depends_on"])


def test_every_service_rebuilds_runs_with_the_secret_file_and_validates(
    ws: Workspace,
    compose_validator: jsonschema.protocols.Validator,  # noqa: F811
) -> None:
    stack = _all_services(load_stack())
    path = write_compose(stack, ws, port_offset=0)
    document = yaml.safe_load(path.read_text())
    assert_valid(compose_validator, document)
    for name in stack.services:
        service = document["services"][name]
        assert service["pull_policy"] == "build"
        assert service["env_file"] == ["docker/service.env", f"docker/{name}.env"]
        own = (ws.state_dir / "docker" / f"{name}.env").read_text()
        assert own.startswith("ECOM_CLIENT_SECRET=")  # each service's own credential
        assert stat.S_IMODE((ws.state_dir / "docker" / f"{name}.env").stat().st_mode) == 0o600
        assert service["build"]["additional_contexts"] == {"kit": "docker/kit"}
        assert (ws.state_dir / "docker" / name / "Dockerfile").is_file()
        assert (ws.state_dir / "docker" / name / "Dockerfile.dockerignore").is_file()
    assert document["services"]["user-auth"]["volumes"] == ["./docker/keys:/run/ecomctl/keys:ro"]
    user_auth = (ws.state_dir / "docker" / "user-auth.env").read_text()
    assert "ECOM_JWT_KEYS_FILE=/run/ecomctl/keys/" in user_auth
    keys = ws.state_dir / "docker" / "keys"
    assert {stat.S_IMODE(f.stat().st_mode) for f in keys.iterdir()} == {0o600}
    env_file = ws.state_dir / "docker" / "service.env"
    assert env_file.read_text() == f"ECOM_REGISTRY_SECRET={registry_secret(ws)}\n"
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600


def test_the_kit_copy_is_its_source_without_tests(ws: Workspace) -> None:
    write_compose(load_stack(), ws, port_offset=0)
    kit = support_dir(ws) / "kit"
    assert (kit / "pyproject.toml").is_file()
    assert (kit / "src" / "ecomkit" / "web.py").is_file()
    assert not (kit / "tests").exists()
    assert not list(kit.rglob("__pycache__"))


def test_a_generated_service_gets_its_package_and_a_team_dockerfile_wins(ws: Workspace) -> None:
    from ecomctl.scaffold import generate_service

    stack = load_stack()
    generate_service(workspace=ws, name="user-auth", spec=stack.services["user-auth"])
    write_compose(stack, ws, port_offset=0)
    rendered = (support_dir(ws) / "user-auth" / "Dockerfile").read_text()
    assert '"user_auth.entrypoints.app:app"' in rendered
    assert (ws.root / "services" / "user-auth" / "pyproject.toml").is_file()  # the context

    (ws.root / "services" / "user-auth" / "Dockerfile").write_text("FROM scratch\n")
    build = render_compose(stack, ws, port_offset=0)["services"]["user-auth"]["build"]
    assert "dockerfile" not in build  # compose's default: the context's own Dockerfile
    assert build["additional_contexts"] == {"kit": "docker/kit"}


# -- DockerRuntime.up with services ------------------------------------------------

PORTS = {"redis": free_port(), "kafka": free_port()}
ORDER_PORT = free_port()


class RecordingPreparer(HostPreparer):
    """Host steps recorded in the engine's call list, so their order is checkable."""

    def __init__(self, calls: list[tuple[Any, ...]], *, fail: Exception | None = None) -> None:
        self.calls = calls
        self.fail = fail

    def create_topics(self, stack: Stack, workspace: Workspace, *, port_offset: int) -> list[str]:
        self.calls.append(("topics", port_offset))
        return [topic.name for topic in stack.topics]

    def migrate(
        self, stack: Stack, workspace: Workspace, service: str, *, port_offset: int
    ) -> list[str]:
        self.calls.append(("migrate", service, port_offset))
        if self.fail:
            raise self.fail
        return ["1", "2"]


@pytest.fixture
def fakes(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, target in FAKE_COMPONENTS.items():
        monkeypatch.setitem(registry._IMPLEMENTATIONS, name, target)


@pytest.fixture
def stack() -> Stack:
    return Stack.model_validate(
        {
            "name": "shop",
            "infra": {
                "redis": {"port": PORTS["redis"]},
                # The controller too: its default 9093 may be held by a stack running here.
                "kafka": {"port": PORTS["kafka"], "extra_ports": {"controller": free_port()}},
            },
            "topics": [{"name": "order-created-events"}],
            "services": {
                # A database the fake stack has no SQL server for: the preparer is a fake.
                "order": {
                    "port": ORDER_PORT,
                    "template": "order",
                    "uses": ["kafka"],
                    "database": "orders",
                },
                "notes": {"port": free_port(), "template": "notes", "uses": ["redis"]},
            },
        }
    )


def _runtime(stack: Stack, ws: Workspace, engine: FakeDockerEngine, **kw: Any) -> DockerRuntime:
    preparer = RecordingPreparer(engine.calls, **kw)
    return DockerRuntime(stack, ws, engine=engine, poll_interval_s=0.01, preparer=preparer)


@pytest.fixture
def sql_order(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fake stack has no mysql/postgres: count order as a service with SQL migrations."""
    from ecomctl.runtime.docker import runtime as runtime_module

    monkeypatch.setattr(runtime_module, "needs_migrations", lambda stack, name: name == "order")


def test_up_starts_infra_then_prepares_from_the_host_then_starts_services(
    fakes: None, sql_order: None, stack: Stack, ws: Workspace
) -> None:
    engine = FakeDockerEngine()
    events = Events()
    runtime = _runtime(stack, ws, engine)
    rows = runtime.up(["order", "notes"], port_offset=0, on_event=events)
    assert engine.calls == [
        ("up", runtime.project, ("kafka", "redis"), ("infra",)),
        ("topics", 0),
        ("migrate", "order", 0),
        ("up", runtime.project, ("order", "notes"), ("infra", "services")),
    ]
    assert [(row.name, row.kind, row.state) for row in rows] == [
        ("order", "service", "ready"),
        ("notes", "service", "ready"),
    ]
    assert events.phases("order") == ["start", "prepare", "prepare", "ready"]
    assert [e.message for e in events if e.component == "order"][2] == "applied 1, 2"
    assert "prepare" in events.phases("kafka")


def test_a_failed_migration_names_the_service_and_starts_no_service(
    fakes: None, sql_order: None, stack: Stack, ws: Workspace
) -> None:
    engine = FakeDockerEngine()
    runtime = _runtime(stack, ws, engine, fail=UserError("V2__x.sql failed: syntax error"))
    events = Events()
    with pytest.raises(ComponentFailed, match=r"order: migrations failed: V2__x\.sql") as caught:
        runtime.up(["order"], port_offset=0, on_event=events)
    assert "migrate info --service order" in (caught.value.hint or "")
    assert [call[0] for call in engine.calls] == ["up", "topics", "migrate"]
    assert events.phases("order")[-1] == "failed"


def test_infra_only_up_runs_no_host_step(fakes: None, stack: Stack, ws: Workspace) -> None:
    """At an offset where Kafka's ports are free: `up` checks the host's ports first, and
    any process on this machine may hold 9092 or 9093."""
    engine = FakeDockerEngine()
    runtime = _runtime(stack, ws, engine)
    runtime.up(["kafka"], port_offset=_offset_with_free_ports(stack, "kafka"), on_event=Events())
    assert engine.calls == [("up", runtime.project, ("kafka",), ("infra",))]


def test_up_records_the_port_offset_for_create_admin(
    fakes: None, stack: Stack, ws: Workspace
) -> None:
    _runtime(stack, ws, FakeDockerEngine()).up(["redis"], port_offset=0, on_event=Events())
    assert RuntimeState.load(ws.state_dir / "state.json").port_offset == 0
    free = {name: free_port() for name in ("redis", "kafka")}
    moved = stack.model_copy(
        update={
            "infra": {n: s.model_copy(update={"port": free[n] - 7}) for n, s in stack.infra.items()}
        }
    )
    _runtime(moved, ws, FakeDockerEngine()).up(["redis"], port_offset=7, on_event=Events())
    state = RuntimeState.load(ws.state_dir / "state.json")
    assert state.port_offset == 7 and state.components == {}


def _offset_with_free_ports(stack: Stack, component: str) -> int:
    """An offset that keeps every stack port valid and leaves `component`'s ports free."""
    highest = max(port for _, port in stack.all_ports())
    ports = [port for owner, port in stack.all_ports() if owner.split(".")[0] == component]
    # The fixture's stack takes a port from the ephemeral range, so the offsets that keep
    # every port valid can be few.
    offsets = range(1, 65535 - highest)
    for offset in random.sample(offsets, min(200, len(offsets))):
        if all(port_is_free(port + offset, "127.0.0.1") for port in ports):
            return offset
    raise AssertionError(f"no offset leaves the ports of {component} free")


def test_create_admin_reaches_the_published_mysql_port_of_a_docker_stack(tmp_path: Path) -> None:
    """The CLI reads the offset the docker runtime recorded; user-auth's command dials
    127.0.0.1:3306+offset."""
    offset = _offset_with_free_ports(load_stack(), "mysql")
    port = 3306 + offset
    ws = Workspace(tmp_path / "ws")
    install_user_auth_stand_in(ws, load_stack())
    runtime = DockerRuntime(load_stack(), ws, engine=FakeDockerEngine(), poll_interval_s=0.01)
    runtime.up(["mysql"], port_offset=offset, on_event=Events())
    done = ecomctl(
        "-w",
        str(ws.root),
        "users",
        "create-admin",
        "-u",
        "admin",
        "-p",
        "s3cure-enough",
        cwd=tmp_path,
    )
    assert done.returncode == 1, done.stderr
    assert f"mysql://ecomctl@127.0.0.1:{port}/users" in done.stderr  # nothing listens there now


def test_the_gateway_image_runs_its_own_launcher_on_all_interfaces() -> None:
    text = render_dockerfile(service="gateway", package="gateway", port=8080, own_launcher=True)
    steps = _instructions(text)
    final = steps[max(i for i, (ins, _) in enumerate(steps) if ins == "FROM") :]
    assert json.loads(dict(final)["CMD"]) == ["python", "-m", "gateway"]
    env = " ".join(value for ins, value in final if ins == "ENV")
    assert "ECOM_HOST=0.0.0.0" in env and "ECOM_PORT=8080" in env
