"""Generated services in the local runtime: environment, command line, order (no servers)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from ecomctl.errors import UsageError
from ecomctl.runtime import plan
from ecomctl.runtime.services import (
    ServiceComponent,
    metrics_token,
    registry_secret,
    service_dependencies,
    service_env,
)
from ecomctl.runtime.venv import install_command, uv_binary
from ecomctl.stack.loader import load_stack
from ecomctl.stack.model import Stack
from ecomctl.workspace import Workspace


@pytest.fixture
def stack() -> Stack:
    """The default stack with the first four services enabled, the saga's four and search
    disabled."""
    data = load_stack().model_dump()
    for name in ("gateway", "user-auth", "product-catalog", "registry"):
        data["services"][name]["enabled"] = True
    for name in ("order", "payment", "inventory", "notification", "product-search"):
        data["services"][name]["enabled"] = False
    return Stack.model_validate(data)


def test_env_of_a_mysql_service_follows_the_contract(stack: Stack) -> None:
    env = service_env("user-auth", stack, port_offset=100, auth={"ECOM_CLIENT_SECRET": "s3cret"})
    assert env["ECOM_SERVICE_NAME"] == "user-auth"
    assert env["ECOM_HOST"] == "127.0.0.1" and env["ECOM_PORT"] == "8181"
    assert env["ECOM_DATABASE_URL"] == "mysql+asyncmy://ecomctl:ecomctl@127.0.0.1:3406/users"
    assert env["ECOM_REGISTRY_URL"] == "http://127.0.0.1:8861"
    assert env["ECOM_KAFKA_BOOTSTRAP"] == "127.0.0.1:9192"
    assert env["ECOM_REDIS_URL"] == "redis://127.0.0.1:6479/0"
    assert env["ECOM_ZIPKIN_URL"] == "http://127.0.0.1:9511/api/v2/spans"
    assert env["ECOM_CLIENT_SECRET"] == "s3cret" and env["ECOM_ENVIRONMENT"] == "development"
    assert env["ECOM_JWKS_URL"] == "http://127.0.0.1:8181/api/auth/jwks"
    assert "ECOM_JWT_SECRET" not in env
    assert "ECOM_MONGO_URL" not in env
    upstreams = json.loads(env["ECOM_UPSTREAMS"])
    assert upstreams["product-catalog"] == "http://127.0.0.1:8182"
    assert "user-auth" not in upstreams and "order" not in upstreams  # disabled ones left out


def test_env_of_search_names_opensearch(stack: Stack) -> None:
    search = service_env("product-search", stack, port_offset=100)
    assert search["ECOM_OPENSEARCH_URL"] == "http://127.0.0.1:9300"
    assert search["ECOM_KAFKA_BOOTSTRAP"] == "127.0.0.1:9192"


def test_env_of_catalog_and_registry(stack: Stack) -> None:
    catalog = service_env("product-catalog", stack, port_offset=0)
    assert catalog["ECOM_MONGO_URL"] == "mongodb://127.0.0.1:27017/reviews"
    assert catalog["ECOM_DATABASE_URL"].endswith("@127.0.0.1:3306/products")
    registry = service_env("registry", stack, port_offset=0)
    assert registry["ECOM_REGISTRY_URL"] == ""  # the registry does not register with itself
    assert "ECOM_DATABASE_URL" not in registry


def test_start_order_registry_first_gateway_last(stack: Stack) -> None:
    assert service_dependencies("registry", stack) == ()
    assert service_dependencies("user-auth", stack) == ("mysql", "redis", "smtp", "registry")
    assert set(service_dependencies("gateway", stack)) == {
        "redis",
        "registry",
        "user-auth",
        "product-catalog",
    }
    names = plan.select_names(stack, [])
    services = [n for n in names if plan.is_service(stack, n)]
    assert services[0] == "registry" and services[-1] == "gateway"
    assert names.index("mysql") < names.index("user-auth")
    assert plan.select_names(stack, ["user-auth"]) == [
        "mysql",
        "redis",
        "smtp",
        "registry",
        "user-auth",
    ]
    with pytest.raises(UsageError, match="disabled"):
        plan.select_names(stack, ["order"])


def _generated(root: Path, name: str, package: str) -> Path:
    source = root / "services" / name
    (source / "src" / package / "entrypoints").mkdir(parents=True)
    (source / "src" / package / "entrypoints" / "app.py").write_text("app = None\n")
    (source / "pyproject.toml").write_text('[project]\nname = "x"\nversion = "1.2.0"\n')
    return source


def test_process_runs_uvicorn_from_the_workspace_venv(stack: Stack, tmp_path: Path) -> None:
    workspace = Workspace(root=tmp_path)
    source = _generated(tmp_path, "user-auth", "user_auth")
    python = tmp_path / ".ecomctl" / "venv" / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.write_text("")
    component = plan.component_for("user-auth", stack, workspace)
    assert isinstance(component, ServiceComponent)
    installation = component.locate(tmp_path)
    assert installation is not None and installation.version == "1.2.0"
    ctx = plan.context_for("user-auth", stack, workspace, port_offset=10, installation=installation)
    spec = component.process(ctx)
    assert spec.argv[:4] == [str(python), "-m", "uvicorn", "user_auth.entrypoints.app:app"]
    assert spec.argv[4:] == ["--host", "127.0.0.1", "--port", "8091", "--no-access-log"]
    assert spec.cwd == source
    assert spec.env["ECOM_PORT"] == "8091"
    keys_file = Path(spec.env["ECOM_JWT_KEYS_FILE"])  # user-auth alone gets the key file
    assert keys_file.stat().st_mode & 0o077 == 0
    assert spec.env["ECOM_CLIENT_SECRET"] == component.process(ctx).env["ECOM_CLIENT_SECRET"]


def test_locate_needs_the_venv_and_the_generated_service(stack: Stack, tmp_path: Path) -> None:
    component = ServiceComponent("registry", stack, Workspace(root=tmp_path))
    assert component.locate(tmp_path) is None
    _generated(tmp_path, "registry", "registry")
    assert component.locate(tmp_path) is None  # no venv yet


def test_pip_installs_kit_and_services_editable(tmp_path: Path) -> None:
    argv = install_command(Path(sys.executable), [str(tmp_path / "kit"), f"{tmp_path}/svc[test]"])
    assert argv[1:4] == ["-m", "pip", "install"]
    assert argv[-4:] == ["-e", str(tmp_path / "kit"), "-e", f"{tmp_path}/svc[test]"]


def test_uv_installs_into_the_venv_with_pips_constraints(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PIP_CONSTRAINT", "/pins.txt")
    venv_python = tmp_path / "venv" / "bin" / "python"
    argv = install_command(venv_python, [str(tmp_path / "svc")], uv="/bin/uv")
    assert argv[:6] == ["/bin/uv", "pip", "install", "--quiet", "--python", str(venv_python)]
    assert argv[6:8] == ["--constraint", "/pins.txt"]
    assert argv[-2:] == ["-e", str(tmp_path / "svc")]


def test_installer_can_be_forced_to_pip(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ECOMCTL_INSTALLER", "pip")
    assert uv_binary() is None


def test_the_stack_sets_the_services_trace_sampling(stack: Stack) -> None:
    assert (
        service_env("order", stack, port_offset=0)["ECOM_TRACE_SAMPLE_RATIO"] == "1.0"
    )  # every order traced in development
    sampled = Stack.model_validate({**stack.model_dump(), "tracing": {"sample_ratio": 0.1}})
    assert service_env("order", sampled, port_offset=0)["ECOM_TRACE_SAMPLE_RATIO"] == "0.1"
    with pytest.raises(ValueError, match="less than or equal to 1"):
        Stack.model_validate({**stack.model_dump(), "tracing": {"sample_ratio": 2}})


def test_registry_writes_are_credentialed_and_admission_is_the_stacks(stack: Stack) -> None:
    common = {"port_offset": 0, "registry_secret": "r", "metrics_token": "m"}
    registry = service_env("registry", stack, **common)  # type: ignore[arg-type]
    assert json.loads(registry["ECOM_REGISTRY_SERVICES"]) == sorted(
        n for n, s in stack.services.items() if s.enabled
    )
    assert "127.0.0.1" in json.loads(registry["ECOM_REGISTRY_ALLOWED_HOSTS"])
    user_auth = service_env("user-auth", stack, **common)  # type: ignore[arg-type]
    assert user_auth["ECOM_REGISTRY_SECRET"] == "r"
    assert "ECOM_GATEWAY_METRICS_TOKEN" not in user_auth
    assert service_env("gateway", stack, **common)["ECOM_GATEWAY_METRICS_TOKEN"] == "m"  # type: ignore[arg-type]


def test_workspace_secrets_are_distinct_and_private(tmp_path: Path) -> None:
    workspace = Workspace(tmp_path)
    secrets = {registry_secret(workspace), metrics_token(workspace)}
    assert len(secrets) == 2 and registry_secret(workspace) == registry_secret(workspace)
    assert (workspace.state_dir / "secrets.json").stat().st_mode & 0o077 == 0
