"""What `ecomctl render helm --values FILE` accepts: the choices a platform team makes.

Everything has a default, so the default chart needs no file. Unknown keys, unknown
services, negative counts and secrets written as plain values are refused with one line
naming the file and the field, before any chart is written.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ecomctl.errors import UsageError

# Configuration the services read that holds credentials: only ever in the Secret named by
# `existingSecret`, never in values, the ConfigMap or the chart.
SECRET_ENV = (
    "ECOM_CLIENT_SECRET",
    "ECOM_REGISTRY_SECRET",
    "ECOM_DATABASE_URL",
    "ECOM_MONGO_URL",
    "ECOM_STRIPE_API_KEY",
)
# Every service has a client secret at user-auth (its service credential) and the
# registration secret the registry asks of every write (issue 16).
EVERY_SERVICE_SECRETS = ("ECOM_CLIENT_SECRET", "ECOM_REGISTRY_SECRET")
_SECRET_NAME = re.compile(r"SECRET|PASSWORD|PASSWD|TOKEN|API_KEY|PRIVATE", re.IGNORECASE)
_CREDENTIALS_IN_URL = re.compile(r"://[^/@\s]+:[^/@\s]+@")

InfraMode = Literal["operator", "external", "deployment", "none"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Image(_Strict):
    registry: str = ""
    repository: str = "ecommerce"
    tag: str = "0.1.0"
    digest: str = ""
    pullPolicy: Literal["Always", "IfNotPresent", "Never"] = "IfNotPresent"


class Ingress(_Strict):
    enabled: bool = True
    className: str = "nginx"
    host: str = "shop.example.com"
    tlsSecret: str = ""
    controllerNamespace: str = "ingress-nginx"


class Rollouts(_Strict):
    enabled: bool = False
    # The same expression as `ecomctl switch --gate` (ecomctl.rollout.gates).
    gates: str = ""
    canaryWeights: list[int] = Field(default_factory=lambda: [10, 25, 50])
    stepDuration: str = Field(default="5m", pattern=r"^\d+[smh]$")
    analysisInterval: str = Field(default="1m", pattern=r"^\d+[smh]$")
    inconclusiveLimit: int = Field(default=3, ge=0)
    minRequests: int = Field(default=20, ge=1)
    prometheusAddress: str = "http://prometheus-operated.monitoring.svc:9090"

    @field_validator("canaryWeights")
    @classmethod
    def _weights(cls, value: list[int]) -> list[int]:
        if not value or any(not 0 < w < 100 for w in value) or value != sorted(set(value)):
            raise ValueError("canary weights must rise strictly between 1 and 99, like [10, 50]")
        return value


class Monitoring(_Strict):
    serviceMonitor: bool = True
    namespace: str = "monitoring"
    selectorLabels: dict[str, str] = Field(default_factory=dict)
    # A Prometheus rule file (`groups: [...]`); default: alert-rules.yaml beside the stack.
    alertRulesFile: Path | None = None


class Toggle(_Strict):
    enabled: bool = True


class Migrations(_Strict):
    enabled: bool = True
    image: str = "ecommerce/ecomctl-migrator:0.1.0"


class External(_Strict):
    host: str = ""
    port: int | None = Field(default=None, ge=1, le=65535)
    cidr: str = "0.0.0.0/0"


class InfraChoice(_Strict):
    """How one component reaches the cluster: an operator's resource, a plain Deployment
    (stateless parts), an `external` managed endpoint, or `none`."""

    mode: InfraMode | None = None
    external: External = Field(default_factory=External)
    replicas: int | None = Field(default=None, ge=1, le=99)
    storage: str | None = Field(default=None, pattern=r"^\d+(Mi|Gi|Ti)$")
    version: str | None = None
    existingSecret: str | None = None


class Autoscaling(_Strict):
    enabled: bool = True
    minReplicas: int = Field(default=2, ge=1)
    maxReplicas: int = Field(default=6, ge=1)
    targetCPUUtilizationPercentage: int = Field(default=70, ge=1, le=100)


class ServiceChoice(_Strict):
    enabled: bool | None = None
    replicas: int | None = Field(default=None, ge=0)
    autoscaling: Autoscaling | None = None
    resources: dict[str, dict[str, str]] | None = None
    existingSecret: str | None = None
    env: dict[str, str] = Field(default_factory=dict)

    @field_validator("env")
    @classmethod
    def _no_plain_secrets(cls, value: dict[str, str]) -> dict[str, str]:
        for key, text in value.items():
            if key in SECRET_ENV or _SECRET_NAME.search(key) or _CREDENTIALS_IN_URL.search(text):
                raise ValueError(
                    f"{key} is a secret given as a plain value; put it in the Secret "
                    "named by existingSecret"
                )
        return value


class HelmSettings(_Strict):
    image: Image = Field(default_factory=Image)
    ingress: Ingress = Field(default_factory=Ingress)
    rollouts: Rollouts = Field(default_factory=Rollouts)
    monitoring: Monitoring = Field(default_factory=Monitoring)
    networkPolicy: Toggle = Field(default_factory=Toggle)
    migrations: Migrations = Field(default_factory=Migrations)
    infra: dict[str, InfraChoice] = Field(default_factory=dict)
    services: dict[str, ServiceChoice] = Field(default_factory=dict)


def load_settings(path: Path | None) -> HelmSettings:
    """The settings of `path` (defaults without one); one UsageError line when wrong."""
    if path is None:
        return HelmSettings()
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except OSError as exc:
        raise UsageError(f"{path}: cannot read values file ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        raise UsageError(f"{path}: not YAML ({str(exc).splitlines()[0]})") from None
    if not isinstance(data, dict):
        raise UsageError(f"{path}: a values file is a mapping, like `services: {{...}}`")
    try:
        return HelmSettings.model_validate(data)
    except ValidationError as exc:
        raise UsageError(f"{path}: {_first_problem(exc)}") from None


def _first_problem(exc: ValidationError) -> str:
    error = exc.errors()[0]
    where = ".".join(str(part) for part in error["loc"])
    message = str(error["msg"]).removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        message = "unknown key"
    return f"{where}: {message}"


def check_names(settings: HelmSettings, services: list[str], components: list[str]) -> None:
    """Every service and component the settings name exists in the stack."""
    for kind, given, known in (
        ("service", settings.services, services),
        ("infra component", settings.infra, components),
    ):
        unknown = sorted(set(given) - set(known))
        if unknown:
            raise UsageError(
                f"unknown {kind} {unknown[0]!r} in values; the stack has: {', '.join(known)}"
            )


def as_values(model: BaseModel) -> dict[str, Any]:
    """A settings block as plain chart values."""
    return model.model_dump(mode="json", exclude_none=True)
