"""Generated services as components of the local runtime.

A service is run like an infrastructure server: found (`locate`: the
workspace's virtualenv holds it), prepared (`prepare`: its SQL migrations
applied in-process with `ecomctl.migrate`), started (`process`: uvicorn on its
app) and checked (`check_ready`: `GET /health/ready` answers 200). Its
configuration is the ECOM_* environment built from the stack (see
`service_env`), so the same service runs unchanged in docker and in tests.
"""

from __future__ import annotations

import json
import secrets
import signal
from pathlib import Path
from typing import Any

import httpx

from ecomctl.errors import ComponentFailed
from ecomctl.infra.component import (
    ComponentContext,
    InfraComponent,
    Installation,
    NotReady,
    ProcessSpec,
    ProgressFn,
)
from ecomctl.stack.model import ServiceSpec, Stack
from ecomctl.workspace import Workspace

SERVICES_DIR = "services"
MIGRATIONS = Path("db") / "migration"
REGISTRY_KIND = "registry"
GATEWAY_KIND = "gateway"
USER_AUTH_KIND = "user-auth"
JWKS_PATH = "/api/auth/jwks"
JWT_ISSUER = "ecomctl-user-auth"
JWT_AUDIENCE = "ecommerce"
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
# The document database of each kind that keeps one (the stack names SQL databases only).
MONGO_DATABASES = {"product-catalog": "reviews", "notification": "notifications"}
_SQL_DRIVERS = {"mysql": "mysql+asyncmy", "postgres": "postgresql+asyncpg"}


def service_dir(root: Path, name: str) -> Path:
    return root / SERVICES_DIR / name


def venv_dir(workspace: Workspace) -> Path:
    return workspace.state_dir / "venv"


def package_of(source: Path) -> str:
    """The service's package: the one under src/ with an `entrypoints/app.py`."""
    found = sorted(source.glob("src/*/entrypoints/app.py"))
    if not found:
        raise ComponentFailed(
            source.name, f"no src/<package>/entrypoints/app.py in {source}; was it generated?"
        )
    return found[0].parent.parent.name


def workspace_secret(workspace: Workspace, key: str) -> str:
    """One random secret per workspace and `key`, created on first use and kept private."""
    path = workspace.state_dir / "secrets.json"
    stored: dict[str, str] = json.loads(path.read_text()) if path.is_file() else {}
    if key not in stored:
        stored[key] = secrets.token_urlsafe(48)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(json.dumps(stored, indent=2))
    return stored[key]


def metrics_token(workspace: Workspace) -> str:
    """What Prometheus (and bench scripts) show the gateway to read its /metrics."""
    return workspace_secret(workspace, "metrics_token")


def registry_secret(workspace: Workspace) -> str:
    """What every registry write carries (services' heartbeats, a rollout's weights)."""
    return workspace_secret(workspace, "registry_secret")


def auth_env(name: str, stack: Stack, workspace: Workspace) -> dict[str, str]:
    """The service's own client secret; for user-auth also the signing keys and the
    services' client secrets (files 0600 in the workspace, generated when missing)."""
    from ecomctl.keys import client_secret, client_secrets_path, signing_keys_path

    services = [n for n, s in stack.services.items() if s.enabled]
    env = {"ECOM_CLIENT_SECRET": client_secret(workspace, name, services)}
    if stack.services[name].template == USER_AUTH_KIND:
        env["ECOM_JWT_KEYS_FILE"] = str(signing_keys_path(workspace))
        env["ECOM_SERVICE_CLIENTS_FILE"] = str(client_secrets_path(workspace, services))
    return env


def service_dependencies(name: str, stack: Stack) -> tuple[str, ...]:
    """The infra it uses, the registry (services register on start), every service for the
    gateway (it proxies to them)."""
    spec = stack.services[name]
    enabled = {n: s for n, s in stack.services.items() if s.enabled}
    needs = list(spec.uses)
    if spec.template != REGISTRY_KIND:
        needs += [n for n, s in enabled.items() if s.template == REGISTRY_KIND and n != name]
    if spec.template == GATEWAY_KIND:
        needs += [n for n, s in enabled.items() if s.template not in (REGISTRY_KIND, GATEWAY_KIND)]
    return tuple(dict.fromkeys(needs))


def service_env(
    name: str,
    stack: Stack,
    *,
    port_offset: int,
    auth: dict[str, str] | None = None,
    host: str = "127.0.0.1",
    registry_secret: str = "",
    metrics_token: str = "",
) -> dict[str, str]:
    """The ECOM_* configuration of one service in a running stack (docs: the issue 4 contract)."""
    spec = stack.services[name]
    infra = stack.enabled_infra()
    enabled = {n: s for n, s in stack.services.items() if s.enabled}

    def port(component: str) -> int:
        return infra[component].port + port_offset

    env = {
        "ECOM_SERVICE_NAME": name,
        "ECOM_HOST": host,
        "ECOM_PORT": str(spec.port + port_offset),
        "ECOM_ENVIRONMENT": "development",
        "ECOM_JWT_ISSUER": JWT_ISSUER,
        "ECOM_JWT_AUDIENCE": JWT_AUDIENCE,
        "ECOM_LOG_LEVEL": "INFO",
        "ECOM_UPSTREAMS": json.dumps(
            {n: f"http://{host}:{s.port + port_offset}" for n, s in enabled.items() if n != name}
        ),
        "ECOM_REGISTRY_URL": "",
        "ECOM_ZIPKIN_URL": "",
        "ECOM_METRICS_INTERVAL_S": str(stack.observability.metrics_interval_s),
        "ECOM_TRACE_SAMPLE_RATIO": str(stack.tracing.sample_ratio),
    }
    users = [n for n, s in enabled.items() if s.template == USER_AUTH_KIND]
    if users:  # user tokens are verified with user-auth's public keys only
        env["ECOM_JWKS_URL"] = f"http://{host}:{enabled[users[0]].port + port_offset}{JWKS_PATH}"
    env.update(auth or {})
    registry = [n for n, s in enabled.items() if s.template == REGISTRY_KIND and n != name]
    if registry and spec.template != REGISTRY_KIND:
        env["ECOM_REGISTRY_URL"] = f"http://{host}:{enabled[registry[0]].port + port_offset}"
    if registry_secret:
        env["ECOM_REGISTRY_SECRET"] = registry_secret
    if spec.template == GATEWAY_KIND and metrics_token:
        env["ECOM_GATEWAY_METRICS_TOKEN"] = metrics_token
    if spec.template == REGISTRY_KIND:  # who may register (docs/security.md)
        env["ECOM_REGISTRY_SERVICES"] = json.dumps(sorted(enabled))
        env["ECOM_REGISTRY_ALLOWED_HOSTS"] = json.dumps(sorted({host, *LOOPBACK_HOSTS}))
    if "zipkin" in infra:
        env["ECOM_ZIPKIN_URL"] = f"http://{host}:{port('zipkin')}/api/v2/spans"
    if "kafka" in infra:
        env["ECOM_KAFKA_BOOTSTRAP"] = f"{host}:{port('kafka')}"
    if "redis" in infra:
        env["ECOM_REDIS_URL"] = f"redis://{host}:{port('redis')}/0"
    if "mongo" in spec.uses and "mongo" in infra:
        database = MONGO_DATABASES.get(spec.template, name.replace("-", "_"))
        env["ECOM_MONGO_URL"] = f"mongodb://{host}:{port('mongo')}/{database}"
    if "search" in spec.uses and "search" in infra:  # OpenSearch's REST API
        env["ECOM_OPENSEARCH_URL"] = f"http://{host}:{port('search')}"
    if "stripe" in spec.uses and "stripe" in infra:  # issue-5 contract: the Stripe emulator
        env["ECOM_STRIPE_API_BASE"] = f"http://{host}:{port('stripe')}"
        env["ECOM_STRIPE_API_KEY"] = "sk_test_ecomctl"
    if "smtp" in spec.uses and "smtp" in infra:  # the SMTP sink and its HTTP API
        env["ECOM_SMTP_HOST"] = host
        env["ECOM_SMTP_PORT"] = str(port("smtp"))
        http = infra["smtp"].extra_ports.get("http")
        if http:
            env["ECOM_SMTP_API"] = f"http://{host}:{http + port_offset}"
    sql = next((u for u in spec.uses if u in _SQL_DRIVERS and u in infra), None)
    if sql and spec.database:
        db = infra[sql]
        env["ECOM_DATABASE_URL"] = (
            f"{_SQL_DRIVERS[sql]}://{db.user}:{db.password}@{host}:{port(sql)}/{spec.database}"
        )
    env.update(spec.env)
    return env


class ServiceComponent(InfraComponent):
    """One generated service of the stack, run from the workspace's virtualenv."""

    description = "a generated service"
    ready_timeout_s = 120.0

    def __init__(self, name: str, stack: Stack, workspace: Workspace | None) -> None:
        self.name = name
        self.stack = stack
        self.spec: ServiceSpec = stack.services[name]
        self.workspace = workspace
        self.default_port = self.spec.port
        self.depends_on = service_dependencies(name, stack)

    def _workspace(self) -> Workspace:
        if self.workspace is None:
            raise ComponentFailed(self.name, "a service needs a workspace")
        return self.workspace

    def locate(self, cache_dir: Path) -> Installation | None:
        """Installed when the workspace's virtualenv exists and the service is generated."""
        workspace = self._workspace()
        python = venv_dir(workspace) / "bin" / "python"
        source = service_dir(workspace.root, self.name)
        if not python.is_file() or not (source / "pyproject.toml").is_file():
            return None
        return Installation(
            self.name,
            _version_of(source),
            "venv",
            {"python": str(python), "source": str(source), "package": package_of(source)},
        )

    def install(self, cache_dir: Path, progress: ProgressFn) -> Installation:
        from ecomctl.runtime.venv import ensure_venv

        workspace = self._workspace()
        ensure_venv(workspace, [service_dir(workspace.root, self.name)], progress)
        found = self.locate(cache_dir)
        if found is None:
            raise ComponentFailed(self.name, "not generated: run `ecomctl up` or `ecomctl init`")
        return found

    def install_hint(self) -> str:
        return "run `ecomctl up`: it generates the service and installs it into .ecomctl/venv"

    def prepare(self, ctx: ComponentContext) -> None:
        """Apply the service's SQL migrations before it starts (Flyway's migrate-on-start)."""
        assert ctx.installation is not None
        folder = ctx.installation.path("source") / MIGRATIONS
        if not self.spec.database or not folder.is_dir() or not any(folder.glob("*.sql")):
            return
        from ecomctl.migrate import MigrateSettings, migrate, service_url

        url = service_url(self.stack, self.name, port_offset=ctx.port - self.spec.port)
        migrate(settings=MigrateSettings(url=url, locations=(folder,)))

    def process(self, ctx: ComponentContext) -> ProcessSpec:
        return self.process_on(ctx, port_offset=ctx.port - self.spec.port)

    def process_on(
        self,
        ctx: ComponentContext,
        *,
        port_offset: int,
        extra_env: dict[str, str] | None = None,
        source: Path | None = None,
    ) -> ProcessSpec:
        """The service on `ctx.port`, its infra at `port_offset`: a second color of a service
        runs beside the first on a port of its own (`ecomctl deploy`). `source` runs another
        copy of the service's code: its `src` goes first on the import path, before the
        workspace's editable install of the same package."""
        assert ctx.installation is not None
        inst = ctx.installation
        env = service_env(
            self.name,
            self.stack,
            port_offset=port_offset,
            auth=auth_env(self.name, self.stack, self._workspace()),
            host=ctx.host,
            registry_secret=registry_secret(self._workspace()),
            metrics_token=metrics_token(self._workspace()),
        )
        env["ECOM_PORT"] = str(ctx.port)
        env.setdefault("ECOM_VERSION", inst.version)
        env["PYTHONUNBUFFERED"] = "1"
        cwd = inst.path("source")
        if source is not None:
            env["PYTHONPATH"] = str(source / "src")
            cwd = source
        env.update(extra_env or {})
        argv = [
            str(inst.path("python")),
            "-m",
            "uvicorn",
            f"{inst.paths['package']}.entrypoints.app:app",
            "--host",
            ctx.host,
            "--port",
            str(ctx.port),
            "--no-access-log",
        ]
        if self.spec.template == GATEWAY_KIND:
            # Its own launcher: Granian, one worker per CPU (docs/services/gateway.md);
            # it reads ECOM_HOST and ECOM_PORT from the environment.
            argv = [str(inst.path("python")), "-m", inst.paths["package"]]
        return ProcessSpec(
            argv=argv,
            env=env,
            cwd=cwd,
            stop_signal=int(signal.SIGTERM),
            stop_timeout_s=15.0,
        )

    def check_ready(self, ctx: ComponentContext) -> None:
        response = httpx.get(f"http://{ctx.host}:{ctx.port}/health/ready", timeout=3.0)
        if response.status_code != 200:
            raise NotReady(f"/health/ready answered {response.status_code}: {response.text[:200]}")

    def compose_service(self, ctx: ComponentContext) -> dict[str, Any]:
        """Services are rendered by the docker runtime itself (docker/compose.py, build.py):
        it needs container addresses and build contexts no single component knows."""
        raise NotImplementedError("rendered by ecomctl.runtime.docker.compose")


def _version_of(source: Path) -> str:
    import tomllib

    try:
        data = tomllib.loads((source / "pyproject.toml").read_text(encoding="utf-8"))
        return str(data.get("project", {}).get("version", "0"))
    except (OSError, ValueError):
        return "0"
