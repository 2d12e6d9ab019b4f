"""The registry's HTTP API (the issue-4 contract): routes translate HTTP to the model."""

from __future__ import annotations

import time
from typing import Annotated, Any

from ecomkit.problems import NotFound
from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, Field

from registry.domain.model import InstanceRecord, ServiceRegistry, UnknownInstance

NAME = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$"


class Registration(BaseModel):
    service: str = Field(pattern=NAME)
    instance_id: str = Field(pattern=NAME)
    url: str = Field(pattern=r"^https?://[^\s]+$", max_length=500)
    weight: int = Field(default=100, ge=0, le=1000)
    metadata: dict[str, Any] = Field(default_factory=dict)


class WeightChange(BaseModel):
    weight: int = Field(ge=0, le=1000)


def get_registry(request: Request) -> ServiceRegistry:
    registry: ServiceRegistry = request.app.state.service_registry
    return registry


Registry = Annotated[ServiceRegistry, Depends(get_registry)]
router = APIRouter(prefix="/api/registry", tags=["registry"])


def wall_offset() -> float:
    """Maps the registry's monotonic clock to epoch seconds for display."""
    return time.time() - time.monotonic()


def _view(record: InstanceRecord) -> dict[str, Any]:
    return record.as_dict(wall_offset())


@router.post("/instances", status_code=201)
async def register(body: Registration, registry: Registry, response: Response) -> dict[str, Any]:
    record, new = registry.register(
        body.service, body.instance_id, body.url, weight=body.weight, metadata=body.metadata
    )
    if not new:
        response.status_code = 201  # idempotent: re-registering updates and answers the same
    return _view(record)


@router.put("/instances/{service}/{instance_id}/heartbeat")
async def heartbeat(service: str, instance_id: str, registry: Registry) -> dict[str, Any]:
    try:
        return _view(registry.heartbeat(service, instance_id))
    except UnknownInstance as exc:
        raise NotFound(f"unknown instance {exc.args[0]}; register again") from exc


@router.put("/instances/{service}/{instance_id}/weight")
async def set_weight(
    service: str, instance_id: str, body: WeightChange, registry: Registry
) -> dict[str, Any]:
    try:
        return _view(registry.set_weight(service, instance_id, body.weight))
    except UnknownInstance as exc:
        raise NotFound(f"unknown instance {exc.args[0]}") from exc


@router.delete("/instances/{service}/{instance_id}", status_code=204)
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
