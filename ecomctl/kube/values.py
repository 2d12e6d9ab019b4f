"""The chart's values.yaml, derived from the stack and the `--values` settings.

The chart's templates are generic loops over these values; everything that depends on the
stack (which services exist, what they call, which stores they use, their configuration)
is decided here, from the same definitions the local and docker runtimes use
(`container_env`, `service_dependencies`, the stack's topics and gates).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from ecomctl.alerts import rules_document
from ecomctl.errors import UsageError
from ecomctl.kube.analysis import analysis_metrics
from ecomctl.kube.infra import Placement, place
from ecomctl.kube.settings import (
    EVERY_SERVICE_SECRETS,
    SECRET_ENV,
    Autoscaling,
    HelmSettings,
    InfraChoice,
    ServiceChoice,
    as_values,
    check_names,
)
from ecomctl.runtime.docker.container_env import container_env
from ecomctl.runtime.services import GATEWAY_KIND, REGISTRY_KIND
from ecomctl.stack.model import ServiceSpec, Stack

ALERT_RULES_FILE = "alert-rules.yaml"  # beside the stack file: Prometheus `groups: [...]`
# CPU: the services share 35-75 ms of the 63-108 ms CPU per order bench/saga_cpu.py measured
# (docs/benchmarks.md), about 15 ms per service per order: 100m serves ~7 orders/s per pod
# before the HPA adds one. Memory: the order service's RSS measured 121 MB idle and 125 MiB
# after 3,000 requests, the registry's 86 MB (local runtime, docs/kubernetes.md "Sizing"):
# the request is 1.5x that, the limit 3x.
SERVICE_RESOURCES = {"requests": {"cpu": "100m", "memory": "192Mi"}, "limits": {"memory": "384Mi"}}
SQL_STORES = ("postgres", "mysql")


def chart_values(stack: Stack, settings: HelmSettings, stack_file: Path) -> dict[str, Any]:
    enabled = {name: spec for name, spec in stack.services.items() if spec.enabled}
    check_names(settings, list(stack.services), list(stack.infra))
    for name, choice in settings.services.items():
        if choice.enabled and not stack.services[name].enabled:
            enabled[name] = stack.services[name]
        elif choice.enabled is False:
            enabled.pop(name, None)
    placements = {
        name: place(name, spec, stack, settings.infra.get(name) or InfraChoice())
        for name, spec in stack.enabled_infra().items()
    }
    _check_uses(enabled, placements)
    rollouts = as_values(settings.rollouts)
    rollouts["gateExpression"] = settings.rollouts.gates or "the default of ecomctl switch"
    rollouts["gates"] = analysis_metrics(
        settings.rollouts.gates,
        window=settings.rollouts.analysisInterval,
        min_requests=settings.rollouts.minRequests,
    )
    monitoring = as_values(settings.monitoring)
    monitoring.pop("alertRulesFile", None)
    monitoring["rules"] = _alert_rules(settings.monitoring.alertRulesFile, stack_file, stack)
    return {
        "stack": stack.name,
        # Install the infrastructure and the services as two releases of this chart (first
        # `--set parts.services=false`, then `--set parts.infra=false`), or both in one.
        "parts": {"infra": True, "services": True},
        "image": as_values(settings.image),
        "ingress": as_values(settings.ingress),
        "rollouts": rollouts,
        "monitoring": monitoring,
        "networkPolicy": as_values(settings.networkPolicy),
        "migrations": as_values(settings.migrations),
        "terminationGracePeriodSeconds": 20,
        "infra": {name: placement.values for name, placement in placements.items()},
        "services": {
            name: _service(name, spec, stack, enabled, placements, settings)
            for name, spec in enabled.items()
        },
    }


def _check_uses(enabled: dict[str, ServiceSpec], placements: dict[str, Placement]) -> None:
    for name, spec in enabled.items():
        missing = [use for use in spec.uses if use not in placements]
        if missing:
            raise UsageError(f"service {name} uses {', '.join(missing)}, disabled in the stack")


def _service(
    name: str,
    spec: ServiceSpec,
    stack: Stack,
    enabled: dict[str, ServiceSpec],
    placements: dict[str, Placement],
    settings: HelmSettings,
) -> dict[str, Any]:
    choice = settings.services.get(name) or ServiceChoice()
    env = container_env(name, stack, _addresses(stack, placements, spec.database))
    env["ECOM_ENVIRONMENT"] = "production"
    secret_keys = [key for key in SECRET_ENV if key in env or key in EVERY_SERVICE_SECRETS]
    for key in SECRET_ENV:
        env.pop(key, None)
    env.update(choice.env)
    stateful = spec.template == REGISTRY_KIND  # the registry keeps its entries in memory
    autoscaling = choice.autoscaling or Autoscaling(enabled=not stateful)
    replicas = choice.replicas if choice.replicas is not None else 1 if stateful else 2
    if autoscaling.enabled and autoscaling.minReplicas > autoscaling.maxReplicas:
        raise UsageError(f"services.{name}.autoscaling: minReplicas is above maxReplicas")
    return {
        "enabled": True,
        "port": spec.port,
        "replicas": replicas,
        "autoscaling": as_values(autoscaling),
        "pdb": {"enabled": replicas > 1 or autoscaling.enabled, "maxUnavailable": 1},
        "resources": choice.resources or SERVICE_RESOURCES,
        "existingSecret": choice.existingSecret or f"{stack.name}-{name}",
        "secretKeys": secret_keys,
        "env": dict(sorted(env.items())),
        "ingress": spec.template == GATEWAY_KIND,
        "calls": _calls(spec, enabled),
        "calledBy": _called_by(name, spec, enabled),
        "egress": _egress(spec, placements),
        "migrations": name if spec.database and set(spec.uses) & set(SQL_STORES) else "",
    }


def _addresses(
    stack: Stack, placements: dict[str, Placement], database: str | None
) -> dict[int, str]:
    """Every stack port of the infrastructure -> its in-cluster `host:port`."""
    found: dict[int, str] = {}
    for name, spec in stack.enabled_infra().items():
        placement = placements[name]
        host = placement.host(database)
        found[spec.port] = f"{host}:{placement.port}"
        for extra in spec.extra_ports.values():
            found[extra] = f"{host}:{extra}"
    return found


def _calls(spec: ServiceSpec, enabled: dict[str, ServiceSpec]) -> list[str]:
    """The services it calls over HTTP: the gateway every service, everyone the registry."""
    registry = [n for n, s in enabled.items() if s.template == REGISTRY_KIND]
    if spec.template == REGISTRY_KIND:
        return []
    if spec.template == GATEWAY_KIND:
        return [n for n, s in enabled.items() if s.template != GATEWAY_KIND]
    return registry


def _called_by(name: str, spec: ServiceSpec, enabled: dict[str, ServiceSpec]) -> list[str]:
    return [n for n, s in enabled.items() if n != name and name in _calls(s, enabled)]


def _egress(spec: ServiceSpec, placements: dict[str, Placement]) -> list[dict[str, Any]]:
    """Its stores and Kafka as `uses` says, and Zipkin, which every service sends spans to."""
    targets = [*spec.uses, *(["zipkin"] if "zipkin" in placements else [])]
    rules = []
    for target in dict.fromkeys(targets):
        placement = placements[target]
        if placement.mode != "none":
            rules.append(placement.egress(spec.database))
    return rules


def _alert_rules(path: Path | None, stack_file: Path, stack: Stack) -> list[Any]:
    """The groups of a Prometheus rule file (`alertRulesFile`, or alert-rules.yaml beside
    the stack file); without one, the rules the local stack's Prometheus runs
    (ecomctl.alerts: the same recording rules and alerts on both)."""
    source = path or stack_file.parent / ALERT_RULES_FILE
    if not source.is_file():
        if path is not None:
            raise UsageError(f"{path}: no such alert rules file")
        stack_rules: list[Any] = rules_document(stack)["groups"]
        return stack_rules
    document = yaml.safe_load(source.read_text(encoding="utf-8")) or {}
    groups = document.get("groups") if isinstance(document, dict) else None
    if not isinstance(groups, list):
        raise UsageError(f"{source}: an alert rules file has `groups: [...]`")
    return groups
