"""`--images local`: the rendered services, and the components' container mode.

The images themselves are built and run by tests/integration/test_docker_local_images.py.
"""

from __future__ import annotations

import stat
from pathlib import Path

import jsonschema
import pytest

from ecomctl.errors import UsageError
from ecomctl.infra.component import ComponentContext, bind_host
from ecomctl.infra.components.kafka import INTERNAL_PORT, server_properties
from ecomctl.infra.components.postgres import server_argv
from ecomctl.operations import choose_images
from ecomctl.runtime.docker.compose import render_compose, write_compose
from ecomctl.runtime.docker.container_env import container_env, infra_addresses
from ecomctl.runtime.docker.local_compose import stack_file_path
from ecomctl.runtime.docker.local_images import digest, tree_digest
from ecomctl.runtime.docker.service_images import source_digest
from ecomctl.runtime.plan import context_for
from ecomctl.stack.model import Stack
from ecomctl.workspace import Workspace
from tests.unit.test_compose_render import assert_valid, compose_validator  # noqa: F401

STACK = {
    "name": "shop",
    "infra": {
        "kafka": {"port": 9092},
        "postgres": {"port": 5432, "databases": ["orders"], "password": "pg-secret-42"},
    },
    "services": {
        "order": {
            "port": 8083,
            "template": "order",
            "uses": ["kafka", "postgres"],
            "database": "orders",
        },
    },
}


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    return Workspace(tmp_path / "ws")


def stack() -> Stack:
    return Stack.model_validate(STACK)


def test_local_infra_listens_on_the_published_port_inside_too(workspace: Workspace) -> None:
    services = render_compose(stack(), workspace, port_offset=100, images="local")["services"]
    kafka = services["kafka"]
    assert kafka["image"] == "ecomctl-local/kafka:local"
    assert kafka["pull_policy"] == "never"
    ports = {(p["published"], p["target"], p["host_ip"]) for p in kafka["ports"]}
    assert ports == {("9192", 9192, "127.0.0.1"), ("9193", 9193, "127.0.0.1")}
    assert kafka["healthcheck"]["test"] == ["CMD", "test", "-f", "/run/ecomctl/kafka.ready"]


def test_local_services_use_the_built_image_and_reach_infra_by_name(
    workspace: Workspace,
) -> None:
    order = render_compose(stack(), workspace, port_offset=0, images="local")["services"]["order"]
    assert order["image"] == "ecomctl-local/svc-order:local"
    assert "build" not in order
    assert order["command"][-3:] == ["--port", "8083", "--no-access-log"]  # this stack's port
    assert f"kafka:{INTERNAL_PORT}" in order["environment"]["ECOM_KAFKA_BOOTSTRAP"]
    assert "postgres:5432" in order["environment"]["ECOM_DATABASE_URL"]


def test_the_local_file_is_valid_and_infra_gets_its_passwords_from_a_0600_file(
    workspace: Workspace,
    compose_validator: jsonschema.protocols.Validator,  # noqa: F811
) -> None:
    import yaml

    path = write_compose(stack(), workspace, port_offset=0, images="local")
    document = yaml.safe_load(path.read_text())
    assert_valid(compose_validator, document)
    assert "pg-secret-42" not in yaml.safe_dump(document["services"]["postgres"])
    secret_file = stack_file_path(workspace)
    assert "pg-secret-42" in secret_file.read_text()
    assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600


def _container_ctx(workspace: Workspace, name: str) -> ComponentContext:
    ctx = context_for(name, stack(), workspace, port_offset=0, installation=None)
    return ComponentContext(**{**ctx.__dict__, "container_name": name})


def test_kafka_in_a_container_advertises_its_name_to_other_containers(
    workspace: Workspace,
) -> None:
    text = server_properties(_container_ctx(workspace, "kafka"))
    assert f"INTERNAL://kafka:{INTERNAL_PORT}" in text
    assert "PLAINTEXT://127.0.0.1:9092" in text
    assert "inter.broker.listener.name=INTERNAL" in text
    on_host = server_properties(
        context_for("kafka", stack(), workspace, port_offset=0, installation=None)
    )
    assert "INTERNAL" not in on_host


def test_servers_bind_every_interface_only_in_a_container(workspace: Workspace) -> None:
    ctx = _container_ctx(workspace, "postgres")
    assert bind_host(ctx) == "0.0.0.0"
    assert "listen_addresses=0.0.0.0" in server_argv(Path("/usr/bin/postgres"), ctx)
    host_ctx = context_for("postgres", stack(), workspace, port_offset=0, installation=None)
    assert bind_host(host_ctx) == "127.0.0.1"
    assert "listen_addresses=0.0.0.0" not in server_argv(Path("/usr/bin/postgres"), host_ctx)


def test_images_choice_defaults_to_official_then_follows_the_workspace(
    workspace: Workspace,
) -> None:
    workspace.ensure()
    assert choose_images(None, workspace) == "official"
    (workspace.state_dir / "images").write_text("local")
    assert choose_images(None, workspace) == "local"
    with pytest.raises(UsageError, match="not one of official, local"):
        choose_images("hub", workspace)


def test_content_hashes_change_with_the_files(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("one")
    before = tree_digest(tmp_path)
    (tmp_path / "a.txt").write_text("three")
    assert tree_digest(tmp_path) != before
    assert digest("x", "y") != digest("xy")


def test_a_service_hashes_the_same_in_any_workspace(tmp_path: Path) -> None:
    """Generation writes the workspace's path into .copier-answers.yml; the image never holds
    it, so a second workspace (every CI run's) reuses the first one's service images."""
    trees = []
    for workspace in ("first", "second"):
        source = tmp_path / workspace / "services" / "order"
        (source / "src" / "order").mkdir(parents=True)
        (source / "src" / "order" / "app.py").write_text("app = 1\n")
        (source / ".copier-answers.yml").write_text(f"_src_path: {tmp_path / workspace}\n")
        (source / "src" / "order.egg-info").mkdir()
        (source / "src" / "order.egg-info" / "PKG-INFO").write_text(workspace)
        trees.append(source)
    assert source_digest(trees[0]) == source_digest(trees[1])
    (trees[1] / "src" / "order" / "app.py").write_text("app = 2\n")
    assert source_digest(trees[0]) != source_digest(trees[1])


def test_container_env_is_unchanged_by_the_image_source(workspace: Workspace) -> None:
    services = render_compose(stack(), workspace, port_offset=0, images="local")["services"]
    addresses = infra_addresses("kafka", services["kafka"], main_port=9092, port_offset=0)
    addresses |= infra_addresses("postgres", services["postgres"], main_port=5432, port_offset=0)
    assert addresses[9092] == f"kafka:{INTERNAL_PORT}"
    assert container_env("order", stack(), addresses)["ECOM_HOST"] == "order"


def test_doctor_tells_how_to_start_a_daemon_when_none_answers(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from ecomctl.runtime.docker.engine_report import START_HINT, engine_report

    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path / 'no-daemon.sock'}")
    report = engine_report(timeout_s=1.0)
    assert report["daemon"] is False and report["version"] is None
    assert report["hint"] == (START_HINT if report["client"] else report["hint"])
