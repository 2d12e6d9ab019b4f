"""The release operations behind `ecomctl deploy / switch / rollback / traffic status`.

They work on a running stack: the registry holds the instances and their weights, the
runtime starts and stops the instances, the workspace keeps the rollout record.
"""

from __future__ import annotations

import shutil
import subprocess
import tarfile
import time
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path

import httpx

from ecomctl.errors import UsageError, UserError
from ecomctl.operations import Target, choose_runtime, open_runtime
from ecomctl.rollout import routing
from ecomctl.rollout import state as rollout_state
from ecomctl.rollout.readers import unreadable_events
from ecomctl.rollout.routing import Endpoint, RegistryApi
from ecomctl.rollout.state import Rollout
from ecomctl.rollout.switch import Emit, Ports, roll_back
from ecomctl.runtime.base import EventSink, Runtime, UpEvent
from ecomctl.runtime.local.state import RuntimeState
from ecomctl.runtime.services import (
    GATEWAY_KIND,
    JWT_AUDIENCE,
    JWT_ISSUER,
    MIGRATIONS,
    REGISTRY_KIND,
    registry_secret,
    service_dir,
)
from ecomctl.workspace import Workspace

COLORS = ("blue", "green")
REGISTRATION_TIMEOUT_S = 30.0
# A release's weight changes are ADMIN-only; one token covers the longest drill.
ADMIN_TOKEN_TTL_S = 3600
# The registry's header for its registration secret (ecomkit.registry_client.SECRET_HEADER).
SECRET_HEADER = "x-registry-secret"


@dataclass(frozen=True)
class Stack:
    """Where the running stack answers (ports with the stack's offset)."""

    registry_url: str
    gateway_url: str | None
    kafka_bootstrap: str | None
    port_offset: int
    registry_headers: dict[str, str] = field(default_factory=dict, repr=False)

    @property
    def admin_headers(self) -> dict[str, str]:
        """The ADMIN token alone (the registration secret is the registry's business)."""
        return {k: v for k, v in self.registry_headers.items() if k == "Authorization"}


def running_stack(tgt: Target) -> Stack:
    offset = RuntimeState.load(tgt.workspace.state_dir / "state.json").port_offset
    services = {n: s for n, s in tgt.stack.services.items() if s.enabled}
    registry = next((s for s in services.values() if s.template == REGISTRY_KIND), None)
    if registry is None:
        raise UserError("the stack has no registry service: releases need one to route by")
    gateway = next((s for s in services.values() if s.template == GATEWAY_KIND), None)
    kafka = tgt.stack.enabled_infra().get("kafka")
    return Stack(
        registry_url=f"http://127.0.0.1:{registry.port + offset}",
        gateway_url=f"http://127.0.0.1:{gateway.port + offset}" if gateway else None,
        kafka_bootstrap=f"127.0.0.1:{kafka.port + offset}" if kafka else None,
        port_offset=offset,
        registry_headers=registry_credentials(tgt.workspace),
    )


def registry_credentials(workspace: Workspace) -> dict[str, str]:
    """The registration secret and a short ADMIN token: what a weight change needs."""
    from ecomctl.keys import operator_token

    token = operator_token(
        workspace,
        issuer=JWT_ISSUER,
        audience=JWT_AUDIENCE,
        ttl_s=ADMIN_TOKEN_TTL_S,
        roles=("ADMIN",),
    )
    return {SECRET_HEADER: registry_secret(workspace), "Authorization": f"Bearer {token}"}


def check_releasable(tgt: Target, service: str) -> None:
    spec = tgt.stack.services.get(service)
    if spec is None or not spec.enabled:
        known = ", ".join(n for n, s in tgt.stack.services.items() if _releasable(s.template))
        raise UsageError(f"unknown service {service!r}", hint=f"releasable services: {known}")
    if not _releasable(spec.template):
        raise UsageError(
            f"{service} routes the others and is not released by color",
            hint="restart it with the new version: ecomctl down && ecomctl up",
        )


def _releasable(template: str) -> bool:
    return template not in (REGISTRY_KIND, GATEWAY_KIND)


def stable_color(tgt: Target, service: str) -> str:
    """The color serving now: the last promoted canary's, else blue."""
    last = rollout_state.load(tgt.workspace, service)
    if last is None:
        return COLORS[0]
    return last.canary if last.phase == "promoted" else last.stable


def serving_color(endpoints: list[Endpoint], *, fallback: str) -> str:
    """The one color taking traffic now, by the registry. It beats the record, which a
    `down` and `up` after a promotion leaves behind (the service then runs blue again)."""
    colors = {e.color for e in endpoints if e.weight > 0}
    return colors.pop() if len(colors) == 1 else fallback


def check_color(color: str) -> str:
    if color not in COLORS:
        raise UsageError(f"unknown color {color!r}; a service has colors {' and '.join(COLORS)}")
    return color


def open_rollout(tgt: Target, service: str) -> Rollout:
    rollout = rollout_state.load(tgt.workspace, service)
    if rollout is None or not rollout.open:
        serving = stable_color(tgt, service)
        other = next(color for color in COLORS if color != serving)
        raise UserError(
            f"{service} has no new version deployed ({serving} serves alone)",
            hint=f"deploy one first: ecomctl deploy {service} --color {other}",
        )
    return rollout


# ---- deploy -------------------------------------------------------------------------------
def deploy(
    tgt: Target,
    service: str,
    *,
    color: str | None,
    source: Path | None,
    version_ref: str | None,
    replicas: int,
    allow_contract: bool,
    env: dict[str, str],
    on_event: EventSink,
    allow_breaking_events: bool = False,
) -> Rollout:
    check_releasable(tgt, service)
    current = rollout_state.load(tgt.workspace, service)
    if current is not None and current.open:
        raise UserError(
            f"a release of {service} is in progress ({current.canary} at {current.weight}%)",
            hint=f"finish it: ecomctl switch {service}, or abort it: ecomctl rollback {service}",
        )
    runtime = _runtime(tgt)
    runtime.check_colors()
    stack = running_stack(tgt)
    registry = RegistryApi(stack.registry_url, headers=stack.registry_headers)
    registered = registry.endpoints(service)
    stable = serving_color(registered, fallback=stable_color(tgt, service))
    canary = check_color(color) if color else next(c for c in COLORS if c != stable)
    if canary == stable:
        raise UsageError(
            f"{canary} is {service}'s serving color; deploy the new version as "
            f"{next(c for c in COLORS if c != stable)}"
        )
    if replicas < 1 or replicas > 10:
        raise UsageError(f"--replicas {replicas}: choose 1 to 10")
    serving = [e for e in registered if e.color == stable]
    if not serving:
        raise UserError(f"no {stable} instance of {service} is registered", hint="ecomctl up")
    code = _code_to_run(tgt, service, source, version_ref)
    version = version_ref or _project_version(code or service_dir(tgt.workspace.root, service))
    _expand_migrations(tgt, service, code, stack.port_offset, allow_contract, on_event)
    runtime.start_instances(
        service,
        color=canary,
        count=replicas,
        source=code,
        env={
            **env,
            "ECOM_COLOR": canary,
            "ECOM_VERSION": version,
            "ECOM_REGISTRY_WEIGHT": "0",  # no traffic until the switch gives it some
        },
        on_event=on_event,
    )
    try:
        started = _wait_registered(registry, service, canary, replicas)
        _check_readers(service, serving[0], started[0], on_event, allow_breaking_events)
    except BaseException:  # nothing half-deployed stays behind: no record, no instances
        runtime.stop_instances(service, color=canary, on_event=on_event)
        raise
    rollout = Rollout(
        service=service,
        stable=stable,
        canary=canary,
        canary_version=version,
        stable_version=serving[0].version,
    )
    rollout.record({"event": "deployed", "color": canary, "version": version})
    rollout_state.save(tgt.workspace, rollout)
    return rollout


def _runtime(tgt: Target) -> Runtime:
    name = choose_runtime("auto", tgt.workspace)
    return open_runtime(name, tgt, installations={})


def _code_to_run(
    tgt: Target, service: str, source: Path | None, version_ref: str | None
) -> Path | None:
    """The service's code for the new color: None runs the workspace's own copy."""
    if source is not None and version_ref is not None:
        raise UsageError("--from and --version: choose one")
    if version_ref is not None:
        return _checkout(tgt, service, version_ref)
    if source is None:
        return None
    source = source.resolve()
    own = service_dir(tgt.workspace.root, service).resolve()
    if not (source / "pyproject.toml").is_file() or not any(source.glob("src/*/entrypoints")):
        raise UsageError(f"--from {source}: not a generated service (no pyproject.toml/src)")
    return None if source == own else source


def _checkout(tgt: Target, service: str, ref: str) -> Path:
    """`--version REF`: the service folder as it was at REF in the workspace's git history,
    unpacked once per commit (a branch that moved on gets a fresh copy)."""
    folder = f"services/{service}"
    commit = _git(tgt, ref, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}").strip()
    target = tgt.workspace.state_dir / "releases" / service / commit.decode()
    if (target / "pyproject.toml").is_file():
        return target
    archive = _git(tgt, ref, "archive", "--format=tar", commit.decode(), folder)
    staging = target.with_name(target.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(staging, filter="data")
    if not (staging / folder / "pyproject.toml").is_file():
        shutil.rmtree(staging, ignore_errors=True)
        raise UsageError(f"--version {ref}: {folder} at {ref} is not a generated service")
    (staging / folder).rename(target)
    shutil.rmtree(staging, ignore_errors=True)
    return target


def _git(tgt: Target, ref: str, *args: str) -> bytes:
    try:
        return subprocess.run(
            ["git", "-C", str(tgt.workspace.root), *args],
            capture_output=True,
            check=True,
            timeout=60,
        ).stdout
    except (OSError, subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        detail = (getattr(exc, "stderr", b"") or b"").decode(errors="replace").strip()
        found = detail or "no such commit"
        raise UsageError(f"--version {ref}: not in the workspace's git history ({found})") from None


def _project_version(source: Path) -> str:
    import tomllib

    try:
        project = tomllib.loads((source / "pyproject.toml").read_text()).get("project", {})
        return str(project.get("version", "0"))
    except (OSError, ValueError):
        return "0"


def _expand_migrations(
    tgt: Target,
    service: str,
    code: Path | None,
    port_offset: int,
    allow_contract: bool,
    on_event: EventSink,
) -> None:
    folder = (code or service_dir(tgt.workspace.root, service)) / MIGRATIONS
    if not tgt.stack.services[service].database or not any(folder.glob("*.sql")):
        return
    from ecomctl.migrate import MigrateSettings, service_url
    from ecomctl.migrate.phases import apply_expand

    on_event(UpEvent(service, "prepare", "applying expand migrations"))
    settings = MigrateSettings(
        url=service_url(tgt.stack, service, port_offset=port_offset), locations=(folder,)
    )
    apply_expand(settings=settings, allow_contract=allow_contract)


def _check_readers(
    service: str, serving: Endpoint, new: Endpoint, on_event: EventSink, allow: bool
) -> None:
    found = unreadable_events(serving, new)
    if isinstance(found, str):
        on_event(UpEvent(service, "check", f"warning: {found}"))
        return
    if not found:
        on_event(UpEvent(service, "check", f"{serving.color} reads {new.color}'s events"))
        return
    lines = "; ".join(problem.line() for problem in found)
    if allow:
        on_event(UpEvent(service, "check", f"warning: {serving.color} cannot read: {lines}"))
        return
    raise UserError(
        f"{service}: {serving.color} could not read {new.color}'s events: {lines}",
        hint="bump the contract's schema_version with an upcaster and release the readers "
        "first, or pass --allow-breaking-events",
    )


def _wait_registered(registry: RegistryApi, service: str, color: str, count: int) -> list[Endpoint]:
    deadline = time.monotonic() + REGISTRATION_TIMEOUT_S
    while time.monotonic() < deadline:
        found = [e for e in registry.endpoints(service) if e.color == color]
        if len(found) >= count:
            return found
        time.sleep(0.2)
    raise UserError(
        f"the {color} instances of {service} did not register within "
        f"{REGISTRATION_TIMEOUT_S:.0f} s",
        hint=f"see their logs: ecomctl logs {service}@{color}-1",
    )


# ---- ports of a switch on the real stack ----------------------------------------------------
def stack_ports(tgt: Target, *, on_event: EventSink) -> Ports:
    stack = running_stack(tgt)
    runtime = _runtime(tgt)
    http = httpx.Client(timeout=3.0)

    def scrape(url: str) -> str:
        response = http.get(f"{url}/metrics")
        response.raise_for_status()
        return response.text

    def settle(service: str, weights: dict[str, int]) -> bool:
        if stack.gateway_url is None:
            return True
        return routing.wait_for_gateway(
            stack.gateway_url, service, weights, headers=stack.admin_headers
        )

    def lag(groups: list[str]) -> int | None:
        if stack.kafka_bootstrap is None:
            return None
        from ecomctl.rollout.lag import consumer_lag

        found = [consumer_lag(stack.kafka_bootstrap, group) for group in groups]
        known = [n for n in found if n is not None]
        return sum(known) if known else None

    return Ports(
        registry=RegistryApi(stack.registry_url, headers=stack.registry_headers),
        scrape=scrape,
        settle=settle,
        stop_color=lambda service, color: runtime.stop_instances(
            service, color=color, on_event=on_event
        ),
        promote=lambda service, color: runtime.promote_instances(service, color=color),
        lag=lag,
    )


def rollback(tgt: Target, service: str, *, emit: Emit, on_event: EventSink) -> Rollout:
    check_releasable(tgt, service)
    last = rollout_state.load(tgt.workspace, service)
    if last is not None and last.phase == "promoted":
        raise UserError(
            f"{service}'s {last.canary} ({last.canary_version}) was promoted; "
            f"the {last.stable} instances are gone",
            hint=f"release the previous version again: ecomctl deploy {service} --version REF",
        )
    rollout = open_rollout(tgt, service)
    with rollout_state.exclusive(tgt.workspace, service):
        roll_back(
            tgt.workspace,
            rollout,
            stack_ports(tgt, on_event=on_event),
            emit,
            reason="asked for (ecomctl rollback)",
        )
    return rollout


# ---- traffic set ----------------------------------------------------------------------------
def set_traffic(tgt: Target, service: str, shares: dict[str, int]) -> Rollout:
    """Puts `shares` (percent by color) in force for the open release of `service`."""
    check_releasable(tgt, service)
    open_rollout(tgt, service)
    with rollout_state.exclusive(tgt.workspace, service):
        rollout = open_rollout(tgt, service)  # as it is now that we hold the lock
        if rollout.canary in shares:
            percent = shares[rollout.canary]
        else:
            percent = 100 - shares[rollout.stable]
        ports = stack_ports(tgt, on_event=lambda _event: None)
        endpoints = routing.apply_split(
            ports.registry,
            service,
            stable=rollout.stable,
            canary=rollout.canary,
            canary_percent=percent,
        )
        ports.settle(service, {e.instance_id: e.weight for e in endpoints})
        rollout.weight = percent
        if rollout.phase == "switching":  # its driver is gone, or the lock would be held
            rollout.phase = "interrupted"
        rollout.record({"event": "weights", "weight": percent, "by": "traffic set"})
        rollout_state.save(tgt.workspace, rollout)
    return rollout


# ---- traffic status -------------------------------------------------------------------------
def endpoints_by_service(tgt: Target) -> dict[str, list[Endpoint]]:
    stack = running_stack(tgt)
    registry = RegistryApi(stack.registry_url, headers=stack.registry_headers)
    try:
        return {
            name: registry.endpoints(name)
            for name, spec in tgt.stack.services.items()
            if spec.enabled and _releasable(spec.template)
        }
    finally:
        registry.close()
