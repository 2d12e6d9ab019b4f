"""Each infrastructure component in a cluster: which operator's resource stands for it,
the address services use, and the pods (or network) a NetworkPolicy lets them reach.

Names come from the stack's name (`ecommerce-kafka`), not from the Helm release, so the
addresses can be written into the services' configuration when the chart is rendered.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ecomctl.errors import UsageError
from ecomctl.kube.settings import InfraChoice, InfraMode, as_values
from ecomctl.stack.model import InfraSpec, Stack


@dataclass(frozen=True)
class Kind:
    """What the chart does for one component by default, and how it is reached in-cluster."""

    modes: tuple[InfraMode, ...]  # the first is the default
    port: int
    host: str = "{name}"  # the Service in front of it ({name}: the resource's name)
    pod_labels: dict[str, str] = field(default_factory=dict)  # values may use {name}
    defaults: dict[str, Any] = field(default_factory=dict)


# Requests and storage are starting points for a small production cluster (docs/kubernetes.md,
# "Sizing"), not measurements: the local stack measures CPU per order, not these.
_SMALL = {"requests": {"cpu": "250m", "memory": "512Mi"}, "limits": {"memory": "1Gi"}}
_KINDS: dict[str, Kind] = {
    "kafka": Kind(
        ("operator", "external"), 9092, "{name}-kafka-bootstrap", {"strimzi.io/cluster": "{name}"},
        {"replicas": 3, "storage": "20Gi", "version": "4.1.0", "replicationFactor": 3,
         "minInSyncReplicas": 2,
         "resources": {"requests": {"cpu": "500m", "memory": "2Gi"}, "limits": {"memory": "2Gi"}}},
    ),
    "postgres": Kind(
        ("operator", "external"), 5432, "{name}-{database}-rw",
        {"cnpg.io/cluster": "{name}-{database}"},
        {"instances": 2, "storage": "10Gi", "resources": _SMALL},
    ),
    "mysql": Kind(
        ("operator", "external"), 3306, "{name}-primary", {"app.kubernetes.io/instance": "{name}"},
        {"replicas": 3, "storage": "10Gi", "existingSecret": "{name}-root", "resources": _SMALL},
    ),
    "mongo": Kind(
        ("operator", "external"), 27017, "{name}-svc", {"app": "{name}-svc"},
        {"members": 3, "version": "8.0.4", "existingSecret": "{name}-user"},
    ),
    "redis": Kind(
        ("operator", "external"), 6379, "{name}", {"app": "{name}"},
        {"image": "quay.io/opstree/redis:v7.0.15",
         "resources": {"requests": {"cpu": "100m", "memory": "256Mi"},
                       "limits": {"memory": "512Mi"}}},
    ),
    "search": Kind(
        ("operator", "external"), 9200, "{name}", {"opster.io/opensearch-cluster": "{name}"},
        {"replicas": 3, "storage": "20Gi", "version": "2.19.2", "resources": _SMALL},
    ),
    "zipkin": Kind(
        ("deployment", "external"), 9411, "{name}", {"app.kubernetes.io/name": "{name}"},
        {"image": "openzipkin/zipkin:3.5.1", "heapMb": 256,
         "resources": {"requests": {"cpu": "100m", "memory": "512Mi"},
                       "limits": {"memory": "768Mi"}}},
    ),
    # Prometheus is the Prometheus Operator's (ServiceMonitor, PrometheusRule), not the chart's.
    "prometheus": Kind(("none",), 9090),
    # Managed services only; the defaults are placeholders for infra.<name>.external.host.
    "smtp": Kind(("external",), 587, "smtp.example.com"),
    "stripe": Kind(("external",), 443, "api.stripe.com"),
}  # fmt: skip


@dataclass(frozen=True)
class Placement:
    """Where one enabled component is, once the values chose its mode."""

    component: str
    mode: InfraMode
    name: str
    port: int
    hosts: dict[str, str]  # per database for one-cluster-per-database operators, else {"": host}
    values: dict[str, Any]  # the chart's `infra.<component>` block
    pod_labels: dict[str, str]  # may name {database}; empty for an external endpoint
    cidr: str = ""

    def host(self, database: str | None) -> str:
        return self.hosts.get(database or "", next(iter(self.hosts.values())))

    def egress(self, database: str | None) -> dict[str, Any]:
        """The NetworkPolicy egress rule that lets a service (of `database`) reach it."""
        ports = [{"port": self.port, "protocol": "TCP"}]
        if self.mode == "external":
            return {"to": [{"ipBlock": {"cidr": self.cidr}}], "ports": ports}
        db = (database or "").replace("_", "-")
        labels = {key: value.format(database=db) for key, value in self.pod_labels.items()}
        return {"to": [{"podSelector": {"matchLabels": labels}}], "ports": ports}


def place(component: str, spec: InfraSpec, stack: Stack, choice: InfraChoice) -> Placement:
    kind = _KINDS[component]
    mode = choice.mode or kind.modes[0]
    if mode not in kind.modes:
        allowed = ", ".join(kind.modes)
        raise UsageError(f"infra.{component}.mode: {mode} is not offered; choose {allowed}")
    name = f"{stack.name}-{component}"
    if mode == "external":
        return _external(component, name, kind, choice)
    chosen = as_values(choice.model_copy(update={"mode": None, "external": None}))
    values: dict[str, Any] = {"mode": mode, "name": name, **kind.defaults, **chosen}
    databases = in_use(spec.databases, stack)
    if databases:
        values["databases"] = databases
    values = {key: _named(value, name) for key, value in values.items()}
    if component == "kafka":
        values["topics"] = _topics(stack)
    labels = {key: value.replace("{name}", name) for key, value in kind.pod_labels.items()}
    host = kind.host
    if component == "mysql" and values["replicas"] == 1:
        host = "{name}"  # the MariaDB operator makes a -primary Service only when replicating
    hosts = {db: host.format(name=name, database=db.replace("_", "-")) for db in databases or [""]}
    return Placement(component, mode, name, kind.port, hosts, values, labels)


def in_use(databases: list[str], stack: Stack) -> list[str]:
    """The databases to make: all but those whose only owners are disabled services (with
    the operators, each database is a cluster of its own, pods and volumes included)."""
    owners: dict[str, list[bool]] = {}
    for service in stack.services.values():
        if service.database:
            owners.setdefault(service.database, []).append(service.enabled)
    return [db for db in databases if any(owners.get(db, [True]))]


def _external(component: str, name: str, kind: Kind, choice: InfraChoice) -> Placement:
    endpoint = choice.external
    if not endpoint.host and "{name}" in kind.host:  # in-cluster only: no default outside
        raise UsageError(f"infra.{component}.external.host: give the managed service's host name")
    endpoint = endpoint.model_copy(update={"host": endpoint.host or kind.host})
    port = endpoint.port or kind.port
    values = {"mode": "external", "name": name, "external": as_values(endpoint)}
    return Placement(
        component, "external", name, port, {"": endpoint.host}, values, {}, endpoint.cidr
    )


def _named(value: Any, name: str) -> Any:
    return value.format(name=name) if isinstance(value, str) and "{name}" in value else value


def _topics(stack: Stack) -> list[dict[str, Any]]:
    """Every topic of the stack and its DLQ (the names `ecomctl up` creates)."""
    topics: list[dict[str, Any]] = []
    for topic in stack.topics:
        topics.append({"name": topic.name, "partitions": topic.partitions})
        if topic.dlq:
            topics.append({"name": f"{topic.name}.DLQ", "partitions": topic.partitions})
    return topics
