"""The rendered compose file: uniform conventions on top of each component, valid per the spec.

The compose specification's JSON schema cannot be fetched from its project's
site here, but check-jsonschema ships it (`vendor/compose-spec.json`). The
fixture reads it from the installed package, or from that package's wheel
fetched once with `pip download` into ~/.cache/ecomctl/test-schemas.
"""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from ecomctl.errors import ComponentFailed, UsageError
from ecomctl.infra import registry
from ecomctl.runtime.docker.compose import render_compose, write_compose
from ecomctl.stack.loader import load_stack
from ecomctl.stack.model import Stack
from ecomctl.workspace import Workspace
from tests.unit.fake_docker import FAKE_COMPONENTS

SCHEMA_PACKAGE = "check-jsonschema==0.39.0"
SCHEMA_MEMBER = "check_jsonschema/builtin_schemas/vendor/compose-spec.json"
SCHEMA_CACHE = Path.home() / ".cache" / "ecomctl" / "test-schemas"


def _schema_from_installed_package() -> dict[str, Any] | None:
    try:
        text = resources.files("check_jsonschema").joinpath(SCHEMA_MEMBER.split("/", 1)[1])
        loaded: dict[str, Any] = json.loads(text.read_text(encoding="utf-8"))
    except (ModuleNotFoundError, FileNotFoundError):
        return None
    return loaded


def _schema_from_wheel() -> dict[str, Any]:
    wheels = sorted(SCHEMA_CACHE.glob("check_jsonschema-0.39.0-*.whl"))
    if not wheels:
        command = [sys.executable, "-m", "pip", "download", SCHEMA_PACKAGE, "--no-deps"]
        command += ["--only-binary=:all:", "--dest", str(SCHEMA_CACHE), "--quiet"]
        subprocess.run(command, check=True, timeout=300)
        wheels = sorted(SCHEMA_CACHE.glob("check_jsonschema-0.39.0-*.whl"))
    with zipfile.ZipFile(wheels[0]) as wheel:
        loaded: dict[str, Any] = json.loads(wheel.read(SCHEMA_MEMBER))
    return loaded


@pytest.fixture(scope="session")
def compose_validator() -> jsonschema.protocols.Validator:
    schema = _schema_from_installed_package() or _schema_from_wheel()
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    validator: jsonschema.protocols.Validator = validator_class(schema)
    return validator


def assert_valid(validator: jsonschema.protocols.Validator, document: dict[str, Any]) -> None:
    problems = [
        f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
        for error in validator.iter_errors(document)
    ]
    assert problems == []


@pytest.fixture
def fake_components(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, target in FAKE_COMPONENTS.items():
        monkeypatch.setitem(registry._IMPLEMENTATIONS, name, target)


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    return Workspace(tmp_path / "ws")


def make_stack(**overrides: Any) -> Stack:
    document: dict[str, Any] = {
        "name": "shop",
        "infra": {
            "redis": {"port": 6379},
            "zipkin": {"port": 9411},
            "kafka": {"port": 9092},
        },
        "services": {
            "order": {"port": 8083, "template": "order", "uses": ["kafka", "redis"]},
            "gateway": {"port": 8080, "template": "gateway", "enabled": False},
        },
    }
    document.update(overrides)
    return Stack.model_validate(document)


def test_fake_stack_validates_against_the_compose_spec(
    fake_components: None, workspace: Workspace, compose_validator: jsonschema.protocols.Validator
) -> None:
    assert_valid(compose_validator, render_compose(make_stack(), workspace, port_offset=0))


def test_the_schema_really_checks(compose_validator: jsonschema.protocols.Validator) -> None:
    """Guards the fixture: a typo and a bad condition must not pass."""
    typo = {"services": {"a": {"image": "x", "restrat": "always"}}}
    condition = {"services": {"a": {"image": "x", "depends_on": {"b": {"condition": "soon"}}}}}
    assert not compose_validator.is_valid(typo)
    assert not compose_validator.is_valid(condition)


def test_every_infra_service_gets_the_uniform_conventions(
    fake_components: None, workspace: Workspace
) -> None:
    services = render_compose(make_stack(), workspace, port_offset=0)["services"]
    for name in ("redis", "zipkin", "kafka"):
        service = services[name]
        assert "container_name" not in service
        assert service["restart"] == "unless-stopped"
        assert service["profiles"] == ["infra"]
        assert service["labels"]["io.ecomctl.component"] == name
        assert service["labels"]["io.ecomctl.kind"] == "infra"
        assert service["healthcheck"]["test"]
        assert {port["host_ip"] for port in service["ports"]} == {"127.0.0.1"}


def test_ports_follow_the_offset_and_keep_the_container_port(
    fake_components: None, workspace: Workspace
) -> None:
    services = render_compose(make_stack(), workspace, port_offset=100)["services"]

    def published(name: str) -> list[tuple[str, int]]:
        return [(p["published"], p["target"]) for p in services[name]["ports"]]

    assert published("redis") == [("6479", 6379)]  # as the component wrote it
    assert published("zipkin") == [("9511", 9411)]  # the renderer's default
    assert published("kafka") == [("9192", 9092)]
    assert published("order") == [("8183", 8083)]
    assert services["redis"]["labels"]["io.ecomctl.port"] == "6479"


def test_named_volumes_are_declared_and_host_paths_are_not(
    fake_components: None, workspace: Workspace
) -> None:
    document = render_compose(make_stack(), workspace, port_offset=0)
    assert document["name"].startswith("shop-")  # one compose project per workspace
    assert document["volumes"] == {"redis-data": {}, "kafka-data": {}}


def test_component_dependencies_wait_for_health(
    fake_components: None, workspace: Workspace
) -> None:
    services = render_compose(make_stack(), workspace, port_offset=0)["services"]
    assert services["zipkin"]["depends_on"] == {"redis": {"condition": "service_healthy"}}
    assert "depends_on" not in services["redis"]


def test_services_build_from_the_workspace_after_their_infra(
    fake_components: None, workspace: Workspace
) -> None:
    services = render_compose(make_stack(), workspace, port_offset=0)["services"]
    assert "gateway" not in services  # disabled
    order = services["order"]
    assert order["build"] == {
        "context": "../services/order",
        "dockerfile": "../../.ecomctl/docker/order/Dockerfile",  # relative to the context
        "additional_contexts": {"kit": "docker/kit"},
    }
    assert order["profiles"] == ["services"]
    assert order["depends_on"] == {
        "kafka": {"condition": "service_healthy"},
        "redis": {"condition": "service_healthy"},
    }
    assert "/health/ready" in order["healthcheck"]["test"][-1]
    assert order["labels"]["io.ecomctl.kind"] == "service"


def test_a_service_using_disabled_infra_is_refused(
    fake_components: None, workspace: Workspace
) -> None:
    stack = make_stack(
        infra={"redis": {"port": 6379, "enabled": False}, "kafka": {"port": 9092}},
    )
    with pytest.raises(UsageError, match="order uses redis, disabled"):
        render_compose(stack, workspace, port_offset=0)


def test_a_component_without_healthcheck_fails_clearly(
    fake_components: None, workspace: Workspace
) -> None:
    stack = make_stack(infra={"smtp": {"port": 1025}}, services={})
    with pytest.raises(ComponentFailed, match="smtp: its compose service has no healthcheck"):
        render_compose(stack, workspace, port_offset=0)


def test_the_stack_file_image_wins(fake_components: None, workspace: Workspace) -> None:
    stack = make_stack(infra={"redis": {"port": 6379, "image": "valkey/valkey:8"}}, services={})
    assert render_compose(stack, workspace, port_offset=0)["services"]["redis"]["image"] == (
        "valkey/valkey:8"
    )


def test_write_compose_puts_the_file_in_the_state_dir(
    fake_components: None, workspace: Workspace
) -> None:
    stack = make_stack()
    path = write_compose(stack, workspace, port_offset=0)
    assert path == workspace.state_dir / "compose.yaml"
    assert yaml.safe_load(path.read_text()) == render_compose(stack, workspace, port_offset=0)


def test_build_contexts_follow_where_the_file_is_written(
    fake_components: None, workspace: Workspace
) -> None:
    path = write_compose(make_stack(), workspace, port_offset=0, path=workspace.root / "c.yaml")
    document = yaml.safe_load(path.read_text())
    assert document["services"]["order"]["build"] == {
        "context": "services/order",
        "dockerfile": "../../.ecomctl/docker/order/Dockerfile",
        "additional_contexts": {"kit": ".ecomctl/docker/kit"},
    }
    assert document["services"]["order"]["env_file"] == [
        ".ecomctl/docker/service.env",
        ".ecomctl/docker/order.env",
    ]


def test_the_default_stack_renders_valid_compose(
    workspace: Workspace, compose_validator: jsonschema.protocols.Validator
) -> None:
    """The real components of every infra in stacks/default.yaml, services enabled too."""
    stack = load_stack()
    services = {
        name: spec.model_copy(update={"enabled": True}) for name, spec in stack.services.items()
    }
    stack = stack.model_copy(update={"services": services})
    document = render_compose(stack, workspace, port_offset=0)
    assert_valid(compose_validator, document)
    assert set(stack.infra) | set(stack.services) == set(document["services"])
    for name in stack.infra:
        ports = document["services"][name]["ports"]
        assert ports and all(port["host_ip"] == "127.0.0.1" for port in ports), name
