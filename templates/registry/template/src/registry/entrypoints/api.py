"""The registry's HTTP API (the issue-4 contract): routes translate HTTP to the model.

Reads are open (every service and the gateway look instances up); every write needs the
workspace's registration secret, and a weight change also an ADMIN token (docs/security.md).
"""

from __future__ import annotations

import hmac
import time
from typing import Annotated, Any

from ecomkit.auth import require_roles
from ecomkit.problems import NotFound, Unauthorized, UnprocessableEntity
from ecomkit.registry_client import SECRET_HEADER
from fastapi import APIRouter, Depends, Header, Request, Response
from pydantic import BaseModel, Field

from registry.domain.admission import NotAdmitted, check_instance_url, check_service
from registry.domain.model import InstanceRecord, ServiceRegistry, UnknownInstance
from registry.settings import Settings

NAME = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$"


class Registration(BaseModel):
    service: str = Field(pattern=NAME)
    instance_id: str = Field(pattern=NAME)
    url: str = Field(pattern=r"^https?://[^\s]+$", max_length=500)
    weight: int = Field(default=100, ge=0, le=1000)
    metadata: dict[str, Any] = Field(default_factory=dict)


class WeightChange(BaseModel):
    weight: int = Field(ge=0, le=1000)


async def get_registry(request: Request) -> ServiceRegistry:
    registry: ServiceRegistry = request.app.state.service_registry
    return registry


def settings_of(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def registration_secret(
    request: Request,
    secret: Annotated[str, Header(alias=SECRET_HEADER)] = "",
) -> None:
    """Writes need the workspace's secret; without one configured, writes are refused."""
    expected = settings_of(request).registry_secret.get_secret_value()
    if not expected:
        raise Unauthorized("registry writes are disabled: ECOM_REGISTRY_SECRET is not set")
    if not hmac.compare_digest(secret.encode(), expected.encode()):
        raise Unauthorized(f"registry writes need the registration secret ({SECRET_HEADER})")


Registry = Annotated[ServiceRegistry, Depends(get_registry)]
router = APIRouter(prefix="/api/registry", tags=["registry"])
writes = [Depends(registration_secret)]


def wall_offset() -> float:
    """Maps the registry's monotonic clock to epoch seconds for display."""
    return time.time() - time.monotonic()


def _view(record: InstanceRecord) -> dict[str, Any]:
    return record.as_dict(wall_offset())


@router.post("/instances", status_code=201, dependencies=writes)
async def register(
    body: Registration, registry: Registry, request: Request, response: Response
) -> dict[str, Any]:
    settings = settings_of(request)
    try:
        check_service(body.service, settings.registry_services)
        url = check_instance_url(body.url, settings.registry_allowed_hosts)
    except NotAdmitted as exc:
        raise UnprocessableEntity(str(exc)) from None
    record, new = registry.register(
        body.service, body.instance_id, url, weight=body.weight, metadata=body.metadata
    )
    if not new:
        response.status_code = 201  # idempotent: re-registering updates and answers the same
    return _view(record)


@router.put("/instances/{service}/{instance_id}/heartbeat", dependencies=writes)
async def heartbeat(service: str, instance_id: str, registry: Registry) -> dict[str, Any]:
    try:
        return _view(registry.heartbeat(service, instance_id))
    except UnknownInstance as exc:
        raise NotFound(f"unknown instance {exc.args[0]}; register again") from exc


@router.put(
    "/instances/{service}/{instance_id}/weight",
    dependencies=[*writes, Depends(require_roles("ADMIN"))],
)
async def set_weight(
    service: str, instance_id: str, body: WeightChange, registry: Registry
) -> dict[str, Any]:
    try:
        return _view(registry.set_weight(service, instance_id, body.weight))
    except UnknownInstance as exc:
        raise NotFound(f"unknown instance {exc.args[0]}") from exc


@router.delete("/instances/{service}/{instance_id}", status_code=204, dependencies=writes)
async def deregister(service: str, instance_id: str, registry: Registry) -> Response:
    try:
        registry.deregister(service, instance_id)
    except UnknownInstance as exc:
        raise NotFound(f"unknown instance {exc.args[0]}") from exc
    return Response(status_code=204)


@router.get("/services")
async def list_services(registry: Registry) -> dict[str, Any]:
    return {
        "services": {
            name: [_view(r) for r in records] for name, records in registry.services().items()
        }
    }


@router.get("/services/{service}")
async def list_instances(service: str, registry: Registry) -> dict[str, Any]:
    records = registry.instances(service)
    if not records:
        raise NotFound(f"no instance of {service} is registered")
    return {"service": service, "instances": [_view(r) for r in records]}
